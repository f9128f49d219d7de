"""The shared plumbing with real RabbitMQ and PostgreSQL: outbox relay, idempotent consumer, migrations."""

import importlib
import json
import time

import eventlet
import pytest
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook
from sqlalchemy import select, text

from services.core import rpc as rpc_module
from services.core.consumer import first_delivery
from services.core.db import Database, discard_after_use, make_engine
from services.core.errors import ConcurrentChange, ServiceTimeout, ServiceUnavailable
from services.core.events import DEAD_LETTER_QUEUE, handles
from services.core.outbox import OutboxRelay, record_event
from services.core.plumbing import outbox, plumbing_metadata
from services.core.registry import PARTS
from services.core.rpc import TimedRpcProxy

pytestmark = pytest.mark.infra

DELIVERIES = []


class Producer:
    """A service whose only job is to relay its outbox (uses the directory test database)."""

    name = "producer"
    db = Database()
    relay = OutboxRelay()


class Listener:
    name = "listener"
    db = Database()

    @event_handler("producer", "thing_happened")
    def on_thing(self, event):
        if first_delivery(self.db, "listener.on_thing", event["id"]):
            self.db.execute(
                text("UPDATE departments SET name = name || '+' WHERE id = :id"), {"id": event["data"]["department_id"]}
            )
        self.db.commit()
        DELIVERIES.append(event["id"])  # counted once its transaction is over


FAILURES = {"left": 0, "error": ConnectionError("database away")}


class FlakyListener:
    """Fails while FAILURES["left"] > 0, then applies the event."""

    name = "flaky"
    db = Database()

    @handles("producer", "thing_happened")
    def on_thing(self, event):
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise FAILURES["error"]
        if first_delivery(self.db, "flaky.on_thing", event["id"]):
            self.db.execute(
                text("UPDATE departments SET name = name || '+' WHERE id = :id"), {"id": event["data"]["department_id"]}
            )
        self.db.commit()
        DELIVERIES.append(event["id"])


class Sleepy:
    name = "sleepy"

    @rpc
    def nap(self, seconds):
        eventlet.sleep(seconds)
        return "rested"


class Caller:
    name = "caller"
    sleepy = TimedRpcProxy("sleepy")
    nobody = TimedRpcProxy("nobody")

    @rpc
    def call(self, service, seconds):
        return getattr(self, service).nap(seconds)


@pytest.fixture(autouse=True)
def clear_deliveries():
    DELIVERIES.clear()
    FAILURES.update(left=0, error=ConnectionError("database away"))


@pytest.fixture
def config(service_config):
    return service_config("directory")


@pytest.fixture
def session(db_session):
    return db_session("directory")


def department(session, name):
    department_id = session.scalar(text("INSERT INTO departments (name) VALUES (:n) RETURNING id"), {"n": name})
    session.commit()
    return department_id


def name_of(session, department_id):
    session.rollback()  # see committed data
    return session.scalar(text("SELECT name FROM departments WHERE id = :id"), {"id": department_id})


