"""RPC between services, with a timeout.

nameko's ``RpcProxy`` waits for ever: a service that died mid-call, or never answers,
would hold the caller's worker (and whatever it locked) for good.  :class:`TimedRpcProxy`
is the same dependency with a deadline (``RPC_TIMEOUT`` seconds, default 10): past it the
call raises :class:`~services.core.errors.ServiceTimeout` (HTTP 504; an event handler gets
its event again), and a call to a service with no running instance raises
:class:`~services.core.errors.ServiceUnavailable` (HTTP 503) at once.  A late answer is
dropped by nameko's reply listener.
"""
import logging

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import MethodProxy, RpcProxy, ServiceProxy

from services.core.errors import ServiceTimeout, ServiceUnavailable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0


def send(method_proxy, *args, **kwargs):
    """Send the call; returns the reply to wait for (ServiceUnavailable when nobody serves it)."""
    try:
        return method_proxy.call_async(*args, **kwargs)
    except UnknownService:
        raise ServiceUnavailable("The {} service is not running.".format(method_proxy.service_name))


def wait_for(reply, service, timeout):
    """The answer to a call sent with ``call_async``, or ServiceTimeout after ``timeout`` seconds."""
    try:
        with eventlet.Timeout(timeout):
            return reply.result()
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
        return TimedMethodProxy(self.timeout, self.worker_ctx, self.service_name, name, self.reply_listener,
                                **self.options)


class TimedRpcProxy(RpcProxy):
    """``directory = TimedRpcProxy("directory")``: ``self.directory.get_actor(5)`` answers within
    ``RPC_TIMEOUT`` seconds or raises ServiceTimeout."""

    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", DEFAULT_TIMEOUT))

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(self.timeout, worker_ctx, self.target_service, self.rpc_reply_listener,
                                 **self.options)
