"""RPC from the gateway to the services, with a timeout.

nameko's ``RpcProxy`` waits for ever; the gateway must answer 504 instead.
Calls carry the worker's context data, where the request's actor is put.
"""

import logging

from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider

from gateway.errors import ApiError
from services.core import business_time
from services.core.actor import CONTEXT_KEY
from services.core.errors import DomainError, parse_remote_error
from services.core.rpc import ClassicReplyListener, RequestProxy, rpc_timeout, send, wait_for

log = logging.getLogger(__name__)


class Caller:
    def __init__(self, worker_ctx, reply_listener, timeout):
        self.worker_ctx = worker_ctx
        self.reply_listener = reply_listener
        self.timeout = timeout

    def act_as(self, actor):
        """Every following call carries ``actor`` (a context dict)."""
        self.worker_ctx.data[CONTEXT_KEY] = actor

    def start(self, service, method, *args, **kwargs):
        """Send the call; returns a reply whose ``result()`` waits for the answer."""
        try:
            return send(RequestProxy(self.worker_ctx, service, method, self.reply_listener), *args, **kwargs)
        except DomainError as exc:
            raise ApiError.from_dict(exc.to_dict())

    def wait(self, service, reply, timeout=None):
        try:
            return wait_for(reply, service, timeout or self.timeout)
        except DomainError as exc:
            raise ApiError.from_dict(exc.to_dict())
        except RemoteError as exc:
            error = parse_remote_error(exc.value)
            if error is None:
                log.error("%s failed: %s %s", service, exc.exc_type, exc.value)
                raise ApiError("internal", "INTERNAL_ERROR", "The {} service failed.".format(service))
            raise ApiError.from_dict(error)

    def __call__(self, service, method, *args, **kwargs):
        return self.wait(service, self.start(service, method, *args, **kwargs))


class ServiceRpc(DependencyProvider):
    """``self.rpc("customers", "get_customer", 5)`` inside a gateway worker."""

    reply_listener = ClassicReplyListener()  # a classic reply queue (services/core/rpc.py)

    def setup(self):
        business_time.configure(self.container.config)  # the period bounds the gateway checks
        self.timeout = rpc_timeout(self.container.config)

    def get_dependency(self, worker_ctx):
        return Caller(worker_ctx, self.reply_listener, self.timeout)
