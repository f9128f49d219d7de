"""RPC between services, with a timeout.

nameko's ``RpcProxy`` waits for ever: a service that died mid-call, or never answers,
would hold the caller's worker (and whatever it locked) for good.  :class:`TimedRpcProxy`
is the same dependency with a deadline (``RPC_TIMEOUT`` seconds, default 10): past it the
call raises :class:`~services.core.errors.ServiceTimeout` (HTTP 504; an event handler gets
its event again), and a call to a service with no running instance raises
:class:`~services.core.errors.ServiceUnavailable` (HTTP 503) at once.  A late answer is
dropped by nameko's reply listener.

Every call relays the callee's domain errors (:func:`~services.core.errors.relayed`): a 404,
403 or 409 of the other service is raised here as the same kind, so the HTTP client gets that
status, never a 500.
"""

import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import MethodProxy, RpcProxy, ServiceProxy

from services.core.config import setting
from services.core.errors import ServiceTimeout, ServiceUnavailable, relayed

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0


def rpc_timeout(config):
    """Seconds a call to another service may take (``RPC_TIMEOUT``), the one place of its default."""
    return float(setting(config, "RPC_TIMEOUT", DEFAULT_TIMEOUT))


def send(method_proxy, *args, **kwargs):
    """Send the call; returns the reply to wait for (ServiceUnavailable when nobody serves it)."""
    try:
        return method_proxy.call_async(*args, **kwargs)
    except UnknownService:
        raise ServiceUnavailable("The {} service is not running.".format(method_proxy.service_name))


def wait_for(reply, service, timeout):
    """The answer to a call sent with ``call_async``, or ServiceTimeout after ``timeout`` seconds;
    a domain error of the callee is raised as ours."""
    try:
        with eventlet.Timeout(timeout):
            return reply.result()
    except RemoteError as error:
        raise relayed(error) from None
    except eventlet.Timeout:
        log.warning("the %s service did not answer within %ss", service, timeout)
        raise ServiceTimeout("The {} service did not answer in time.".format(service))


class TimedMethodProxy(MethodProxy):
    def __init__(self, timeout, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timeout = timeout

    def __call__(self, *args, **kwargs):
        return wait_for(send(self, *args, **kwargs), self.service_name, self.timeout)


class TimedServiceProxy(ServiceProxy):
    def __init__(self, timeout, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timeout = timeout

    def __getattr__(self, name):
        return TimedMethodProxy(
            self.timeout, self.worker_ctx, self.service_name, name, self.reply_listener, **self.options
        )


class TimedRpcProxy(RpcProxy):
    """``directory = TimedRpcProxy("directory")``: ``self.directory.get_actor(5)`` answers within
    ``RPC_TIMEOUT`` seconds or raises ServiceTimeout."""

    def setup(self):
        super().setup()
        self.timeout = rpc_timeout(self.container.config)

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(self.timeout, worker_ctx, self.target_service, self.rpc_reply_listener, **self.options)
