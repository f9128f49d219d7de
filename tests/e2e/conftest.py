"""End-to-end fixtures: every service and the gateway running, exactly as ``make run`` starts them.

The ``system`` fixture runs ``deploy/launcher.py run`` once per test session with
its own databases (``DATABASE_PREFIX``), its own vhost and a free port; tests talk
HTTP to it through :class:`Client`.  Data persists for the whole session, so
tests create what they need with unique names (``tests.conftest.unique``).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import ROOT, SERVICES, unique


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class System:
    def __init__(self, base_url, env, log_path):
        self.base_url = base_url
        self.env = env
        self.log_path = log_path

    def log(self):
        with open(self.log_path, errors="replace") as stream:
            return stream.read()


class Client:
    """A small HTTP client for the gateway (nameko's web_session breaks on Werkzeug 3)."""

    def __init__(self, base_url, token=None, user=None):
        self.base_url = base_url
        self.token = token
        self.user = user
        self.session = requests.Session()

    def request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {}) or {}
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = "Bearer " + self.token
        return self.session.request(method, self.base_url + path, headers=headers, timeout=60, **kwargs)

    def get(self, path, params=None, **kwargs):
        return self.request("GET", path, params=params, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def login(self, username, password):
        response = self.post("/api/v1/auth/login", {"username": username, "password": password})
        assert response.status_code == 200, response.text
        return Client(self.base_url, response.json()["access_token"])


def wait_healthy(base_url, process, log_path, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the system exited during start:\n" + open(log_path, errors="replace").read()[-5000:])
        try:
            if requests.get(base_url + "/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("the system did not become healthy:\n" + open(log_path, errors="replace").read()[-5000:])


@pytest.fixture(scope="session")
def fake_providers():
    """Local Twilio and SMTP servers (tests/fakes/providers.py) the system's notifications service uses."""
    from tests.fakes.providers import FakeProviders

    providers = FakeProviders()
    yield providers
    providers.stop()


def closed_advertising_window():
    """An advertising window twelve hours away from now (Vietnam time): advertising SMS are refused."""
    import datetime
    from zoneinfo import ZoneInfo

    hour = (datetime.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).hour + 12) % 24
    return "{:02d}:00-{:02d}:01".format(hour, hour)


@pytest.fixture(scope="session")
def system(infra, make_vhost, tmp_path_factory, fake_providers):
    yield from run_system(infra, make_vhost, tmp_path_factory, fake_providers, "crme2e")


def run_system(infra, make_vhost, tmp_path_factory, fake_providers, prefix, **extra_env):
    """Start ``deploy/launcher.py run`` with its own databases, vhost and port; yield a System, then stop it."""
    port = free_port()
    prefix = "{}{}".format(prefix, os.getpid())
    workdir = tmp_path_factory.mktemp("system")
    env = dict(
        os.environ,
        AMQP_URI=infra.amqp_uri_for(make_vhost()),
        DATABASE_URL=infra.database_url,
        DATABASE_PREFIX=prefix,
        GATEWAY_PORT=str(port),
        CRM_ADMIN_USERNAME="admin",
        CRM_ADMIN_PASSWORD=secrets.token_urlsafe(12),
        JWT_SECRET=secrets.token_urlsafe(32),
        OUTBOX_POLL_SECONDS="0.05",
        CRM_VAR_DIR=str(workdir / "var"),
        PYTHONWARNINGS="ignore",
        PUBLIC_BASE_URL="http://127.0.0.1:{}".format(port),
        ADVERTISING_HOURS=closed_advertising_window(),
        RETRY_BASE_SECONDS="0.2",
        **fake_providers.env(),
    )
    env.update(extra_env)
    log_path = str(workdir / "system.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "deploy", "launcher.py"), "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = "http://127.0.0.1:{}".format(port)
    try:
        wait_healthy(base_url, process, log_path)
        yield System(base_url, env, log_path)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        _drop_databases(infra, prefix)


def _drop_databases(infra, prefix):
    from sqlalchemy import create_engine, text

    engine = create_engine(infra.database_url + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for service in SERVICES + ("gateway",):
            connection.execute(text('DROP DATABASE IF EXISTS "{}_{}" WITH (FORCE)'.format(prefix, service)))
    engine.dispose()


@pytest.fixture(scope="session")
def anonymous(system):
    return Client(system.base_url)


@pytest.fixture(scope="session")
def admin(system, anonymous):
    client = anonymous.login("admin", system.env["CRM_ADMIN_PASSWORD"])
    client.user = client.get("/api/v1/me").json()
    return client


@pytest.fixture(scope="session")
def new_user(admin, anonymous):
    """``new_user(roles=["staff"], department_id=None, **fields)`` -> a signed-in Client with ``.user``."""

    def make(roles=("staff",), department_id=None, **fields):
        password = "pw-" + unique()
        body = {
            "username": unique("u"),
            "password": password,
            "full_name": fields.pop("full_name", "Test User"),
            "roles": list(roles),
            "department_id": department_id,
        }
        body.update(fields)
        response = admin.post("/api/v1/users", body)
        assert response.status_code == 201, response.text
        client = anonymous.login(body["username"], password)
        client.user = response.json()
        client.password = password
        return client

    return make


@pytest.fixture(scope="session")
def new_department(admin):
    """``new_department(manager_ids=[])`` -> the created department dict."""

    def make(manager_ids=(), name=None):
        response = admin.post(
            "/api/v1/departments", {"name": name or unique("Dept "), "manager_ids": list(manager_ids)}
        )
        assert response.status_code == 201, response.text
        return response.json()

    return make
