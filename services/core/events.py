"""Event handlers that never lose an event.

nameko acks an event whose handler raised (``requeue_on_error=False``), and the
event is gone; with ``requeue_on_error=True`` a poison event loops for ever.
:func:`handles` is nameko's ``event_handler`` with a bounded retry instead:

- a handler that fails with an unexpected error (database, broker or another
  service away, a bug) gets the event again after a growing pause
  (``EVENT_RETRY_SECONDS``, default 0.5, doubled each time up to
  ``EVENT_RETRY_MAX_SECONDS``, default 30), up to ``EVENT_MAX_ATTEMPTS`` (default 8)
  deliveries in all: about a minute, so a service restarting does not send events
  to the dead letters;
- a handler that raises a :class:`DomainError` that is not ``retryable`` (the event
  can never apply; a ``ConcurrentChange`` is retried like an unexpected error), or
  that used all its attempts, has the event moved to the durable queue
  ``crm.dead-letters`` (headers say which handler and why), where an operator
  can read it and publish it again.

Handlers must be idempotent consumers (:mod:`services.core.consumer`), since a
retried event may have been partly processed before.
"""

import logging

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler

from services.core.errors import DomainError

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = Exchange("crm.dead-letter", type="topic", durable=True)
DEAD_LETTER_QUEUE = Queue("crm.dead-letters", exchange=DEAD_LETTER_EXCHANGE, routing_key="#", durable=True)


class RetryingEventHandler(EventHandler):
    def setup(self):
        super().setup()
        config = self.container.config
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", 8))
        self.retry_seconds = float(config.get("EVENT_RETRY_SECONDS", 0.5))
        self.retry_max_seconds = float(config.get("EVENT_RETRY_MAX_SECONDS", 30))
        self.attempts = {}
        self.dead_letters = Publisher(
            config[AMQP_URI_CONFIG_KEY], use_confirms=True, declare=[DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE]
        )
        with Connection(config[AMQP_URI_CONFIG_KEY]) as connection:  # exists before anything fails
            DEAD_LETTER_QUEUE.bind(connection.default_channel).declare()

    def handle_message_processed(self, message, result=None, exc_info=None):
        key = _event_key(message)
        if exc_info is None:
            self.attempts.pop(key, None)
            self._settle(self.queue_consumer.ack_message, message)
            return
        error = exc_info[1]
        attempts = self.attempts[key] = self.attempts.get(key, 0) + 1
        if (isinstance(error, DomainError) and not error.retryable) or attempts >= self.max_attempts:
            self.attempts.pop(key, None)
            self.dead_letter(message, error, attempts)
            return
        pause = retry_pause(attempts, self.retry_seconds, self.retry_max_seconds)
        log.warning(
            "%s failed on event %s (attempt %s of %s): %r; retrying in %.1fs",
            self.method_name,
            key,
            attempts,
            self.max_attempts,
            error,
            pause,
        )
        eventlet.spawn_after(pause, self._settle, self.queue_consumer.requeue_message, message)

    def _settle(self, settle, message):
        """Ack or requeue; on a connection that died meanwhile the broker has requeued the event
        already, and a failure here must not kill the service (nameko would)."""
        try:
            settle(message)
        except Exception as error:
            log.warning(
                "%s could not settle event %s (%r); the broker delivers it again",
                self.method_name,
                _event_key(message),
                error,
            )

    def dead_letter(self, message, error, attempts):
        handler = "{}.{}".format(self.container.service_name, self.method_name)
        log.error(
            "%s gave up on event %s after %s attempt(s): %r; moved to %s",
            handler,
            _event_key(message),
            attempts,
            error,
            DEAD_LETTER_QUEUE.name,
        )
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-crm-handler": handler,
                "x-crm-error": repr(error)[:1000],
                "x-crm-attempts": attempts,
                "x-crm-source-queue": self.queue.name,
            }
        )
        try:
            self.dead_letters.publish(
                message.payload, exchange=DEAD_LETTER_EXCHANGE, routing_key=self.queue.name, headers=headers
            )
        except Exception as publish_error:  # broker away: keep the event, try again later
            log.warning("cannot move event %s to the dead letters now (%r)", _event_key(message), publish_error)
            self.attempts[_event_key(message)] = attempts - 1
            eventlet.spawn_after(self.retry_max_seconds, self._settle, self.queue_consumer.requeue_message, message)
            return
        self._settle(self.queue_consumer.ack_message, message)


def retry_pause(attempts, first, longest):
    """Seconds before the next delivery of an event that failed ``attempts`` times."""
    return min(first * 2 ** (attempts - 1), longest)


def _event_key(message):
    payload = message.payload
    if isinstance(payload, dict) and payload.get("id"):
        return str(payload["id"])
    return str(message.delivery_tag)


handles = RetryingEventHandler.decorator


def consumer_queues(service_cls, config):
    """The durable queues of every event handler of ``service_cls`` (nameko's names and bindings:
    ``evt-<source>-<event type>--<service>.<method>`` on ``<source>.events``)."""
    from nameko.containers import ServiceContainer
    from nameko.events import SERVICE_POOL, get_event_exchange

    container = ServiceContainer(service_cls, config)
    queues = []
    for entrypoint in container.entrypoints:
        if isinstance(entrypoint, EventHandler) and entrypoint.handler_type is SERVICE_POOL:
            name = "evt-{}-{}--{}.{}".format(
                entrypoint.source_service, entrypoint.event_type, container.service_name, entrypoint.method_name
            )
            exchange = get_event_exchange(entrypoint.source_service, config)
            queues.append(Queue(name, exchange=exchange, routing_key=entrypoint.event_type, durable=True))
    return queues


def declare_consumer_queues(amqp_uri, queues):
    """Declare ``queues`` (their exchanges and bindings too) and the dead letters: events published
    before their consumer first starts wait in its queue instead of being dropped."""
    with Connection(amqp_uri, connect_timeout=10) as connection:
        channel = connection.channel()
        for queue in [DEAD_LETTER_QUEUE, *queues]:
            queue.bind(channel).declare()
