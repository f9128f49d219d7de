"""Transactional outbox.

A use case calls :func:`record_event` with its session (:func:`record_events` for several
events of one type: one statement for all of them; or runs ``EVENTS_INSERT`` with
:func:`event_parameters` as a CTE of its own statement): the event row is
written in the same transaction as the change, so a rolled-back change never
publishes its event and a committed one always will.  The :class:`OutboxRelay`
dependency of every service publishes committed rows to the service's nameko
events exchange (``<service>.events``, routing key = event type), then deletes
them, in batches (``OUTBOX_BATCH_SIZE``, 500) whose broker confirms are awaited once
per batch.  One relay of a service works at a time (a PostgreSQL advisory lock; the
other instances' relays wait for their turn), so events leave in the order they were
recorded; rows are claimed ``FOR UPDATE SKIP LOCKED`` besides.  A crash between publish
and commit can publish a batch again, which is why every handler is an idempotent
consumer (:mod:`services.core.consumer`).  Every known consumer's queue is declared
ahead by the prepare step (:func:`services.core.events.declare_consumer_queues`), so an
event is never dropped for want of a queue; one that no queue is bound for has no
subscriber at all: it leaves the outbox at once and is counted.

Payload of every event::

    {"id": "<uuid>", "type": "<event type>", "occurred_at": "<iso>", "data": {...}}

The context of the worker that recorded the event (the actor, and the request id of
:mod:`services.core.logs`) is stored with it and sent as nameko headers, so the handler's
worker sees the same actor and logs under the same request id, however late it is relayed.
"""

import collections
import contextlib
import datetime
import json
import logging
import time
import uuid

import amqp
import eventlet
from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.constants import AMQP_URI_CONFIG_KEY, HEADER_PREFIX
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import ARRAY, Text, bindparam, cast, func, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB

from services.core.actor import CONTEXT_KEY
from services.core.config import setting
from services.core.db import database_url, make_engine
from services.core.errors import ServiceUnavailable
from services.core.logs import REQUEST_ID_KEY, current_request_id
from services.core.plumbing import outbox

log = logging.getLogger(__name__)


def _events_insert():
    """``INSERT … SELECT FROM unnest(…) WITH ORDINALITY``: the events of one type whose ids and
    payloads are array parameters (``event_parameters``), in the order given (the relay publishes
    by outbox id).  Built once, so that a use case may also run it as a CTE of the statement that
    makes its change (one round trip less while row locks are held), built once too."""
    given = (
        func.unnest(
            bindparam("outbox_event_ids", type_=ARRAY(outbox.c.event_id.type)),
            bindparam("outbox_payloads", type_=ARRAY(Text)),
        )
        .table_valued("event_id", "payload", with_ordinality="n")
        .render_derived(name="given")
    )
    return insert(outbox).from_select(
        ["event_id", "event_type", "payload", "context"],
        select(
            given.c.event_id,
            bindparam("outbox_event_type", type_=outbox.c.event_type.type),
            cast(given.c.payload, JSONB),
            bindparam("outbox_context", type_=JSONB),
        ).order_by(given.c.n),
    )


EVENTS_INSERT = _events_insert()


def event_parameters(event_type, datas, actor=None):
    """The parameters of ``EVENTS_INSERT`` for one new ``event_type`` event per item of ``datas``
    (its context: the ``actor`` and the request id of the worker recording it, if any)."""
    occurred_at = datetime.datetime.now(datetime.UTC).isoformat()
    event_ids = [str(uuid.uuid4()) for _ in datas]
    context = {CONTEXT_KEY: actor.to_context()} if actor is not None else {}
    request_id = current_request_id()
    if request_id is not None:
        context[REQUEST_ID_KEY] = request_id
    return {
        "outbox_event_ids": event_ids,
        "outbox_payloads": [
            json.dumps({"id": event_id, "type": event_type, "occurred_at": occurred_at, "data": data})
            for event_id, data in zip(event_ids, datas, strict=True)
        ],
        "outbox_event_type": event_type,
        "outbox_context": context,
    }


def record_event(session, event_type, data, actor=None):
    """Add an event to the outbox in the session's transaction; returns its id."""
    return record_events(session, event_type, [data], actor)[0]