def wait_until(predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_rolled_back_event_is_never_published(container_factory, config, session):
    container_factory(Listener, config).start()
    container_factory(Producer, config).start()
    rolled_back, committed = department(session, "rb"), department(session, "ok")

    record_event(session, "thing_happened", {"department_id": rolled_back})
    session.rollback()
    marker = record_event(session, "thing_happened", {"department_id": committed})
    session.commit()

    assert wait_until(lambda: name_of(session, committed) == "ok+")
    time.sleep(0.3)  # give a wrongly published event the time to arrive
    assert name_of(session, rolled_back) == "rb"
    assert DELIVERIES == [marker]
    assert session.scalar(select(outbox.c.id).limit(1)) is None


def test_committed_events_are_published_exactly_once_with_two_relays(container_factory, config, session):
    container_factory(Listener, config).start()
    target = department(session, "two")
    ids = [record_event(session, "thing_happened", {"department_id": target}) for _ in range(150)]
    session.commit()
    # two relays of the same service, racing for the same rows
    container_factory(Producer, config).start()
    container_factory(Producer, config).start()

    assert wait_until(lambda: len(DELIVERIES) >= len(ids))
    time.sleep(0.5)  # a duplicate would arrive now
    assert sorted(DELIVERIES) == sorted(ids)
    assert name_of(session, target) == "two" + "+" * len(ids)


def test_redelivered_event_is_applied_once(container_factory, config, session):
    container_factory(Listener, config).start()
    target = department(session, "redelivered")
    event = {
        "id": "8a3f3a0e-0000-4000-8000-000000000001",
        "type": "thing_happened",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "data": {"department_id": target},
    }
    dispatch = event_dispatcher(config)
    for _ in range(3):  # the broker redelivers, or a relay published twice
        dispatch("producer", "thing_happened", event)

    assert wait_until(lambda: len(DELIVERIES) == 3)
    assert name_of(session, target) == "redelivered+"


@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_models_and_migrations_agree(part, databases):
    """Every part's migrated database is what its models say, with the outbox tables exactly where
    the registry says (every service, not the gateway)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    metadata = [importlib.import_module(part.models).Base.metadata] + ([plumbing_metadata] if part.outbox else [])
    with databases.engine(part.name).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == []


def test_event_recorded_before_its_consumer_starts_is_delivered(container_factory, config, session):
    from services.core.events import consumer_queues, declare_consumer_queues

    declare_consumer_queues(config["AMQP_URI"], consumer_queues(Listener, config))  # the prepare step
    container_factory(Producer, config).start()
    target = department(session, "early")
    event_id = record_event(session, "thing_happened", {"department_id": target})
    session.commit()
    time.sleep(0.5)  # the relay has published it: it waits in the listener's queue
    container_factory(Listener, config).start()
    assert wait_until(lambda: DELIVERIES == [event_id])
    assert name_of(session, target) == "early+"


@pytest.mark.parametrize(
    "error", [ConnectionError("database away"), ConcurrentChange()], ids=["unexpected error", "concurrent change"]
)
def test_failing_handler_gets_the_event_again(container_factory, service_config, session, error):
    config = service_config("directory", EVENT_RETRY_SECONDS=0.05, EVENT_MAX_ATTEMPTS=5)
    container_factory(FlakyListener, config).start()
    container_factory(Producer, config).start()
    FAILURES.update(left=3, error=error)
    target = department(session, "flaky")
    event_id = record_event(session, "thing_happened", {"department_id": target})
    session.commit()
    assert wait_until(lambda: DELIVERIES == [event_id])
    assert name_of(session, target) == "flaky+" and FAILURES["left"] == 0


def test_a_call_to_another_service_answers_or_times_out(container_factory, rabbit_config):
    container_factory(Sleepy, rabbit_config).start()
    caller = container_factory(Caller, dict(rabbit_config, RPC_TIMEOUT=0.5))
    caller.start()
    with entrypoint_hook(caller, "call") as call:
        assert call("sleepy", 0) == "rested"
        began = time.time()
        with pytest.raises(ServiceTimeout) as timed_out:
            call("sleepy", 5)
        assert time.time() - began < 3 and timed_out.value.retryable
        for _ in range(2):  # a request is confirmed until a queue took one: nobody's, every time
            began = time.time()
            with pytest.raises(ServiceUnavailable):
                call("nobody", 0)
            assert time.time() - began < 0.4
        assert (rabbit_config["AMQP_URI"], "sleepy") in rpc_module._ROUTABLE  # sleepy's are sent unconfirmed now
        assert [call("sleepy", 0) for _ in range(3)] == ["rested"] * 3


def test_a_connection_marked_discard_after_use_is_not_lent_again(databases, session):
    """After a transaction marked by discard_after_use (a bulk action), the pool gives the next
    unit of work a new server process; an unmarked connection is lent again as it is."""
    from sqlalchemy.orm import Session

    engine = make_engine(databases.url("directory"), pool_size=1)

    def server_process(discard=False):
        with Session(engine) as session:
            pid = session.scalar(text("SELECT pg_backend_pid()"))
            if discard:
                discard_after_use(session)
            session.commit()
        return pid

    try:
        first = server_process()
        assert server_process() == first  # reused
        marked = server_process(discard=True)
        assert marked == first
        after = server_process()
        assert after != marked
        assert server_process() == after  # the new one is reused in turn
    finally:
        engine.dispose()


def test_deadlock_is_a_concurrent_change_and_changes_nothing(databases, session):
    """Two transactions lock the same two rows in opposite orders: PostgreSQL aborts one, which
    raises ConcurrentChange (HTTP 409, retried by event handlers); the other one commits."""
    import eventlet
    from sqlalchemy.orm import Session

    first, second = department(session, "first"), department(session, "second")
    engine = make_engine(databases.url("directory"))
    both_locked_one = eventlet.event.Event()
    locked = []
    outcomes = {}

    def rename(name, ids):
        with Session(engine) as other:
            try:
                for department_id in ids:
                    other.execute(
                        text("UPDATE departments SET name = :n || id WHERE id = :id"), {"n": name, "id": department_id}
                    )
                    locked.append(name)
                    if len(locked) == 2:
                        both_locked_one.send()
                    both_locked_one.wait()
                other.commit()
                outcomes[name] = "committed"
            except ConcurrentChange as exc:
                outcomes[name] = exc

    try:
        threads = [eventlet.spawn(rename, "a", [first, second]), eventlet.spawn(rename, "b", [second, first])]
        with eventlet.Timeout(30):
            for thread in threads:
                thread.wait()
    finally:
        engine.dispose()
    assert sorted(map(type, outcomes.values()), key=str) == sorted([str, ConcurrentChange], key=str)
    (winner,) = [name for name, outcome in outcomes.items() if outcome == "committed"]
    (loser,) = [outcome for outcome in outcomes.values() if outcome != "committed"]
    assert loser.kind == "conflict" and loser.code == "CONCURRENT_CHANGE" and loser.retryable
    assert (name_of(session, first), name_of(session, second)) == (winner + str(first), winner + str(second))


def test_event_that_keeps_failing_ends_in_dead_letters(container_factory, service_config, session, rabbit_config):
    from kombu import Connection

    config = service_config("directory", EVENT_RETRY_SECONDS=0.05, EVENT_MAX_ATTEMPTS=3)
    container_factory(FlakyListener, config).start()
    container_factory(Producer, config).start()
    FAILURES["left"] = 1000
    target = department(session, "poison")
    event_id = record_event(session, "thing_happened", {"department_id": target})
    session.commit()

    def dead_letter():
        with Connection(rabbit_config["AMQP_URI"]) as connection:
            return connection.default_channel.basic_get(DEAD_LETTER_QUEUE.name, no_ack=True)

    message = None
    deadline = time.time() + 15
    while message is None and time.time() < deadline:
        message = dead_letter()
        time.sleep(0.1)
    assert message is not None
    assert message.headers["x-crm-handler"] == "flaky.on_thing" and message.headers["x-crm-attempts"] == 3
    assert json.loads(message.body)["id"] == event_id
    assert FAILURES["left"] == 1000 - 3 and name_of(session, target) == "poison"


def test_event_without_consumer_leaves_the_outbox_counted_and_order_is_kept(session):
    from services.core.outbox import relay_batch

    recorded = [record_event(session, "nobody_listens" if n % 2 else "thing_happened", {"n": n}) for n in range(5)]
    session.commit()
    batches = []

    def publish_batch(rows):
        batches.append([row.payload["id"] for row in rows])
        return {row.payload["id"] for row in rows if row.event_type == "nobody_listens"}

    with session.get_bind().connect() as connection:
        with connection.begin():
            assert relay_batch(connection, publish_batch, batch_size=3) == (2, 1)
        with connection.begin():
            assert relay_batch(connection, publish_batch, batch_size=3) == (1, 1)
        with connection.begin():
            assert relay_batch(connection, publish_batch, batch_size=3) == (0, 0)
        remaining = connection.execute(select(outbox.c.event_id)).all()
    assert batches == [recorded[:3], recorded[3:]] and remaining == []


def test_a_failed_batch_stays_in_the_outbox(session):
    from services.core.outbox import relay_batch

    recorded = [record_event(session, "thing_happened", {"n": n}) for n in range(3)]
    session.commit()

    def broker_away(rows):
        raise ConnectionError("broker away")

    with session.get_bind().connect() as connection:
        with pytest.raises(ConnectionError):
            with connection.begin():
                relay_batch(connection, broker_away)
        remaining = connection.scalars(select(outbox.c.event_id).order_by(outbox.c.id)).all()
    assert remaining == recorded
