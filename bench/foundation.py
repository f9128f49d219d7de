"""Foundation figures: what one nameko RPC costs, and what the gateway adds on top.

    .venv/bin/python bench/foundation.py        (or `make bench`, which runs every bench/*.py)

Starts the whole system (bench/common.py: free port, own databases and vhost),
then measures, in the same run:

1. raw nameko RPC round trips to ``directory.ping`` from a standalone
   ``ClusterRpcProxy``: serially, then from BENCH_CONCURRENCY (32) green threads,
   each with its own proxy (one shared standalone proxy is NOT safe across green
   threads: its reply consumer drains one socket, and eventlet raises "Second
   simultaneous read on fileno"),
2. the gateway's ``GET /api/v1/me`` (answered from the gateway's kept actor) under BENCH_CONCURRENCY keep-alive HTTP
   clients (``wrk`` when installed, else a multi-process Python client),
3. the ratio gateway req/s / raw 32-concurrent RPC req/s.

Environment: BENCH_DURATION (seconds per measured phase, default 10),
BENCH_WARMUP (seconds before each, default 2), BENCH_CONCURRENCY (32),
BENCH_HTTP_CLIENT (wrk|python, default wrk when installed), BENCH_WRK_THREADS (1),
BENCH_CLIENT_PROCESSES (python client processes, default the core count),
BENCH_WAIT_QUIET (wait up to that many seconds for the machine to be < 25% busy, default 0),
plus AMQP_URI / DATABASE_URL / RABBIT_API_URI for the infrastructure.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import datetime  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from contextlib import ExitStack  # noqa: E402

import common  # noqa: E402
import requests  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

DURATION = common.env_float("BENCH_DURATION", 10)
WARMUP = common.env_float("BENCH_WARMUP", 2)
CONCURRENCY = common.env_int("BENCH_CONCURRENCY", 32)
RPC_TIMEOUT = 30


def call_for(proxy, seconds, latencies=None):
    """Call ``directory.ping`` back to back for ``seconds``; appends latencies (s); returns errors."""
    errors = 0
    deadline = time.perf_counter() + seconds
    while True:
        began = time.perf_counter()
        if began >= deadline:
            return errors
        try:
            ok = proxy.directory.ping() == "pong"
        except Exception:
            ok = False
        if not ok:
            errors += 1
        elif latencies is not None:
            latencies.append(time.perf_counter() - began)


def rpc_serial(system, cpu_pids):
    with ClusterRpcProxy({"AMQP_URI": system.amqp_uri}, timeout=RPC_TIMEOUT) as proxy:
        call_for(proxy, WARMUP)
        latencies = []
        meter = common.CpuMeter(cpu_pids)
        began = time.perf_counter()
        errors = call_for(proxy, DURATION, latencies)
        elapsed = time.perf_counter() - began
        cpu = meter.stop()
    return common.summarize(latencies, elapsed, errors), cpu


def rpc_concurrent(system, cpu_pids):
    config = {"AMQP_URI": system.amqp_uri}
    with ExitStack() as stack:
        proxies = [stack.enter_context(ClusterRpcProxy(config, timeout=RPC_TIMEOUT)) for _ in range(CONCURRENCY)]
        pool = eventlet.GreenPool(CONCURRENCY)
        list(pool.imap(lambda proxy: call_for(proxy, WARMUP), proxies))
        per_caller = [[] for _ in proxies]
        meter = common.CpuMeter(cpu_pids)
        began = time.perf_counter()
        errors = sum(pool.imap(lambda args: call_for(args[0], DURATION, args[1]), zip(proxies, per_caller)))
        elapsed = time.perf_counter() - began
        cpu = meter.stop()
    return common.summarize([v for values in per_caller for v in values], elapsed, errors), cpu


def gateway_me(system, cpu_pids):
    url = system.base_url + "/api/v1/me"
    response = requests.get(url, headers=system.headers(), timeout=30)
    if response.status_code != 200:
        raise RuntimeError("GET /api/v1/me answered {}: {}".format(response.status_code, response.text))
    if WARMUP >= 1:
        common.http_load(url, system.headers(), CONCURRENCY, WARMUP)
    meter = common.CpuMeter(cpu_pids)
    result = common.http_load(url, system.headers(), CONCURRENCY, DURATION)
    cpu = meter.stop(result.get("child_cpu", 0.0))
    return result, cpu


def main():
    cores = os.cpu_count() or 1
    started = time.time()
    background = common.wait_quiet()
    with common.running_system() as system:
        pids = system.pids()
        cpu_pids = {
            "gateway": pids["gateway"],
            "directory": pids["directory"],
            "other services": [pid for name, pid in pids.items() if name not in ("gateway", "directory")]
            + [system.launcher_pid],
            "rabbitmq": lambda: common.pids_named("beam.smp"),
            "postgres": lambda: common.pids_named("postgres"),
        }
        common.say("raw RPC, serial ({}s)".format(DURATION))
        serial, serial_cpu = rpc_serial(system, cpu_pids)
        common.say("raw RPC, {} concurrent callers ({}s)".format(CONCURRENCY, DURATION))
        concurrent, concurrent_cpu = rpc_concurrent(system, cpu_pids)
        common.say("gateway GET /api/v1/me, {} concurrent clients ({}s)".format(CONCURRENCY, DURATION))
        gateway, gateway_cpu = gateway_me(system, cpu_pids)

    ratio = gateway["rate"] / concurrent["rate"] if concurrent["rate"] else None
    now = datetime.datetime.now(datetime.UTC)
    print("## Foundation: nameko RPC vs. the gateway")
    print()
    print(
        "measured {} UTC, {} cores ({}), Python {}, {}s per phase after {}s warm-up".format(
            now.strftime("%Y-%m-%d %H:%M"), cores, platform.machine(), platform.python_version(), DURATION, WARMUP
        )
    )
    print()
    rows = []
    for label, tool, concurrency, result in (
        ("raw RPC directory.ping, serial", "ClusterRpcProxy", 1, serial),
        (
            "raw RPC directory.ping, concurrent",
            "{} ClusterRpcProxy, eventlet GreenPool".format(CONCURRENCY),
            CONCURRENCY,
            concurrent,
        ),
        ("gateway GET /api/v1/me", gateway["tool"], CONCURRENCY, gateway),
    ):
        rows.append(
            [
                label,
                tool,
                concurrency,
                common.fmt(result["count"]),
                common.fmt(result["rate"]),
                common.fmt(result["p50_ms"], "{:.2f}"),
                common.fmt(result["p99_ms"], "{:.2f}"),
                common.fmt(result["errors"]),
            ]
        )
    rows.append(
        ["ratio gateway / raw concurrent RPC", "req/s ÷ req/s", "", "", common.fmt(ratio, "{:.2f}x"), "", "", ""]
    )
    common.print_table(
        ["measurement", "client", "concurrency", "requests", "req/s", "p50 ms", "p99 ms", "errors"], rows
    )
    print()
    print("CPU during each measured phase, % of one core (this machine has {} cores = {}%):".format(cores, 100 * cores))
    print()
    names = [
        "gateway",
        "directory",
        "other services",
        "rabbitmq",
        "postgres",
        "this script",
        "load generator",
        "other processes",
        "irq+steal",
        "machine",
    ]
    cpu_rows = []
    for label, usage in (
        ("raw RPC, serial", serial_cpu),
        ("raw RPC, concurrent", concurrent_cpu),
        ("gateway /me", gateway_cpu),
    ):
        accounted = sum(usage[name] for name in names if name != "machine")
        cpu_rows.append(
            [label]
            + ["{:.0f}".format(usage[name]) for name in names]
            + ["{:.0f}".format(max(0.0, usage["machine"] - accounted))]
        )
    common.print_table(["phase"] + names + ["unaccounted"], cpu_rows)
    print()
    print("Notes:")
    print("- GET /api/v1/me = JWT check, no RPC once the gateway keeps the user (the first: directory.get_actor);")
    print("  directory.ping touches no database. One process per service; the gateway has max_workers=64.")
    print(
        "- The load generator shares the {} cores with the system under test: in the RPC phases it is this".format(
            cores
        )
    )
    print("  script (one Python process, one core at most); in the gateway phase it is {}.".format(gateway["tool"]))
    print("  'machine' near {}% means the box was saturated, so figures are a lower bound.".format(100 * cores))
    print("- 'other processes' = everything else running on the box (not part of this benchmark);")
    print("  'unaccounted' = machine minus the other columns (processes that exited meanwhile, rounding).")
    print("  rabbitmq and postgres are the shared local servers: their columns include other users' work.")
    print("  Machine busy during 1s before the run: {:.0f}% of one core.".format(background))
    if background > 25 * cores:
        print(
            "- WARNING: the machine was already {:.0f}% busy before the run (other work on the box);".format(background)
        )
        print("  these figures are disturbed: rerun on a quiet machine (BENCH_WAIT_QUIET=<seconds> waits for one).")
    print("- Total wall time: {:.0f}s.".format(time.time() - started))
    sys.stdout.flush()
    failed = serial["errors"] or concurrent["errors"] or gateway["errors"]
    return 1 if failed or not (serial["count"] and concurrent["count"] and gateway["count"]) else 0


if __name__ == "__main__":
    sys.exit(main())
