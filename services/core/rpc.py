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
status, never a 500.  A call that cannot even be sent because the broker is away raises
ServiceUnavailable (503) after nameko's few quick retries.

The serving side is :func:`rpc`, nameko's ``@rpc`` made to survive the broker going away:

- nameko publishes the reply with three quick retries and, when they fail (the broker restarts
  for more than ~3 s), the worker raises ``OperationalError`` and nameko kills the whole
  service.  Here the reply is retried for about ``RPC_TIMEOUT`` seconds (past it the caller has
  stopped waiting), then given up with an error line; the service keeps running.
- A request the broker delivers again (``redelivered``: the instance that had it died, or lost
  its connection, before acknowledging it) may already have been carried out, and most commands
  are not idempotent: it is not run again but answered ``503 SERVICE_UNAVAILABLE`` ("interrupted;
  check before sending it again").  A call is thus carried out at most once; the caller gets one
  answer, or a 504 after ``RPC_TIMEOUT``.

Reply queues are declared ``classic`` (:class:`ClassicReplyListener`): nameko declares them
durable, non-exclusive and not auto-delete (they expire 5 minutes after their process is gone),
which a virtual host whose default queue type is ``quorum`` (``deploy/``) would turn into
replicated quorum queues — a Raft group on three nodes, every reply written to disk on each, for
a queue that lives and dies with one process (and one more per health check).

What a call costs on the bus (``bench/hop.py``): requests and replies are transient messages (a
broker restart loses them; the caller's 504 after ``RPC_TIMEOUT`` is the same as for a message
lost on the wire, and a persistent request the broker recovers would come back ``redelivered``,
answered as interrupted anyway), and replies are published without publisher confirms (a reply
the broker did not take ends the same way).  A request needs a confirm only to learn that no
queue is bound for it (nameko's ``UnknownService``: 503 at once): the first call to a service is
confirmed, and once the broker has taken one the service's queue is known to exist (it is
durable: it outlives its instances), so later calls are sent unconfirmed.  Outbox events keep
their confirms (:mod:`services.core.outbox`).
"""

import logging
import sys

import eventlet
import kombu.serialization
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import RemoteError, UnknownService, UnserializableValueError, serialize
from nameko.rpc import (
    MethodProxy,
    ReplyListener,
    Responder,
    Rpc,
    RpcConsumer,
    RpcProxy,
    ServiceProxy,
    get_rpc_exchange,
)
from nameko.standalone.rpc import SingleThreadedReplyListener

from services.core.config import setting
from services.core.errors import ServiceTimeout, ServiceUnavailable, relayed

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0

# (broker, service) whose RPC queue the broker has confirmed taking a request for
_ROUTABLE = set()


class RequestPublisher(Publisher):
    """nameko's publisher of requests, without ``mandatory`` when unconfirmed: the broker's return
    of an unroutable request is only seen with a confirm (nameko would warn on every call)."""

    def publish(self, payload, **kwargs):
        if not self.use_confirms:
            kwargs["mandatory"] = False
        return super().publish(payload, **kwargs)


class RequestProxy(MethodProxy):
    """``RequestProxy(worker_ctx, service, method, reply_listener)``: nameko's, for :func:`send`."""

    publisher_cls = RequestPublisher


def transport_options(confirms):
    """A publisher's own transport options: nameko's are one dict shared by every publisher, which
    it changes on each publish (a pooled connection re-established later would take whatever was
    set last)."""
    return dict(DEFAULT_TRANSPORT_OPTIONS, confirm_publish=confirms)


def rpc_timeout(config):
    """Seconds a call to another service may take (``RPC_TIMEOUT``), the one place of its default."""
    return float(setting(config, "RPC_TIMEOUT", DEFAULT_TIMEOUT))


def send(method_proxy, *args, **kwargs):
    """Send the call; returns the reply to wait for (ServiceUnavailable when nobody serves it).

    Transient; confirmed only until the broker has once taken a request for this service."""
    key = (method_proxy.amqp_uri, method_proxy.service_name)
    confirms = key not in _ROUTABLE
    publisher = method_proxy.publisher
    publisher.use_confirms, publisher.delivery_mode = confirms, NON_PERSISTENT
    publisher.transport_options = transport_options(confirms)
    try:
        reply = method_proxy.call_async(*args, **kwargs)
        if confirms:
            _ROUTABLE.add(key)
        return reply
    except UnknownService:
        raise ServiceUnavailable("The {} service is not running.".format(method_proxy.service_name))
    except (OperationalError, ConnectionError) as error:
        log.warning("cannot send a call to %s: the broker is unreachable (%s)", method_proxy.service_name, error)
        raise ServiceUnavailable("The message broker cannot be reached; retry in a few seconds.")


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


CLASSIC = {"x-queue-type": "classic"}


class ClassicReplyQueue:
    """Gives the reply queue that nameko's ``ReplyListener.setup`` makes the argument
    ``x-queue-type: classic`` as it is assigned, before the queue is declared."""

    @property
    def queue(self):
        return self._queue

    @queue.setter
    def queue(self, queue):
        queue.queue_arguments = dict(queue.queue_arguments or {}, **CLASSIC)
        self._queue = queue


class ClassicReplyListener(ClassicReplyQueue, ReplyListener):
    """The reply listener of every service and of the gateway: a classic reply queue."""


class StandaloneReplyListener(ClassicReplyQueue, SingleThreadedReplyListener):
    """The same for a standalone ``ClusterRpcProxy(config, reply_listener_cls=StandaloneReplyListener)``."""


class TimedMethodProxy(RequestProxy):
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

    rpc_reply_listener = ClassicReplyListener()

    def setup(self):
        super().setup()
        self.timeout = rpc_timeout(self.container.config)

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(self.timeout, worker_ctx, self.target_service, self.rpc_reply_listener, **self.options)


def reply_retry_policy(timeout):
    """kombu's retry policy for a reply: about ``timeout`` seconds of attempts, 1 s apart at most."""
    return {"max_retries": int(timeout) + 2, "interval_start": 0.2, "interval_step": 0.4, "interval_max": 1.0}


class ReliableResponder(Responder):
    """nameko's Responder, whose publisher retries for about ``RPC_TIMEOUT`` seconds; the reply is
    transient, unconfirmed (see the module's docstring) and encoded once (nameko encodes it twice:
    once to check that it can, once to send it)."""

    def __init__(self, *args, retry_policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_policy = retry_policy

    def send_response(self, result, exc_info):
        error = None if exc_info is None else serialize(exc_info[1])
        serializer = kombu.serialization.registry.type_to_name[self.message.properties["content_type"]]
        try:
            content_type, content_encoding, body = kombu.serialization.dumps(
                {"result": result, "error": error}, serializer
            )
        except Exception:
            exc_info = sys.exc_info()
            result, error = None, serialize(UnserializableValueError(result))
            content_type, content_encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer
            )
        publisher = Publisher(
            self.amqp_uri,
            use_confirms=False,
            delivery_mode=NON_PERSISTENT,
            retry_policy=self.retry_policy,
            ssl=self.ssl,
            login_method=self.login_method,
        )
        publisher.transport_options = transport_options(False)
        publisher.publish(
            body,
            content_type=content_type,
            content_encoding=content_encoding,
            exchange=self.exchange,
            routing_key=self.message.properties["reply_to"],
            correlation_id=self.message.properties.get("correlation_id"),
        )
        return result, exc_info


class ReliableRpcConsumer(RpcConsumer):
    def setup(self):
        super().setup()
        self.retry_policy = reply_retry_policy(rpc_timeout(self.container.config))

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = ReliableResponder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            retry_policy=self.retry_policy,
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except Exception as error:  # the broker stayed away longer than the caller waits
            log.error(
                "could not send the reply to %s (%r); the caller has timed out",
                message.delivery_info.get("routing_key"),
                error,
            )
        try:
            self.queue_consumer.ack_message(message)
        except Exception as error:  # the channel died with its connection: the broker requeued it
            log.warning("could not acknowledge %s (%r)", message.delivery_info.get("routing_key"), error)
        return result, exc_info


class Interrupted(ServiceUnavailable):
    code = "REQUEST_INTERRUPTED"
    message = (
        "The service was interrupted while handling this request; it may or may not have been carried out. "
        "Check before sending it again."
    )


class ReliableRpc(Rpc):
    rpc_consumer = ReliableRpcConsumer()

    def handle_message(self, body, message):
        if not message.delivery_info.get("redelivered"):
            return super().handle_message(body, message)
        log.warning("%s delivered again: not run twice, answered as interrupted", message.delivery_info["routing_key"])
        error = Interrupted()
        self.rpc_consumer.handle_result(message, None, (Interrupted, error, None))


rpc = ReliableRpc.decorator
