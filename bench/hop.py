"""One hop against the floor: what a request through the gateway costs next to a bare nameko hop.

    .venv/bin/python bench/hop.py                                  (or `make bench`)
    BENCH_HOP_CUSTOMERS=20000 BENCH_DURATION=3 .venv/bin/python bench/hop.py   # a quick run

Starts the whole system (bench/common.py) and the floor (bench/_floor.py: a bare nameko ``@http``
→ ``@rpc`` echo, two processes, no auth, no database), seeds BENCH_HOP_CUSTOMERS customers
(default 100,000; bench/customers.py's ``INSERT ... SELECT ... FROM generate_series``, a few
seconds) owned by ten staff users, so one owner has a tenth of them, then measures, alternating
in one run (BENCH_ROUNDS rounds, default 2; BENCH_DURATION seconds each, default 5, after
BENCH_WARMUP, default 1) with BENCH_CLIENTS (16) keep-alive clients:

1. the floor, ``GET /echo``;
2. ``GET /api/v1/me`` (the owner's token);
3. ``GET /api/v1/customers/{id}`` as its owner;
4. ``GET /api/v1/customers?page_size=50`` as that owner (a tenth of the customers, plus those
   shared with them).

Prints each one's rate and its ratio to the floor measured in the same round (the median over
the rounds), the CPU each process used, and the CPU our processes spent per request (the
gateway, directory and customers; the echo pair for the floor), with its ratio to the floor's:
on a machine other work keeps busy, that ratio says what the rate ratio would be on a quiet one
better than the rates do.  Goals (issue 15): ``/me`` ≥ 1.0× the floor, the
detail ≥ 0.7×, the list ≥ 0.4×.  Exit status 1 when a phase had errors; with BENCH_STRICT=1 also
when a goal is missed.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import datetime  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402

import _floor  # noqa: E402
import common  # noqa: E402
import customers  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

CUSTOMERS = common.env_int("BENCH_HOP_CUSTOMERS", 100_000)
DURATION = common.env_float("BENCH_DURATION", 5)
WARMUP = common.env_float("BENCH_WARMUP", 1)
ROUNDS = common.env_int("BENCH_ROUNDS", 2)
CLIENTS = common.env_int("BENCH_CLIENTS", 16)
STRICT = os.environ.get("BENCH_STRICT") == "1"

GOALS = {"me": 1.0, "detail": 0.7, "list": 0.4}
PROCESSES = ("gateway", "directory", "customers", "echo_http", "echo_rpc", "rabbitmq", "postgres")
# the processes each request runs in (rabbitmq and postgres serve the other users of the machine too)
OURS = {"floor": ("echo_http", "echo_rpc")}
OURS_DEFAULT = ("gateway", "directory", "customers")


def cpu_per_request(key, measured):
    """Milliseconds of CPU our processes spent per request in one phase (robust to a busy machine,
    where the rate mostly says how much CPU the others left us)."""
    result, usage = measured
    spent = sum(usage.get(name, 0.0) for name in OURS.get(key, OURS_DEFAULT)) / 100.0 * result["elapsed"]
    return 1000.0 * spent / max(result["count"], 1)


def phases(system, floor, owner_token, customer_id):
    owner = {"Authorization": "Bearer " + owner_token}
    return [
        ("floor", "floor: GET /echo", floor.url, {}),
        ("me", "GET /api/v1/me", system.base_url + "/api/v1/me", owner),
        (
            "detail",
            "GET /api/v1/customers/{id} (owner)",
            system.base_url + "/api/v1/customers/{}".format(customer_id),
            owner,
        ),
        (
            "list",
            "GET /api/v1/customers?page_size=50 (owner)",
            system.base_url + "/api/v1/customers?page_size=50",
            owner,
        ),
    ]


def measure(url, headers, pids):
    if WARMUP > 0:
        common.http_load(url, headers, connections=CLIENTS, duration=WARMUP)
    meter = common.CpuMeter(pids)
    result = common.http_load(url, headers, connections=CLIENTS, duration=DURATION)
    return result, meter.stop(extra_children=result.get("child_cpu", 0.0))


def main():
    with common.running_system(LOG_LEVEL="WARNING") as system:
        admin = customers.Api(system.base_url, system.token)
        people = customers.make_people(admin)
        groups, types = customers.make_catalogue(admin)
        engine = create_engine(system.database_url("customers"))
        try:
            customers.seed(engine, people, groups, types, 1, CUSTOMERS)
        finally:
            engine.dispose()
        owner = admin.login(people["owners"][0]["username"], people["password"])
        customer_id = 10  # customer g is owned by owners[g % 10]
        visible = owner.call("GET", "/api/v1/customers", params={"page_size": 1})["total"]
        owner.call("GET", "/api/v1/customers/{}".format(customer_id))
        token = owner.session.headers["Authorization"].split(" ", 1)[1]
        with _floor.running_floor(system.amqp_uri) as floor:
            pids = dict(system.pids(), **floor.pids)
            pids["rabbitmq"] = lambda: common.pids_named("beam.smp")
            pids["postgres"] = lambda: common.pids_named("postgres")
            rounds = []
            for number in range(ROUNDS):
                measured = {}
                for key, label, url, headers in phases(system, floor, token, customer_id):
                    measured[key] = measure(url, headers, pids)
                    common.say(
                        "round {}: {}: {:,.0f} req/s, p50 {:.1f} ms".format(
                            number + 1, label, measured[key][0]["rate"], measured[key][0]["p50_ms"] or 0
                        )
                    )
                rounds.append(measured)
            labels = {key: label for key, label, _, _ in phases(system, floor, token, customer_id)}
    return report(rounds, labels, visible)


def report(rounds, labels, visible):
    print(
        "One hop against the floor, {} UTC, {} cores, Python {}: {} rounds of {:.0f} s, {} keep-alive clients, "
        "{:,} customers (the owner sees {:,})".format(
            datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
            os.cpu_count(),
            platform.python_version(),
            len(rounds),
            DURATION,
            CLIENTS,
            CUSTOMERS,
            visible,
        )
    )
    print()
    rows, missed, errors = [], [], 0
    for key, label in labels.items():
        results = [measured[key][0] for measured in rounds]
        ratios = [measured[key][0]["rate"] / max(measured["floor"][0]["rate"], 1e-9) for measured in rounds]
        ratio = statistics.median(ratios)
        errors += sum(result["errors"] for result in results)
        goal = GOALS.get(key)
        if goal is not None and ratio < goal:
            missed.append(key)
        rows.append(
            [
                label,
                " / ".join(common.fmt(result["rate"]) for result in results),
                "" if key == "floor" else "{:.2f}× ({})".format(ratio, " / ".join("{:.2f}".format(r) for r in ratios)),
                "" if goal is None else "≥ {:.1f}× {}".format(goal, "ok" if ratio >= goal else "MISSED"),
                common.fmt(statistics.median(result["p50_ms"] or 0 for result in results), "{:.1f}"),
                common.fmt(statistics.median(result["p99_ms"] or 0 for result in results), "{:.1f}"),
                common.fmt(sum(result["errors"] for result in results)),
            ]
        )
        floor_cpu = statistics.median(cpu_per_request("floor", measured["floor"]) for measured in rounds)
        cpu = statistics.median(cpu_per_request(key, measured[key]) for measured in rounds)
        rows[-1][4:4] = [
            common.fmt(cpu, "{:.2f}"),
            "" if key == "floor" else "{:.2f}×".format(floor_cpu / max(cpu, 1e-9)),
        ]
    common.print_table(
        [
            "request",
            "req/s per round",
            "÷ floor (median)",
            "goal",
            "CPU ms/req",
            "floor's CPU ÷ its",
            "p50 ms",
            "p99 ms",
            "errors",
        ],
        rows,
    )
    print()
    names = list(PROCESSES) + ["load generator", "other processes", "machine"]
    cpu_rows = []
    for key in labels:
        usage = {name: statistics.median(measured[key][1].get(name, 0.0) for measured in rounds) for name in names}
        cpu_rows.append([key] + [common.fmt(usage[name]) for name in names])
    common.print_table(["CPU, % of one core"] + names, cpu_rows)
    print()
    print("(a 2-core machine has 200 %; 'other processes' is what else ran meanwhile)")
    if errors:
        return 1
    return 1 if (missed and STRICT) else 0


if __name__ == "__main__":
    sys.exit(main())