def record_events(session, event_type, datas, actor=None):
    """Add one ``event_type`` event per item of ``datas`` to the outbox, in one statement (one
    round trip however many: a posting of many lines records one event per line); returns their
    ids, in the order of ``datas``, which is the order they are published in."""
    datas = list(datas)
    if not datas:
        return []
    parameters = event_parameters(event_type, datas, actor)
    session.execute(EVENTS_INSERT, parameters)
    return parameters["outbox_event_ids"]


# the default of OUTBOX_POLL_SECONDS
DEFAULT_POLL_SECONDS = 0.2

# one relay at a time per service database (pg_try_advisory_xact_lock): events leave in the order
# they were recorded, so the events of one aggregate arrive in order
RELAY_LOCK = (0x6F757462, 1)


# one array parameter, not an IN list of up to 500 (SQLAlchemy renders each bound value of an IN
# list into the statement, which cost the relay as much CPU as the publishing)
_DELETE_RELAYED = text("DELETE FROM outbox WHERE id = ANY(CAST(:ids AS bigint[]))")


def relay_batch(connection, publish_batch, batch_size=500):
    """Publish up to ``batch_size`` due events, in order; returns ``(published, unrouted)``.

    Must run inside a transaction on ``connection``: the claimed rows stay locked until it
    commits, and they are deleted only once ``publish_batch(rows)`` returned, i.e. once the broker
    confirmed every one of them; if it raises, nothing leaves the outbox.  ``publish_batch``
    returns the ids of the events no queue is bound for: the prepare step declares every known
    consumer's queue ahead, so such an event has no subscriber at all; it leaves the outbox and is
    only counted.  Another relay of the same service holding the lock: ``(0, 0)``.
    """
    if not connection.scalar(select(func.pg_try_advisory_xact_lock(*RELAY_LOCK))):
        return 0, 0
    rows = connection.execute(
        select(outbox.c.id, outbox.c.event_type, outbox.c.payload, outbox.c.context)
        .where(outbox.c.available_at <= func.now())
        .order_by(outbox.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0, 0
    unrouted = publish_batch(rows)
    connection.execute(_DELETE_RELAYED, {"ids": [row.id for row in rows]})
    return len(rows) - len(unrouted), len(unrouted)


class BatchPublisher:
    """Publishes a batch of events on one channel in confirm mode and waits once for the broker's
    confirms of the whole batch (nameko's Publisher waits for each message: ~200 events/s).

    Each message is what nameko's event dispatcher sends (JSON, persistent, routing key = event
    type, the context as ``nameko.*`` headers) with ``mandatory`` set, so the broker returns an
    event no queue is bound for before confirming it.  Any failure closes the connection (the
    next batch opens a new one) and raises: the batch stays in the outbox.
    """

    def __init__(self, amqp_uri, exchange, confirm_timeout=30.0):
        self.amqp_uri, self.exchange, self.confirm_timeout = amqp_uri, exchange, confirm_timeout
        self.connection = self.channel = None

    def _open(self):
        # no ``connection.blocked`` capability: py-amqp would poll the socket before every publish
        # to see whether the broker blocked us; a blocked broker stops confirming, which the
        # confirm timeout already turns into a failed batch
        capabilities = {"connection.blocked": False}
        self.connection = Connection(
            self.amqp_uri, connect_timeout=5, transport_options={"client_properties": {"capabilities": capabilities}}
        )
        self.connection.ensure_connection(max_retries=1)
        self.channel = self.connection.channel()
        self.exchange(self.channel).declare()
        self.channel.confirm_select()
        self.tag = 0  # delivery tags of a confirm-mode channel count from 1
        self.unconfirmed, self.nacked, self.returned = set(), False, set()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)

    def _on_ack(self, delivery_tag, multiple):
        # acks come in any order: an unroutable event is confirmed at once, a persistent one once
        # its queues have it on disk, and ``multiple`` covers every tag up to ``delivery_tag``
        if multiple:
            self.unconfirmed = {tag for tag in self.unconfirmed if tag > delivery_tag}
        else:
            self.unconfirmed.discard(delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self.nacked = True

    def _on_return(self, exc, exchange, routing_key, message):
        self.returned.add(message.properties.get("message_id"))

    def close(self):
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken
                pass

    def _send(self, rows):
        for row in rows:
            headers = {"{}.{}".format(HEADER_PREFIX, key): value for key, value in (row.context or {}).items()}
            message = amqp.Message(
                json.dumps(row.payload),
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=str(row.payload.get("id")),
                application_headers=headers,
            )
            self.channel.basic_publish(message, exchange=self.exchange.name, routing_key=row.event_type, mandatory=True)
            self.tag += 1
            self.unconfirmed.add(self.tag)

    def publish(self, rows):
        """Publish ``rows`` (id, event_type, payload, context); returns the event ids that were unroutable."""
        try:
            if self.connection is None:
                self._open()
            self.returned = set()
            with _coalesced_writes(self.connection.connection.transport):
                self._send(rows)
            deadline = time.monotonic() + self.confirm_timeout
            while self.unconfirmed and not self.nacked:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        "the broker confirmed {} of {} events".format(len(rows) - len(self.unconfirmed), len(rows))
                    )
                try:
                    self.connection.drain_events(timeout=min(left, 1.0))
                except TimeoutError:
                    pass
            if self.nacked:
                raise OperationalError("the broker refused to take an event")
            return {str(row.payload.get("id")) for row in rows} & self.returned
        except BaseException:
            self.close()
            raise


@contextlib.contextmanager
def _coalesced_writes(transport):
    """Send the frames written inside the block in one socket write at its end (py-amqp writes
    each message on its own: one system call per event).  py-amqp's frame writer hands over a
    view of a buffer it reuses, hence the copies."""
    send = transport.__dict__.get("_write")
    if send is None:  # not py-amqp's TCP transport: write as usual
        yield
        return
    chunks = []
    transport._write = lambda data: chunks.append(bytes(data))
    try:
        yield
    finally:
        transport._write = send
    if chunks:
        send(b"".join(chunks))


class OutboxRelay(DependencyProvider):
    """Runs the relay loop of a service; workers never use it directly.

    ``OUTBOX_POLL_SECONDS`` (config) sets how long the relay sleeps when the outbox is empty;
    ``OUTBOX_BATCH_SIZE`` (500) how many events go in one batch of confirms.  Events that no queue
    is bound for are counted per type (``unrouted``), with one line the first time a type has none.
    """

    def setup(self):
        config = self.container.config
        self.interval = float(setting(config, "OUTBOX_POLL_SECONDS", DEFAULT_POLL_SECONDS))
        self.batch_size = int(config.get("OUTBOX_BATCH_SIZE", 500))
        self.engine = make_engine(database_url(config), pool_size=1)
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.publisher = BatchPublisher(config[AMQP_URI_CONFIG_KEY], self.exchange)
        self.unrouted = collections.Counter()
        self.running = False

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self.run, identifier="outbox_relay")

    def stop(self):
        self.running = False

    def kill(self):
        self.running = False

    def publish_batch(self, rows):
        unrouted = self.publisher.publish(rows)
        for row in rows:
            if str(row.payload.get("id")) in unrouted:
                if not self.unrouted[row.event_type]:
                    log.info(
                        "no service subscribes to %s events of %s: they leave the outbox unpublished (counted)",
                        row.event_type,
                        self.container.service_name,
                    )
                self.unrouted[row.event_type] += 1
        return unrouted

    def relay_once(self):
        """Relay one batch; returns how many events left the outbox."""
        with self.engine.begin() as connection:
            return sum(relay_batch(connection, self.publish_batch, self.batch_size))

    def run(self):
        while self.running:
            try:
                done = self.relay_once()
            except (ServiceUnavailable, OperationalError, ConnectionError, TimeoutError, AMQPError) as error:
                log.warning(
                    "outbox relay of %s paused: %s", self.container.service_name, getattr(error, "message", error)
                )
                done = 0
                eventlet.sleep(max(self.interval, 1.0))
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.container.service_name)
                done = 0
                eventlet.sleep(max(self.interval, 1.0))
            if done < self.batch_size:
                eventlet.sleep(self.interval if not done else 0)
        self.publisher.close()
        self.engine.dispose()
