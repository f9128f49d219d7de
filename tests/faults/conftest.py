"""Fault-suite fixtures: a whole system (``deploy/launcher.py run``, as ``make run`` starts it)
whose RabbitMQ and PostgreSQL lines go through TCP proxies of the test's own
(:mod:`tests.faults.proxy`), so a test can cut the broker or the database away and give it
back without touching the machine's shared servers, and can SIGKILL the launcher's children.

The system runs ``FAULTS_INSTANCES`` (default 2) instances of every service and two gateways
(``CRM_INSTANCES``), as the faults must hold with several instances.  Effects are counted in
the system's own databases, directly (not through the proxy).
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from deploy.harness import free_port, stop_with_parent, wait_healthy
from tests.conftest import ROOT, unique
from tests.e2e.conftest import Client, closed_advertising_window
from tests.faults.proxy import Proxy


class FaultSystem:
    def __init__(self, base_url, env, log_path, process, broker, database, infra, prefix):
        self.base_url, self.env, self.log_path, self.process = base_url, env, log_path, process
        self.broker, self.database = broker, database
        self.infra, self.prefix = infra, prefix
        self.engines = {}

    def log(self):
        with open(self.log_path, errors="replace") as stream:
            return stream.read()

    def engine(self, service):
        """An engine on the system's database of ``service`` that bypasses the proxy."""
        if service not in self.engines:
            url = "{}/{}_{}".format(self.infra.database_url, self.prefix, service)
            self.engines[service] = create_engine(url, pool_size=1, pool_pre_ping=True)
        return self.engines[service]

    def connect(self, service, timeout=60):
        """A connection to that database, waiting while the shared server has no connection slot free
        (``too many clients``: other test runs on the machine)."""
        deadline = time.time() + timeout
        while True:
            try:
                return self.engine(service).connect()
            except OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(1)

    def pids(self, service):
        """pids of the running instances of ``service`` (``gateway`` included)."""
        module = "gateway.service" if service == "gateway" else "services.{}.service".format(service)
        found = []
        for pid in _children(self.process.pid):
            try:
                with open("/proc/{}/cmdline".format(pid), "rb") as stream:
                    if module in stream.read().decode(errors="replace").split("\0"):
                        found.append(pid)
            except OSError:
                continue
        return found

    def health(self):
        try:
            return requests.get(self.base_url + "/health", timeout=10).status_code
        except requests.RequestException:
            return None

    def wait_healthy(self, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.health() == 200:
                return
            assert self.process.poll() is None, "the launcher exited:\n" + self.log()[-5000:]
            time.sleep(0.5)
        raise AssertionError("the system did not become healthy again:\n" + self.log()[-5000:])


def _children(parent):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/{}/stat".format(entry)) as stream:
                    stat = stream.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(entry))
    return children


@pytest.fixture(scope="package")
def fault_system(infra, make_vhost, tmp_path_factory):
    amqp, database = urlparse(infra.amqp_uri), urlparse(infra.database_url)
    broker = Proxy(amqp.hostname or "127.0.0.1", amqp.port or 5672)
    db = Proxy(database.hostname or "127.0.0.1", database.port or 5432)
    port = free_port()
    prefix = "crmfaults{}".format(os.getpid())
    workdir = tmp_path_factory.mktemp("faults")
    vhost = make_vhost()
    env = dict(
        os.environ,
        AMQP_URI="amqp://{}@127.0.0.1:{}/{}".format(amqp.netloc.rsplit("@", 1)[0], broker.port, vhost),
        DATABASE_URL=re.sub(r"@[^/@]+$", "@127.0.0.1:{}".format(db.port), infra.database_url),
        DATABASE_PREFIX=prefix,
        GATEWAY_PORT=str(port),
        CRM_INSTANCES=os.environ.get("FAULTS_INSTANCES", "2"),
        CRM_ADMIN_USERNAME="admin",
        CRM_ADMIN_PASSWORD=secrets.token_urlsafe(12),
        JWT_SECRET=secrets.token_urlsafe(32),
        OUTBOX_POLL_SECONDS="0.05",
        CRM_VAR_DIR=str(workdir / "var"),
        PYTHONWARNINGS="ignore",
        ADVERTISING_HOURS=closed_advertising_window(),
        RPC_TIMEOUT="5",
        LOG_LEVEL="WARNING",
    )
    log_path = str(workdir / "system.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "deploy", "launcher.py"), "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=stop_with_parent,
    )
    base_url = "http://127.0.0.1:{}".format(port)
    system = FaultSystem(base_url, env, log_path, process, broker, db, infra, prefix)
    try:
        wait_healthy(base_url, process, log_path, timeout=180)
        yield system
    finally:
        broker.restore()
        db.restore()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        for engine in system.engines.values():
            engine.dispose()
        infra.drop_databases(prefix)
        broker.stop()
        db.stop()


def patiently(call, timeout=90):
    """``call()`` (an HTTP request) again while it answers 503 with ``Retry-After``, as a client
    should: the shared PostgreSQL of the machine may have no connection slot free for a moment."""
    deadline = time.time() + timeout
    while True:
        response = call()
        if response.status_code != 503 or "Retry-After" not in response.headers or time.time() > deadline:
            return response
        time.sleep(1)


@pytest.fixture(scope="package")
def fault_admin(fault_system):
    anonymous = Client(fault_system.base_url)
    body = {"username": "admin", "password": fault_system.env["CRM_ADMIN_PASSWORD"]}
    response = patiently(lambda: anonymous.post("/api/v1/auth/login", body))
    assert response.status_code == 200, response.text
    return Client(fault_system.base_url, response.json()["access_token"])


@pytest.fixture(scope="package")
def help_desk(fault_admin):
    """A ticket type whose one support group has one member with room for every ticket of the
    suite (and an email address), so every ticket is assigned at once and notified once."""
    password = "pw-" + unique()
    member = patiently(
        lambda: fault_admin.post(
            "/api/v1/users",
            {
                "username": unique("agent"),
                "password": password,
                "full_name": "Agent",
                "roles": ["staff"],
                "email": "{}@example.com".format(unique("agent")),
            },
        )
    )
    assert member.status_code == 201, member.text
    ticket_type = patiently(lambda: fault_admin.post("/api/v1/ticket-types", {"name": unique("Faults ")}))
    assert ticket_type.status_code == 201, ticket_type.text
    group = patiently(
        lambda: fault_admin.post(
            "/api/v1/support-groups",
            {
                "name": unique("Faults desk "),
                "ticket_type_ids": [ticket_type.json()["id"]],
                "members": [{"user_id": member.json()["id"], "priority": 1, "capacity": 1000}],
            },
        )
    )
    assert group.status_code == 201, group.text
    return {"type_id": ticket_type.json()["id"], "member": member.json()}
