"""The floor of one hop on this stack: a bare nameko ``@http`` → ``@rpc`` echo, no auth, no database.

Benchmarks print their figures next to it, measured in the same run::

    import _floor
    with _floor.running_floor(system.amqp_uri) as floor:   # floor.url = http://127.0.0.1:<port>/echo
        result = common.http_load(floor.url, connections=16, duration=10)
        cpu = common.CpuMeter(floor.pids)                  # {"echo_rpc": pid, "echo_http": pid}

Two processes, like the project's own services (``nameko run`` of this module's ``EchoHttp``
and ``EchoRpc``): ``GET /echo`` answers ``{"echo": "pong"}``, ``POST /echo`` the JSON body it got,
each after one RPC round trip to ``echo_rpc``.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


class EchoRpc:
    name = "echo_rpc"

    @rpc
    def echo(self, value):
        return value


class EchoHttp:
    name = "echo_http"

    echo_rpc = RpcProxy("echo_rpc")

    @http("GET,POST", "/echo")
    def echo(self, request):
        value = json.loads(request.get_data() or b'"pong"')
        return 200, {"Content-Type": "application/json"}, json.dumps({"echo": self.echo_rpc.echo(value)})


@dataclass
class Floor:
    url: str
    pids: dict


def _config(amqp_uri, port):
    return "AMQP_URI: '{}'\nWEB_SERVER_ADDRESS: '127.0.0.1:{}'\nmax_workers: 64\n".format(amqp_uri, port)


@contextlib.contextmanager
def running_floor(amqp_uri, start_timeout=60):
    """Start the echo pair on ``amqp_uri`` (a vhost of the benchmark's own); yields a :class:`Floor`."""
    import common
    import requests

    port = common.free_port()
    workdir = tempfile.mkdtemp(prefix="crmfloor-")
    config_path = os.path.join(workdir, "floor.yml")
    with open(config_path, "w") as stream:
        stream.write(_config(amqp_uri, port))
    nameko = os.path.join(os.path.dirname(common.python()), "nameko")
    log = open(os.path.join(workdir, "floor.log"), "w")
    names = ("EchoRpc", "EchoHttp")
    processes = [
        subprocess.Popen(
            [nameko, "run", "--config", config_path, "_floor:" + name],
            cwd=BENCH_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONWARNINGS="ignore"),
        )
        for name in names
    ]
    url = "http://127.0.0.1:{}/echo".format(port)
    try:
        deadline = time.time() + start_timeout
        while True:
            try:
                if requests.get(url, timeout=2).json() == {"echo": "pong"}:
                    break
            except (requests.RequestException, ValueError):
                pass
            if time.time() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError("the echo floor did not start; see " + log.name)
            time.sleep(0.3)
        yield Floor(url, {"echo_rpc": processes[0].pid, "echo_http": processes[1].pid})
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


if __name__ == "__main__":
    sys.exit("bench/_floor.py is a helper: import it from a benchmark")
