"""Shared helpers for the benchmark scripts in ``bench/`` (not a benchmark itself).

    import common                      # bench/ is sys.path[0] when a script runs as `python bench/x.py`
    with common.running_system() as system:
        system.base_url, system.token, system.amqp_uri

``running_system()`` starts the whole CRM through ``deploy/harness.py`` (the one
harness the end-to-end tests use too): exactly as ``make run`` does, but on a free
port, with its own databases (``DATABASE_PREFIX=crmbench<pid>``) and a fresh RabbitMQ
vhost, so a benchmark never touches the developer's ``crm_*`` databases or port
8000; the databases and the vhost are dropped afterwards, even when the benchmark
fails.  It then signs the admin in.

Infrastructure comes from the same variables as the tests: ``AMQP_URI`` (the
broker, default vhost), ``DATABASE_URL`` (PostgreSQL server URL without a
database name) and ``RABBIT_API_URI`` (management API, derived from AMQP_URI).

Also here: ``env_int``/``env_float`` (sizes from the environment),
``percentile``/``summarize`` (latency statistics), ``CpuMeter`` (who used the
CPU during a phase), ``http_load`` (``wrk`` or a Python fallback) and
``print_table``.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
if ROOT not in sys.path:
    sys.path.insert(1, ROOT)

from deploy import harness  # noqa: E402
from deploy.harness import free_port  # noqa: E402, F401  (bench scripts use common.free_port)


def python():
    """The project's interpreter (the venv's when it exists)."""
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


# -- configuration -------------------------------------------------------------


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))


def say(message):
    print("[bench] " + message, file=sys.stderr, flush=True)


# -- the running system ------------------------------------------------------------


class System:
    """deploy/harness.py's running system (``base_url``, ``amqp_uri``, ``env``, ``pids()``,
    ``database_url(name)``, ``log()``...) plus the admin's bearer ``token``."""

    def __init__(self, running, token):
        self.running = running
        self.token = token

    def __getattr__(self, name):
        return getattr(self.running, name)

    def headers(self):
        return {"Authorization": "Bearer " + self.token}


@contextlib.contextmanager
def running_system(start_timeout=None, **extra_env):
    """Every service and the gateway (deploy/harness.py: free port, own databases ``crmbench<pid>_*``
    and vhost, all dropped afterwards), the admin signed in; yields a :class:`System`.

    ``extra_env`` overrides the launcher's environment (e.g. ``LOG_LEVEL="WARNING"``).
    """
    import requests

    infra = harness.Infra.from_environment(local_defaults=True)
    timeout = start_timeout or env_float("BENCH_START_TIMEOUT", 120)
    started = time.time()
    with harness.running_system(
        infra, name="crmbench", env=extra_env, python=python(), start_timeout=timeout
    ) as running:
        response = requests.post(
            running.base_url + "/api/v1/auth/login",
            json={"username": "admin", "password": running.admin_password},
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError("admin login failed: {} {}".format(response.status_code, response.text))
        say(
            "system up on {} in {:.1f}s (databases {}_*, vhost {})".format(
                running.base_url, time.time() - started, running.database_prefix, running.amqp_uri.rsplit("/", 1)[-1]
            )
        )
        yield System(running, response.json()["access_token"])


# -- statistics ------------------------------------------------------------------------


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))  # ceil
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(latencies, elapsed, errors=0):
    """``latencies`` in seconds -> dict(count, errors, rate, p50_ms, p99_ms, elapsed)."""
    values = sorted(latencies)
    ms = lambda value: None if value is None else value * 1000.0  # noqa: E731
    return {
        "count": len(values),
        "errors": errors,
        "elapsed": elapsed,
        "rate": len(values) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": ms(percentile(values, 0.50)),
        "p99_ms": ms(percentile(values, 0.99)),
    }


