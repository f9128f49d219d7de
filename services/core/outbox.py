"""Transactional outbox.

A use case calls :func:`record_event` with its session: the event row is
written in the same transaction as the change, so a rolled-back change never
publishes its event and a committed one always will.  The :class:`OutboxRelay`
dependency of every service publishes committed rows to the service's nameko
events exchange (``<service>.events``, routing key = event type), then deletes
them.  Rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``, so several
instances of a service relay side by side without publishing a row twice; a
crash between publish and commit can publish a row again, which is why every
handler is an idempotent consumer (:mod:`services.core.consumer`).

Payload of every event::

    {"id": "<uuid>", "type": "<event type>", "occurred_at": "<iso>", "data": {...}}

The context data of the worker that recorded the event (the actor) is sent as
nameko headers, so the handler's worker sees the same actor.
"""

import datetime
import logging
import uuid

import eventlet
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, HEADER_PREFIX, SERIALIZER_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import delete, func, insert, select, update

from services.core.actor import CONTEXT_KEY
from services.core.db import database_url, make_engine
from services.core.errors import ServiceUnavailable
from services.core.plumbing import outbox

log = logging.getLogger(__name__)


def record_event(session, event_type, data, actor=None):
    """Add an event to the outbox in the session's transaction; returns its id."""
    event_id = str(uuid.uuid4())
    context = {CONTEXT_KEY: actor.to_context()} if actor is not None else {}
    session.execute(
        insert(outbox).values(
            event_id=event_id,
            event_type=event_type,
            payload={
                "id": event_id,
                "type": event_type,
                "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "data": data,
            },
            context=context,
        )
    )
    return event_id


def relay_batch(connection, publish, batch_size=200, unrouted_grace_seconds=60):
    """Publish up to ``batch_size`` due events; returns how many left the outbox.

    Must run inside a transaction on ``connection``: the claimed rows stay
    locked until it commits.  ``publish`` returns False when no queue is bound
    for the event yet (its consumer has not started): such an event is tried
    again after a growing pause (0.5 s, doubling, at most 10 s), without
    holding back the events behind it, and is dropped with a warning once it is
    older than ``unrouted_grace_seconds`` (nobody subscribes to it).
    """
    rows = connection.execute(
        select(
            outbox.c.id, outbox.c.event_type, outbox.c.payload, outbox.c.context, outbox.c.created_at, outbox.c.attempts
        )
        .where(outbox.c.available_at <= func.now())
        .order_by(outbox.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    now = datetime.datetime.now(datetime.UTC)
    done = []
    for row in rows:
        if publish(row.event_type, row.payload, row.context):
            done.append(row.id)
        elif (now - row.created_at).total_seconds() > unrouted_grace_seconds:
            log.warning(
                "no consumer for %s event %s after %ss; dropped",
                row.event_type,
                row.payload.get("id"),
                unrouted_grace_seconds,
            )
            done.append(row.id)
        else:
            pause = min(0.5 * 2**row.attempts, 10.0)
            connection.execute(
                update(outbox)
                .where(outbox.c.id == row.id)
                .values(attempts=outbox.c.attempts + 1, available_at=func.now() + datetime.timedelta(seconds=pause))
            )
    if done:
        connection.execute(delete(outbox).where(outbox.c.id.in_(done)))
    return len(done)


class OutboxRelay(DependencyProvider):
    """Runs the relay loop of a service; workers never use it directly.

    ``OUTBOX_POLL_SECONDS`` (config) sets how long the relay sleeps when the
    outbox is empty.
    """

    def setup(self):
        config = self.container.config
        self.interval = float(config.get("OUTBOX_POLL_SECONDS", 0.2))
        self.unrouted_grace = float(config.get("OUTBOX_UNROUTED_GRACE_SECONDS", 60))
        self.engine = make_engine(database_url(config), pool_size=1)
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.publisher = Publisher(
            config[AMQP_URI_CONFIG_KEY],
            use_confirms=True,
            serializer=config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            declare=[self.exchange],
        )
        self.running = False

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self.run, identifier="outbox_relay")

    def stop(self):
        self.running = False

    def kill(self):
        self.running = False

    def publish(self, event_type, payload, context):
        """Publish one event; False when no queue is bound for it."""
        headers = {"{}.{}".format(HEADER_PREFIX, key): value for key, value in context.items()}
        try:
            self.publisher.publish(
                payload, exchange=self.exchange, routing_key=event_type, extra_headers=headers, mandatory=True
            )
        except UndeliverableMessage:
            return False
        return True

    def relay_once(self):
        with self.engine.begin() as connection:
            return relay_batch(connection, self.publish, unrouted_grace_seconds=self.unrouted_grace)

    def run(self):
        while self.running:
            try:
                published = self.relay_once()
            except (ServiceUnavailable, OperationalError, ConnectionError) as error:  # keep the rows, try again
                log.warning(
                    "outbox relay of %s paused: %s", self.container.service_name, getattr(error, "message", error)
                )
                published = 0
                eventlet.sleep(max(self.interval, 1.0))
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.container.service_name)
                published = 0
                eventlet.sleep(max(self.interval, 1.0))
            if not published:
                eventlet.sleep(self.interval)
        self.engine.dispose()
