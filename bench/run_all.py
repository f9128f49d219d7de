"""Run every benchmark script in bench/, one after another (what `make bench` runs).

    .venv/bin/python bench/run_all.py                 # every bench/*.py
    .venv/bin/python bench/run_all.py customers       # only bench/customers.py (names or file names)

Each script runs as its own subprocess with the project's interpreter; its output
goes straight to this terminal.  A failing script does not stop the others;
the exit status is non-zero when any of them failed.  Skipped: this file, the
shared helpers (common.py and the like) and files starting with "_".
``foundation.py`` runs first (the baseline), the rest in alphabetical order.
"""

import os
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
NOT_BENCHMARKS = {"run_all.py", "common.py", "helpers.py", "util.py", "utils.py", "conftest.py", "__init__.py"}
FIRST = "foundation.py"


def python():
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def scripts(selected=()):
    found = sorted(
        name
        for name in os.listdir(BENCH_DIR)
        if name.endswith(".py") and name not in NOT_BENCHMARKS and not name.startswith("_")
    )
    found.sort(key=lambda name: name != FIRST)  # stable: foundation first, the rest alphabetical
    if selected:
        wanted = {name if name.endswith(".py") else name + ".py" for name in (os.path.basename(s) for s in selected)}
        missing = wanted - set(found)
        if missing:
            raise SystemExit("no such benchmark: {} (have: {})".format(", ".join(sorted(missing)), ", ".join(found)))
        found = [name for name in found if name in wanted]
    return found


def main(argv):
    names = scripts(argv[1:])
    if not names:
        print("[bench] no benchmark scripts in " + BENCH_DIR, flush=True)
        return 1
    results = []
    for name in names:
        print("\n[bench] ===== {} =====".format(name), flush=True)
        began = time.time()
        try:
            status = subprocess.call([python(), os.path.join(BENCH_DIR, name)], cwd=ROOT)
        except KeyboardInterrupt:
            print("\n[bench] interrupted during " + name, flush=True)
            return 130
        except OSError as exc:
            print("[bench] could not start {}: {}".format(name, exc), flush=True)
            status = -1
        results.append((name, status, time.time() - began))
        if status != 0:
            print("[bench] {} FAILED (exit status {})".format(name, status), flush=True)
    print("\n[bench] ===== summary =====", flush=True)
    for name, status, elapsed in results:
        print("[bench] {:<24} {:<6} {:6.0f}s".format(name, "ok" if status == 0 else "FAILED", elapsed), flush=True)
    failed = [name for name, status, _ in results if status != 0]
    if failed:
        print("[bench] {} of {} failed: {}".format(len(failed), len(results), ", ".join(failed)), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
