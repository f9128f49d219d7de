"""Run the whole CRM locally, one process per service, as containers would.

    python deploy/launcher.py check     # can RabbitMQ and PostgreSQL be reached?
    python deploy/launcher.py prepare   # create databases, migrate, seed the first admin
    python deploy/launcher.py run       # check + prepare + run everything in the foreground

Environment: AMQP_URI, DATABASE_URL, DATABASE_PREFIX, GATEWAY_PORT,
CRM_ADMIN_USERNAME / CRM_ADMIN_PASSWORD, JWT_SECRET (else generated once into
var/jwt_secret; see README.md).  Ctrl-C (or SIGTERM)
stops every process cleanly.
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


def commands():
    """``(name, command)`` of every part: the services, then the gateway."""
    for each in PARTS:
        yield each.name, [NAMEKO, "run", "--config", each.config_path, each.module]


def run():
    if not check() or not prepare():
        return 1
    children = {}
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    os.environ["JWT_SECRET"] = local_jwt_secret()
    for name, command in commands():
        children[name] = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    port = os.environ.get("GATEWAY_PORT", "8000")
    say("started {}; gateway on http://127.0.0.1:{} (Ctrl-C stops everything)".format(", ".join(children), port))
    status = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                say("{} exited with status {}; stopping everything".format(name, child.returncode))
                status, stopping = 1, True
                break
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.time() + 15
    for name, child in children.items():
        try:
            child.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            say("{} did not stop in time; killing it".format(name))
            child.kill()
            child.wait()
    say("stopped")
    return status


def main(argv):
    command = argv[1] if len(argv) > 1 else "run"
    if command == "check":
        return 0 if check() else 1
    if command == "prepare":
        return 0 if check() and prepare() else 1
    if command == "run":
        return run()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
