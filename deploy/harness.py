"""A throw-away copy of the whole system, for the end-to-end tests and the benchmarks.

    from deploy.harness import Infra, running_system

    with running_system(Infra.from_environment(local_defaults=True), name="crmbench") as system:
        system.base_url, system.admin_password, system.amqp_uri, system.database_url("customers")

:func:`running_system` starts every part of :mod:`services.core.registry` exactly as
``make run`` does (``deploy/launcher.py run``: one process per part), but on a free port,
with its own databases (``DATABASE_PREFIX=<name><pid>``), its own RabbitMQ vhost, its own
``var/`` folder and a random admin password; waits until ``/health`` is 200; and afterwards
stops it, drops its databases and deletes its vhost, also when the caller failed. So a test
or a benchmark never touches the developer's ``crm_*`` databases or port 8000.

Both ``tests/`` (ROOT is pytest's root) and ``bench/`` (whose scripts put ROOT on
``sys.path``) import it; the launcher it runs is the one ``make run`` runs.
"""

import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from services.core.registry import PARTS, ROOT, part

LAUNCHER = os.path.join(ROOT, "deploy", "launcher.py")

# The development machines' servers, as in the services' config.yml (used when asked for).
LOCAL_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432"


@dataclass
class Infra:
    """Where RabbitMQ and PostgreSQL are."""

    amqp_uri: str  # broker URL, default vhost
    rabbit_api_uri: str  # management API (vhosts are created through it)
    database_url: str  # PostgreSQL server URL, no database name

    @classmethod
    def from_environment(cls, local_defaults=False):
        """From ``AMQP_URI``, ``DATABASE_URL`` and ``RABBIT_API_URI`` (derived from AMQP_URI when
        unset); None when the first two are not both set, unless ``local_defaults``."""
        amqp_uri, database_url = os.environ.get("AMQP_URI"), os.environ.get("DATABASE_URL")
        if local_defaults:
            amqp_uri, database_url = amqp_uri or LOCAL_AMQP_URI, database_url or LOCAL_DATABASE_URL
        if not (amqp_uri and database_url):
            return None
        parts = urlparse(amqp_uri)
        api = os.environ.get("RABBIT_API_URI") or "http://{}:{}@{}:15672".format(
            parts.username or "guest", parts.password or "guest", parts.hostname or "127.0.0.1"
        )
        return cls(amqp_uri, api, database_url.rstrip("/"))

    @property
    def username(self):
        return urlparse(self.amqp_uri).username or "guest"

    def amqp_uri_for(self, vhost):
        parts = urlparse(self.amqp_uri)
        return "{}://{}/{}".format(parts.scheme, parts.netloc, vhost)

    def rabbit_manager(self):
        from nameko.testing.rabbit import Client

        return Client(self.rabbit_api_uri)

    def create_vhost(self, prefix):
        """A new vhost ``<prefix><8 random letters>`` the broker user may use fully; its name."""
        vhost = random_name(prefix)
        manager = self.rabbit_manager()
        manager.create_vhost(vhost)
        manager.set_vhost_permissions(vhost, self.username, ".*", ".*", ".*")
        return vhost

    def delete_vhost(self, vhost):
        self.rabbit_manager().delete_vhost(vhost)

    def drop_databases(self, prefix):
        """Drop every part's database ``<prefix>_<part>`` (the registry's list), connected or not."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url + "/postgres", isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for each in PARTS:
                    connection.execute(text('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(each.database(prefix))))
        finally:
            engine.dispose()


def random_name(prefix):
    return prefix + "".join(random.choice(string.ascii_lowercase) for _ in range(8))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class System:
    """A running copy of the system (what :func:`running_system` yields)."""

    base_url: str  # http://127.0.0.1:<port>
    env: dict  # the environment the launcher runs with (AMQP_URI, DATABASE_PREFIX, ...)
    infra: Infra
    launcher_pid: int
    log_path: str  # the launcher's and every part's output
    admin_password: str = field(repr=False, default="")  # of the user "admin"

    @property
    def amqp_uri(self):
        """The system's own vhost."""
        return self.env["AMQP_URI"]

    @property
    def database_prefix(self):
        return self.env["DATABASE_PREFIX"]

    def database_url(self, name):
        """The SQLAlchemy URL of part ``name``'s database (to seed or watch it from outside)."""
        return "{}/{}".format(self.infra.database_url, part(name).database(self.database_prefix))

    def log(self):
        with open(self.log_path, errors="replace") as stream:
            return stream.read()

    def pids(self):
        """``{"gateway": pid, "directory": pid, ...}``: the launcher's children, by the module they run."""
        modules = {each.module: each.name for each in PARTS}
        found = {}
        for pid in _children(self.launcher_pid):
            try:
                with open("/proc/{}/cmdline".format(pid), "rb") as stream:
                    cmdline = stream.read().decode(errors="replace").split("\0")
            except OSError:
                continue
            for argument in cmdline:
                if argument in modules:
                    found[modules[argument]] = pid
        return found


