"""Tickets dispatcher: a burst of tickets, from creation to assignment, with one and three instances.

    .venv/bin/python bench/tickets.py        (or `make bench`, which runs every bench/*.py)

Starts the whole system (bench/common.py: free port, own databases and vhost),
creates BENCH_TICKET_GROUPS (5) support groups of BENCH_TICKET_MEMBERS (20) members
with capacity BENCH_TICKET_CAPACITY (10), so that every ticket of the burst finds
a place, then, in the same run:

1. the raw RPC round trip ``tickets.ping`` (serial, standalone ClusterRpcProxy):
   the baseline;
2. a burst of BENCH_TICKETS (1,000) ``tickets.create_ticket`` calls spread over the
   groups, from BENCH_CONCURRENCY (32) green threads with one proxy each, against
   the one tickets instance ``make run`` starts; every ticket goes through the
   outbox → ``ticket_created`` → dispatcher → ``ticket_assigned`` path;
3. the tickets are closed (directly in the database, not measured), two more
   tickets instances are started (``nameko run``, as the launcher does), and the
   same burst runs against three instances.

For each burst: time from a ticket's creation to its assignment (the service's
own ``created_at`` / ``assigned_at`` timestamps, p50 and p99), the drain time
(first creation to last assignment), and how fast the burst was created.
Environment: BENCH_TICKETS, BENCH_TICKET_GROUPS, BENCH_TICKET_MEMBERS,
BENCH_TICKET_CAPACITY, BENCH_CONCURRENCY, BENCH_DRAIN_TIMEOUT (300 s), plus
AMQP_URI / DATABASE_URL / RABBIT_API_URI.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import datetime  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from contextlib import ExitStack  # noqa: E402

import common  # noqa: E402
import requests  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

TICKETS = common.env_int("BENCH_TICKETS", 1000)
GROUPS = common.env_int("BENCH_TICKET_GROUPS", 5)
MEMBERS = common.env_int("BENCH_TICKET_MEMBERS", 20)
CAPACITY = common.env_int("BENCH_TICKET_CAPACITY", 10)
CONCURRENCY = common.env_int("BENCH_CONCURRENCY", 32)
DRAIN_TIMEOUT = common.env_float("BENCH_DRAIN_TIMEOUT", 300)
PINGS = common.env_int("BENCH_PINGS", 500)
RPC_TIMEOUT = 60


class Api:
    def __init__(self, system):
        self.base_url, self.session = system.base_url, requests.Session()
        self.session.headers.update(system.headers())

    def post(self, path, body, status=201):
        response = self.session.post(self.base_url + path, json=body, timeout=60)
        if response.status_code != status:
            raise RuntimeError("{} {}: {} {}".format("POST", path, response.status_code, response.text))
        return response.json()


def setup_groups(system):
    """GROUPS ticket types and support groups of MEMBERS users each; returns the type ids."""
    api = Api(system)

    def user(n):
        return api.post(
            "/api/v1/users",
            {
                "username": "bench{}_{}".format(os.getpid(), n),
                "password": "bench-password-{}".format(n),
                "full_name": "Member {}".format(n),
            },
        )["id"]

    user_ids = list(eventlet.GreenPool(8).imap(user, range(GROUPS * MEMBERS)))
    type_ids = []
    for g in range(GROUPS):
        ticket_type = api.post("/api/v1/ticket-types", {"name": "Bench type {}".format(g)})
        members = [
            {"user_id": user_id, "priority": MEMBERS - i, "capacity": CAPACITY}
            for i, user_id in enumerate(user_ids[g * MEMBERS : (g + 1) * MEMBERS])
        ]
        api.post(
            "/api/v1/support-groups",
            {"name": "Bench group {}".format(g), "ticket_type_ids": [ticket_type["id"]], "members": members},
        )
        type_ids.append(ticket_type["id"])
    return type_ids


def admin_context(system):
    me = requests.get(system.base_url + "/api/v1/me", headers=system.headers(), timeout=30).json()
    return {
        "actor": {
            "id": me["id"],
            "username": me["username"],
            "roles": me["roles"],
            "department_id": me["department_id"],
            "managed_department_ids": [],
        }
    }


def ping_round_trips(system):
    latencies = []
    with ClusterRpcProxy({"AMQP_URI": system.amqp_uri}, timeout=RPC_TIMEOUT) as proxy:
        for _ in range(20):
            proxy.tickets.ping()
        started = time.time()
        for _ in range(PINGS):
            began = time.perf_counter()
            proxy.tickets.ping()
            latencies.append(time.perf_counter() - began)
    return common.summarize(latencies, time.time() - started)


def burst(system, context, type_ids, label):
    """Create TICKETS tickets concurrently; returns their ids and the creation figures."""
    config = {"AMQP_URI": system.amqp_uri}
    numbers = list(range(TICKETS))
    with ExitStack() as stack:
        proxies = [
            stack.enter_context(ClusterRpcProxy(config, context_data=context, timeout=RPC_TIMEOUT))
            for _ in range(CONCURRENCY)
        ]

        def client(index):
            proxy, made = proxies[index], []
            for n in numbers[index::CONCURRENCY]:
                made.append(
                    proxy.tickets.create_ticket(
                        {"title": "{} #{}".format(label, n), "type_id": type_ids[n % len(type_ids)]}
                    )["id"]
                )
            return made

        started = time.time()
        ids = [i for made in eventlet.GreenPool(CONCURRENCY).imap(client, range(CONCURRENCY)) for i in made]
        elapsed = time.time() - started
    return ids, elapsed


def wait_drained(engine, ids):
    deadline = time.time() + DRAIN_TIMEOUT
    while time.time() < deadline:
        with engine.connect() as connection:
            waiting = connection.scalar(
                text("SELECT count(*) FROM tickets WHERE id = ANY(:ids) AND status = 'unassigned'"), {"ids": ids}
            )
        if not waiting:
            return True
        time.sleep(0.2)
    return False


def assignment_figures(engine, ids):
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT extract(epoch FROM assigned_at - created_at), created_at, assigned_at "
                "FROM tickets WHERE id = ANY(:ids) AND assigned_at IS NOT NULL"
            ),
            {"ids": ids},
        ).all()
        double = connection.scalar(
            text(
                "SELECT count(*) FROM (SELECT ticket_id FROM ticket_history WHERE ticket_id = ANY(:ids) "
                "AND action = 'assigned' GROUP BY ticket_id HAVING count(*) > 1) AS twice"
            ),
            {"ids": ids},
        )
        over = connection.scalar(
            text(
                "SELECT count(*) FROM (SELECT t.group_id, t.assignee_id, count(*) AS n, min(m.capacity) AS capacity "
                "FROM tickets t JOIN group_members m ON m.group_id = t.group_id AND m.user_id = t.assignee_id "
                "WHERE t.status IN ('assigned', 'in_progress') GROUP BY t.group_id, t.assignee_id) AS held "
                "WHERE n > capacity"
            )
        )
    delays = sorted(float(row[0]) for row in rows)
    drain = (max(row[2] for row in rows) - min(row[1] for row in rows)).total_seconds() if rows else None
    stats = common.summarize(delays, drain or 0)
    return dict(
        assigned=len(rows), p50_ms=stats["p50_ms"], p99_ms=stats["p99_ms"], drain=drain, double=double, over=over
    )


def close_tickets(engine, ids):
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE tickets SET status = 'done', completed_at = now() WHERE id = ANY(:ids) "
                "AND status IN ('assigned', 'in_progress')"
            ),
            {"ids": ids},
        )


def start_instances(system, count):
    processes = []
    for _ in range(count):
        command = [
            os.path.join(os.path.dirname(common.python()), "nameko"),
            "run",
            "--config",
            os.path.join(common.ROOT, "services", "tickets", "config.yml"),
            "services.tickets.service",
        ]
        processes.append(
            subprocess.Popen(
                command,
                cwd=common.ROOT,
                env=system.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    return processes


def wait_consumers(system, count, timeout=60):
    """Until ``count`` consumers read the tickets RPC queue (every instance is up)."""
    manager = system.infra.rabbit_manager()
    vhost = system.amqp_uri.rsplit("/", 1)[1]
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if manager.get_queue(vhost, "rpc-tickets").get("consumers", 0) >= count:
                return True
        except Exception:
            pass
        time.sleep(0.3)
    return False


def stop(processes):
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    results = []
    with common.running_system(LOG_LEVEL="WARNING") as system:
        engine = create_engine(system.database_url("tickets"))
        extra = []
        try:
            common.say("creating {} groups of {} members".format(GROUPS, MEMBERS))
            type_ids = setup_groups(system)
            context = admin_context(system)
            ping = ping_round_trips(system)
            for instances in (1, 3):
                if instances > 1:
                    extra = start_instances(system, instances - 1)
                    if not wait_consumers(system, instances):
                        raise RuntimeError("the extra tickets instances did not start")
                    time.sleep(1)
                common.say("burst of {} tickets, {} instance(s)".format(TICKETS, instances))
                ids, created_in = burst(system, context, type_ids, "burst{}".format(instances))
                if not wait_drained(engine, ids):
                    raise RuntimeError("tickets still waiting {}s after the burst".format(DRAIN_TIMEOUT))
                figures = assignment_figures(engine, ids)
                figures.update(instances=instances, created_in=created_in)
                results.append(figures)
                close_tickets(engine, ids)
                time.sleep(1)
        finally:
            stop(extra)
            engine.dispose()

    print()
    print(
        "Tickets dispatcher, {} UTC, {} cores, Python {}: {} tickets into {} groups of {} members "
        "(capacity {}), {} concurrent callers".format(
            datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
            os.cpu_count(),
            platform.python_version(),
            TICKETS,
            GROUPS,
            MEMBERS,
            CAPACITY,
            CONCURRENCY,
        )
    )
    print()
    rows = [
        [
            "raw RPC tickets.ping, serial (baseline)",
            1,
            common.fmt(ping["count"]),
            "-",
            common.fmt(ping["p50_ms"], "{:.1f}"),
            common.fmt(ping["p99_ms"], "{:.1f}"),
            "-",
            "-",
            "-",
        ]
    ]
    for r in results:
        rows.append(
            [
                "burst: creation → assignment",
                r["instances"],
                common.fmt(r["assigned"]),
                common.fmt(TICKETS / r["created_in"]),
                common.fmt(r["p50_ms"], "{:.1f}"),
                common.fmt(r["p99_ms"], "{:.1f}"),
                common.fmt(r["drain"], "{:.2f}"),
                r["double"],
                r["over"],
            ]
        )
    common.print_table(
        [
            "measurement",
            "instances",
            "tickets / calls",
            "created/s",
            "p50 ms",
            "p99 ms",
            "drain s",
            "assigned twice",
            "over capacity",
        ],
        rows,
    )
    ok = all(r["assigned"] == TICKETS and r["double"] == 0 and r["over"] == 0 for r in results)
    return 0 if ok and len(results) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
