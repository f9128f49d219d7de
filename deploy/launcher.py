"""Run the whole CRM locally, one process per service, as containers would.

    python deploy/launcher.py check     # can RabbitMQ and PostgreSQL be reached?
    python deploy/launcher.py prepare   # create databases, migrate, seed the first admin
    python deploy/launcher.py run       # check + prepare + run everything in the foreground
    python deploy/launcher.py reset     # drop this system's databases (asks; FORCE=1 does not)

Environment: AMQP_URI, DATABASE_URL, DATABASE_PREFIX, GATEWAY_PORT,
CRM_ADMIN_USERNAME / CRM_ADMIN_PASSWORD, JWT_SECRET (else generated once into
var/jwt_secret; see README.md).

``run`` supervises its children as an orchestrator would: a child that dies is started
again after a growing pause (0.5 s, doubling, at most 10 s) with a line saying so, while
the others keep serving; the launcher gives up, stopping everything with exit status 1,
only when one child died more than ``CRM_MAX_RESTARTS`` (5) times within
``CRM_RESTART_WINDOW_SECONDS`` (60).  ``CRM_INSTANCES=2`` runs two processes of every
service (competing consumers) and two gateways on the same port (``SO_REUSEPORT``).
Ctrl-C (or SIGTERM) stops every child with SIGTERM, which lets running workers finish,
and kills what is still there after ``CRM_STOP_SECONDS`` (30).
"""

import os
import secrets
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from services.core.registry import PARTS, part  # noqa: E402  (ROOT is on sys.path now)

DIRECTORY = part("directory")  # who seeds the first admin

PYTHON = sys.executable
NAMEKO = os.path.join(os.path.dirname(PYTHON), "nameko")


def say(message):
    print("[crm] " + message, flush=True)


def check():
    """One sentence and False when the broker or the database cannot be reached."""
    from kombu import Connection

    from services.core.config import load_config
    from services.core.manage import main as manage

    amqp_uri = load_config(DIRECTORY.config_path)["AMQP_URI"]
    try:
        with Connection(amqp_uri, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        say("Cannot reach RabbitMQ at {} ({}).".format(amqp_uri.split("@")[-1], exc))
        return False
    return manage(["check", DIRECTORY.config_path]) == 0


def prepare():
    from services.core.manage import main as manage

    if manage(["prepare"]) != 0:  # every part of the registry
        return False
    say("databases migrated")
    seeded = subprocess.run([PYTHON, "-m", DIRECTORY.package + ".admin", DIRECTORY.config_path], cwd=ROOT)
    return seeded.returncode == 0


def reset():
    """Drop every database of this system (``DATABASE_PREFIX``) and its event queues, after a yes
    (or with ``FORCE=1``); the next ``run`` starts empty, with only the first admin."""
    from services.core.config import load_config
    from services.core.manage import main as manage

    names = [load_config(each.config_path)["DATABASE"]["NAME"] for each in PARTS]
    if os.environ.get("FORCE") != "1":
        if not sys.stdin.isatty():
            say("reset drops {}; run it in a terminal to confirm, or with FORCE=1.".format(", ".join(names)))
            return False
        answer = input("[crm] Drop the databases {} and everything in them? [y/N] ".format(", ".join(names)))
        if answer.strip().lower() not in ("y", "yes"):
            say("nothing dropped")
            return False
    if manage(["reset"]) != 0:
        return False
    say("dropped {}; the next run starts empty".format(", ".join(names)))
    return True


def local_jwt_secret():
    """``JWT_SECRET`` if set, else a random secret made on first run and kept in the local data folder.

    The folder (``CRM_VAR_DIR``, default ``var/``) is not in git; tokens stay valid across restarts.
    """
    if os.environ.get("JWT_SECRET"):
        return os.environ["JWT_SECRET"]
    folder = os.path.join(ROOT, os.environ.get("CRM_VAR_DIR", "var"))
    path = os.path.join(folder, "jwt_secret")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_urlsafe(48))
        say("generated a JWT secret in {} (set JWT_SECRET in production)".format(os.path.relpath(path, ROOT)))
    with open(path) as stream:
        return stream.read().strip()


