"""The outbox relay: events/s it publishes (batches, confirms awaited per batch) next to the
rate at which transactions can record events, on this machine.

    .venv/bin/python bench/outbox.py          # BENCH_OUTBOX_EVENTS (20000), BENCH_DURATION (10)

Phase 1 (write): ``BENCH_CONCURRENCY`` writers (default 8) each commit one transaction per event
(``record_event``, as a use case does) for ``BENCH_DURATION`` seconds, with no relay running: the
most events per second the database lets use cases record (the API, which does more per request,
records fewer).  Phase 2 (relay): one service's ``OutboxRelay`` (a nameko container, as in every
service) drains a backlog of ``BENCH_OUTBOX_EVENTS`` into a queue bound to its exchange; events/s
from start to empty outbox.  The queue's messages are then read back to check that the events of
each writer (an aggregate) arrived in the order they were recorded.  Goal: relay ≥ 2,000 events/s
and ≥ the write rate, so the outbox never grows.

Its own database (``crmbench<pid>_directory``) and RabbitMQ vhost, both dropped afterwards.
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import common  # noqa: E402

from deploy import harness  # noqa: E402

sys.path.insert(0, common.ROOT)

from kombu import Connection, Queue  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.events import get_event_exchange  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from services.core.migrations import create_database, upgrade  # noqa: E402
from services.core.outbox import OutboxRelay, record_event  # noqa: E402
from services.core.plumbing import outbox  # noqa: E402


class Producer:
    name = "benchproducer"
    relay = OutboxRelay()


def write_phase(engine, writers, seconds):
    counts = [0] * writers

    def writer(number):
        deadline = time.time() + seconds
        with engine.connect() as connection:
            while time.time() < deadline:
                with connection.begin():
                    record_event(connection, "thing_happened", {"writer": number, "n": counts[number]})
                counts[number] += 1

    pool = eventlet.GreenPool(writers)
    started = time.time()
    list(pool.imap(writer, range(writers)))
    return sum(counts), time.time() - started


def backlog(engine, events, writers):
    """Bulk-insert ``events`` more events (as ``writers`` more aggregates), in recording order."""
    rows = []
    for n in range(events):
        event_id = str(uuid.uuid4())
        data = {"writer": writers + n % writers, "n": n}
        rows.append(
            {
                "event_id": event_id,
                "event_type": "thing_happened",
                "payload": {"id": event_id, "type": "thing_happened", "data": data},
                "context": {},
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(outbox), rows)


def check_order(amqp_uri, queue):
    """True when every writer's events came in the order they were recorded; also their count."""
    last, count = {}, 0
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        bound = queue.bind(channel)
        while True:
            message = bound.get(no_ack=True)
            if message is None:
                break
            data = json.loads(message.body)["data"]
            writer, n = data["writer"], data["n"]
            if n <= last.get(writer, -1):
                return False, count
            last[writer] = n
            count += 1
    return True, count


def main():
    infra = harness.Infra.from_environment(local_defaults=True)
    events = common.env_int("BENCH_OUTBOX_EVENTS", 20000)
    writers = common.env_int("BENCH_CONCURRENCY", 8)
    seconds = common.env_float("BENCH_DURATION", 10)
    name = "crmbench{}_directory".format(os.getpid())
    vhost = "crmbenchoutbox{}".format(os.getpid())
    rabbit = infra.rabbit_manager()
    rabbit.create_vhost(vhost)
    rabbit.set_vhost_permissions(vhost, infra.username, ".*", ".*", ".*")
    amqp_uri = infra.amqp_uri_for(vhost)
    url = "{}/{}".format(infra.database_url, name)
    create_database(infra.database_url + "/postgres", name)
    engine = create_engine(url, pool_size=writers + 2)
    try:
        upgrade(os.path.join(common.ROOT, "services", "directory"), url)
        config = {"AMQP_URI": amqp_uri, "DATABASE": {"URL": infra.database_url, "NAME": name}}
        queue = Queue("bench-outbox", exchange=get_event_exchange(Producer.name, config), routing_key="#")
        with Connection(amqp_uri) as connection:
            queue.bind(connection.channel()).declare()

        common.say("write phase: {} writers, {:.0f}s".format(writers, seconds))
        written, elapsed = write_phase(engine, writers, seconds)
        write_rate = written / elapsed
        backlog(engine, events, writers)
        total = written + events
        common.say("relay phase: {:,} events in the outbox".format(total))
        container = ServiceContainer(Producer, config)
        started = time.time()
        container.start()
        with engine.connect() as connection:
            while connection.scalar(select(func.count()).select_from(outbox)):
                connection.rollback()
                eventlet.sleep(0.05)
        relay_seconds = time.time() - started
        container.stop()
        relay_rate = total / relay_seconds
        in_order, received = check_order(amqp_uri, queue)
        common.print_table(
            ["measure", "events/s", "events", "seconds"],
            [
                [
                    "transactions recording one event each ({} writers)".format(writers),
                    common.fmt(write_rate),
                    common.fmt(written),
                    "{:.1f}".format(elapsed),
                ],
                [
                    "outbox relay (batches of 500, confirms per batch)",
                    common.fmt(relay_rate),
                    common.fmt(total),
                    "{:.1f}".format(relay_seconds),
                ],
            ],
        )
        print(
            "received {:,} of {:,} events; order per aggregate kept: {}; goal >= 2,000 events/s: {}".format(
                received, total, "yes" if in_order else "NO", "met" if relay_rate >= 2000 else "NOT met"
            )
        )
        return 0 if in_order and received == total else 1
    finally:
        engine.dispose()
        admin = create_engine(infra.database_url + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(name)))
        admin.dispose()
        rabbit.delete_vhost(vhost)


if __name__ == "__main__":
    sys.exit(main())