def _children(parent):
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/{}/stat".format(entry)) as stream:
                stat = stream.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            children.append(int(entry))
    return children


def _tail(path, size=5000):
    with open(path, errors="replace") as stream:
        return stream.read()[-size:]


def wait_healthy(base_url, process, log_path, timeout):
    """Until ``/health`` answers 200; RuntimeError with the log's end when the launcher exits first
    or ``timeout`` seconds pass."""
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the system exited during start:\n" + _tail(log_path))
        try:
            if requests.get(base_url + "/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("the system did not become healthy in {:.0f}s:\n{}".format(timeout, _tail(log_path)))


def _stop(process):
    """SIGTERM (the launcher stops every part cleanly), SIGKILL after 30 seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _say(message):
    print("[harness] " + message, file=sys.stderr, flush=True)


PR_SET_PDEATHSIG = 1  # prctl(2)


def stop_with_parent():
    """In the launcher's process before it runs (Linux): SIGTERM it when the process that started it
    dies, so a test run that is killed (a pytest-timeout, a CI limit) leaves no system behind; the
    launcher then stops its children as on Ctrl-C.  Elsewhere it does nothing."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextlib.contextmanager
def running_system(infra, name="crmtest", env=None, python=None, start_timeout=120, workdir=None):
    """Every part on a free port, with databases ``<name><pid>_*`` and a vhost ``<name>_*`` of
    its own; yields a :class:`System` once ``/health`` is 200.

    ``env`` adds to or overrides the launcher's environment (e.g. ``LOG_LEVEL="WARNING"``,
    ``RPC_TIMEOUT=60``); ``python`` is the interpreter that runs the launcher (default: this
    one); ``workdir`` holds ``system.log`` and ``var/`` (default: a temporary folder, removed
    afterwards unless something failed, when its log is kept and its path said).
    """
    port = free_port()
    base_url = "http://127.0.0.1:{}".format(port)
    prefix = "{}{}".format(name, os.getpid())
    own_workdir = workdir is None
    workdir = str(workdir) if workdir is not None else tempfile.mkdtemp(prefix=name + "-")
    password = secrets.token_urlsafe(12)
    vhost = infra.create_vhost(name + "_")
    system_env = dict(
        os.environ,
        AMQP_URI=infra.amqp_uri_for(vhost),
        DATABASE_URL=infra.database_url,
        DATABASE_PREFIX=prefix,
        GATEWAY_PORT=str(port),
        PUBLIC_BASE_URL=base_url,
        CRM_ADMIN_USERNAME="admin",
        CRM_ADMIN_PASSWORD=password,
        JWT_SECRET=secrets.token_urlsafe(32),
        CRM_VAR_DIR=os.path.join(workdir, "var"),
        PYTHONWARNINGS="ignore",
    )
    system_env.update({key: str(value) for key, value in (env or {}).items()})
    log_path = os.path.join(workdir, "system.log")
    process = None
    failed = True
    try:
        with open(log_path, "w") as log:  # the children keep their own copy of the file
            process = subprocess.Popen(
                [python or sys.executable, LAUNCHER, "run"],
                cwd=ROOT,
                env=system_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=stop_with_parent,
            )
        wait_healthy(base_url, process, log_path, start_timeout)
        yield System(base_url, system_env, infra, process.pid, log_path, password)
        failed = False
    finally:
        if process is not None:
            _stop(process)
        for cleanup in (lambda: infra.drop_databases(prefix), lambda: infra.delete_vhost(vhost)):
            try:
                cleanup()
            except Exception as exc:  # keep cleaning up; say what is left behind
                _say("cleanup failed: {!r}".format(exc))
        if failed:
            _say("system log kept at " + log_path)
        elif own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
