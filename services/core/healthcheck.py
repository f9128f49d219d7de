"""Container health check: ``python -m services.core.healthcheck SERVICE [CONFIG]``
(CONFIG defaults to the service's config.yml in the registry).

Exits 0 when the service answers its ``ping`` RPC within 5 seconds.
"""

import sys

import eventlet

eventlet.monkey_patch()

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from services.core.config import load_config  # noqa: E402
from services.core.registry import part  # noqa: E402
from services.core.rpc import StandaloneReplyListener  # noqa: E402


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    service = argv[0]
    config = load_config(argv[1] if len(argv) > 1 else part(service).config_path)
    try:
        with ClusterRpcProxy(config, timeout=5, reply_listener_cls=StandaloneReplyListener) as cluster:
            return 0 if getattr(cluster, service).ping() == "pong" else 1
    except Exception as exc:  # report and fail the check
        print("{} does not answer: {}".format(service, exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