def instances():
    """``CRM_INSTANCES`` (default 1): how many processes of every service and of the gateway run."""
    try:
        count = int(os.environ.get("CRM_INSTANCES", "1"))
    except ValueError:
        count = 0
    if count < 1:
        raise SystemExit("[crm] CRM_INSTANCES must be a whole number of at least 1.")
    return count


def commands(count=1):
    """``(name, command)`` of every child: ``count`` instances of each service and of the gateway.

    The gateway instances share one port: eventlet's ``listen`` (under nameko's web server) sets
    ``SO_REUSEPORT``, so the kernel spreads the connections over every instance listening there.
    """
    for each in PARTS:
        for number in range(1, count + 1):
            name = each.name if number == 1 else "{}#{}".format(each.name, number)
            yield name, [NAMEKO, "run", "--config", each.config_path, each.module]


class Child:
    """One supervised process: restarted with a growing pause when it dies; given up on when it dies
    ``max_restarts`` times within ``window`` seconds (it cannot run: a bug, a bad configuration)."""

    def __init__(self, name, command, max_restarts, window):
        self.name, self.command = name, command
        self.max_restarts, self.window = max_restarts, window
        self.process = None
        self.deaths = []  # times of recent deaths
        self.restart_at = None

    def start(self):
        self.process = subprocess.Popen(self.command, cwd=ROOT, start_new_session=True)
        self.restart_at = None

    def died(self, now):
        """Called once when the process is found dead: plans the restart; False to give up."""
        self.deaths = [t for t in self.deaths if now - t < self.window] + [now]
        if len(self.deaths) > self.max_restarts:
            return False
        self.restart_at = now + min(0.5 * 2 ** (len(self.deaths) - 1), 10.0)
        return True

    def running(self):
        return self.process is not None and self.process.poll() is None


def run():
    count = instances()
    if not check() or not prepare():
        return 1
    max_restarts = int(os.environ.get("CRM_MAX_RESTARTS", "5"))
    window = float(os.environ.get("CRM_RESTART_WINDOW_SECONDS", "60"))
    stop_seconds = float(os.environ.get("CRM_STOP_SECONDS", "30"))
    children = [Child(name, command, max_restarts, window) for name, command in commands(count)]
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    os.environ["JWT_SECRET"] = local_jwt_secret()
    for child in children:
        child.start()
    port = os.environ.get("GATEWAY_PORT", "8000")
    say(
        "started {}; gateway on http://127.0.0.1:{} (Ctrl-C stops everything)".format(
            ", ".join("{} (pid {})".format(c.name, c.process.pid) for c in children), port
        )
    )
    status = 0
    while not stopping:
        now = time.time()
        for child in children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.start()
                    say("{} restarted (pid {})".format(child.name, child.process.pid))
            elif not child.running():
                code = child.process.returncode
                if not child.died(now):
                    say(
                        "{} keeps dying ({} exits within {:.0f}s, last status {}); stopping everything".format(
                            child.name, len(child.deaths), window, code
                        )
                    )
                    status, stopping = 1, True
                    break
                say(
                    "{} exited with status {}; restarting it in {:.1f}s".format(
                        child.name, code, child.restart_at - now
                    )
                )
        time.sleep(0.2)
    _stop_all(children, stop_seconds)
    say("stopped")
    return status


def _stop_all(children, seconds):
    """SIGTERM to every child (nameko lets running workers finish), SIGKILL to those still there
    after ``seconds``."""
    for child in children:
        if child.running():
            child.process.send_signal(signal.SIGTERM)
    deadline = time.time() + seconds
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            say("{} did not stop within {:.0f}s; killing it".format(child.name, seconds))
            child.process.kill()
            child.process.wait()


def main(argv):
    command = argv[1] if len(argv) > 1 else "run"
    if command == "check":
        return 0 if check() else 1
    if command == "prepare":
        return 0 if check() and prepare() else 1
    if command == "run":
        return run()
    if command == "reset":
        return 0 if check() and reset() else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