# -- CPU accounting ------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid):
    """utime + stime of a process (seconds), 0 when it is gone."""
    try:
        with open("/proc/{}/stat".format(pid)) as stream:
            fields = stream.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def pids_named(comm):
    """Pids whose command name (``/proc/<pid>/comm``) is ``comm``, e.g. ``postgres``, ``beam.smp``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/{}/comm".format(entry)) as stream:
                    if stream.read().strip() == comm:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def machine_busy(seconds=1.0):
    """% of one core the whole machine was busy over the next ``seconds``."""
    before = _machine_cpu()
    time.sleep(seconds)
    after = _machine_cpu()
    total = after[1] - before[1]
    return 100.0 * (os.cpu_count() or 1) * (after[0] - before[0]) / total if total > 0 else 0.0


def wait_quiet(timeout=None, threshold=25.0):
    """Wait up to ``timeout`` (BENCH_WAIT_QUIET, default 0) seconds for the machine to be under
    ``threshold`` % busy per core; returns the last busy figure (% of one core, over 1s)."""
    timeout = env_float("BENCH_WAIT_QUIET", 0) if timeout is None else timeout
    deadline = time.time() + timeout
    said = 0.0
    while True:
        busy = machine_busy(1.0)
        if busy < threshold * (os.cpu_count() or 1) or time.time() >= deadline:
            return busy
        if time.time() - said >= 15:
            say(
                "machine {:.0f}% busy; waiting up to {:.0f}s more for it to calm down".format(
                    busy, deadline - time.time()
                )
            )
            said = time.time()
        time.sleep(1)


def _all_pids():
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _kernel_cpu():
    """(irq + softirq, steal) seconds over every core since boot."""
    with open("/proc/stat") as stream:
        values = [int(v) for v in stream.readline().split()[1:]] + [0] * 8
    return (values[5] + values[6]) / CLOCK_TICKS, values[7] / CLOCK_TICKS


def _machine_cpu():
    """(busy, total) seconds over every core since boot."""
    with open("/proc/stat") as stream:
        values = [int(v) for v in stream.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


class CpuMeter:
    """CPU used during a phase, in % of one core (a 2-core machine has 200%).

    ``meter = CpuMeter({"gateway": pid, ...}); ...; usage = meter.stop()`` ->
    ``{"gateway": 93.0, ..., "this script": .., "load generator": .., "other processes": ..,
    "irq+steal": .., "machine": ..}``: the load generator is whatever child processes were
    waited for meanwhile (e.g. wrk); "other processes" is every other process still alive at
    the end (other work on the box); "machine" is the whole box, from /proc/stat.
    """

    def __init__(self, pids):
        """``pids``: name -> a pid, a list of pids, or a callable returning pids (re-read at stop)."""
        self.pids = dict(pids)
        self.start = time.time()
        self.before = {name: self._cpu(spec) for name, spec in self.pids.items()}
        self.self_before = self._own()
        self.children_before = self._children()
        self.all_before = self._cpu(_all_pids)
        self.machine_before = _machine_cpu()
        self.kernel_before = _kernel_cpu()

    @staticmethod
    def _cpu(spec):
        pids = spec() if callable(spec) else ([spec] if isinstance(spec, int) else list(spec))
        return {pid: _process_cpu(pid) for pid in pids}

    @staticmethod
    def _own():
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    @staticmethod
    def _children():
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def stop(self, extra_children=0.0):
        wall = max(time.time() - self.start, 1e-9)
        pct = lambda seconds: 100.0 * seconds / wall  # noqa: E731
        usage, ours = {}, {os.getpid()}
        for name, spec in self.pids.items():
            after = self._cpu(spec)
            ours.update(after)
            # processes gone meanwhile drop out; new ones count from 0
            usage[name] = pct(sum(after[pid] - self.before[name].get(pid, 0.0) for pid in after))
        everything = self._cpu(_all_pids)
        usage["other processes"] = pct(
            sum(cpu - self.all_before.get(pid, 0.0) for pid, cpu in everything.items() if pid not in ours)
        )
        usage["irq+steal"] = pct(sum(_kernel_cpu()) - sum(self.kernel_before))
        usage["this script"] = pct(self._own() - self.self_before)
        usage["load generator"] = pct(self._children() - self.children_before + extra_children)
        busy, total = _machine_cpu()
        busy_delta, total_delta = busy - self.machine_before[0], total - self.machine_before[1]
        cores = os.cpu_count() or 1
        usage["machine"] = 100.0 * cores * busy_delta / total_delta if total_delta > 0 else 0.0
        return usage


# -- HTTP load -------------------------------------------------------------------------


def http_load(url, headers=None, connections=32, duration=10.0, generator=None):
    """Hammer ``GET url`` with ``connections`` keep-alive clients for ``duration`` seconds.

    Uses ``wrk`` when installed (``BENCH_HTTP_CLIENT=wrk|python`` forces one);
    returns dict(tool, count, errors, rate, p50_ms, p99_ms, elapsed, child_cpu).
    ``child_cpu`` is CPU seconds of load-generator processes not visible to
    RUSAGE_CHILDREN (none: both are waited-for children).
    """
    generator = generator or os.environ.get("BENCH_HTTP_CLIENT") or ("wrk" if shutil.which("wrk") else "python")
    if generator == "wrk":
        return _wrk(url, headers or {}, connections, duration)
    return _python_load(url, headers or {}, connections, duration)


def _wrk(url, headers, connections, duration):
    threads = min(env_int("BENCH_WRK_THREADS", 1), connections)
    command = [
        "wrk",
        "-t{}".format(threads),
        "-c{}".format(connections),
        "-d{}s".format(int(round(duration))),
        "--latency",
        "--timeout",
        "30s",
    ]
    for name, value in headers.items():
        command += ["-H", "{}: {}".format(name, value)]
    command.append(url)
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    out = result.stdout
    if result.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError("wrk failed ({}): {}{}".format(result.returncode, out, result.stderr))
    count = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    elapsed_value, elapsed_unit = re.search(r"\d+ requests in ([\d.]+)(\w+)", out).groups()
    elapsed = float(elapsed_value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[elapsed_unit]
    errors = 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if match:
        errors += int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if match:
        errors += sum(int(v) for v in match.groups())

    def latency(label):
        match = re.search(r"^\s*{}%\s+([\d.]+)(us|ms|s|m)\s*$".format(label), out, re.M)
        if not match:
            return None
        return float(match.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match.group(2)]

    return {
        "tool": "wrk -t{} -c{}".format(threads, connections),
        "count": count,
        "errors": errors,
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "elapsed": elapsed,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "child_cpu": 0.0,
    }


def _python_load(url, headers, connections, duration):
    """Runs ``python bench/common.py http-load`` (a fresh, unpatched interpreter: processes x threads)."""
    processes = max(1, min(env_int("BENCH_CLIENT_PROCESSES", os.cpu_count() or 1), connections))
    command = [
        python(),
        os.path.abspath(__file__),
        "http-load",
        url,
        str(connections),
        str(duration),
        str(processes),
        json.dumps(headers),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    if result.returncode != 0:
        raise RuntimeError("python load generator failed: " + result.stderr[-3000:])
    data = json.loads(result.stdout)
    data["tool"] = "python ({} processes x threads, keep-alive requests.Session)".format(processes)
    data["child_cpu"] = 0.0
    return data


def _load_worker(url, headers, threads, start_at, end_at, queue):
    import threading

    import requests

    results = []

    def run():
        session = requests.Session()
        latencies, errors = [], 0
        while time.time() < start_at:
            time.sleep(0.001)
        while True:
            began = time.perf_counter()
            if time.time() >= end_at:
                break
            try:
                response = session.get(url, headers=headers, timeout=30)
                ok = response.status_code < 400
            except Exception:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - began)
            else:
                errors += 1
        results.append((latencies, errors))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put(([v for lat, _ in results for v in lat], sum(err for _, err in results)))


def _http_load_main(url, connections, duration, processes, headers):
    import multiprocessing

    queue = multiprocessing.Queue()
    start_at = time.time() + 1.0  # let every process start first
    end_at = start_at + duration
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    workers = [
        multiprocessing.Process(target=_load_worker, args=(url, headers, share, start_at, end_at, queue))
        for share in shares
        if share
    ]
    for worker in workers:
        worker.start()
    latencies, errors = [], 0
    for _ in workers:
        lat, err = queue.get()
        latencies.extend(lat)
        errors += err
    for worker in workers:
        worker.join()
    print(json.dumps(summarize(latencies, duration, errors)))


# -- output ------------------------------------------------------------------------------


def fmt(value, spec="{:,.0f}"):
    return "-" if value is None else spec.format(value)


def print_table(headers, rows, out=None):
    """A plain-text, Markdown-compatible table."""
    out = out or sys.stdout
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(re.match(r"^[-\d.,x%]*$", row[i]) for row in cells[1:]) for i in range(len(headers))]

    def line(row):
        return "| " + " | ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)) + " |"

    print(line(cells[0]), file=out)
    print(
        "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)) + "|",
        file=out,
    )
    for row in cells[1:]:
        print(line(row), file=out)
    out.flush()


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "http-load":
        _http_load_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), json.loads(sys.argv[6]))
    else:
        print(__doc__)
        sys.exit(2)
