"""End-to-end fixtures: every service and the gateway running, exactly as ``make run`` starts them.

The ``system`` fixture runs the system once for this package (stopped when its last test ends) through
``deploy/harness.py`` (``deploy/launcher.py run`` with its own databases, vhost and
free port; ``system.env["CRM_ADMIN_PASSWORD"]`` is the admin's); tests talk HTTP to
it through :class:`Client`.  Data persists for the whole package, so
tests create what they need with unique names (``tests.conftest.unique``).
"""

import os

import pytest
import requests

from deploy.harness import running_system
from tests.conftest import unique


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


@pytest.fixture(scope="package")
def system(infra, make_vhost, tmp_path_factory, fake_providers):
    """The whole system (deploy/harness.py), with the fake providers and a fast outbox;
    ``E2E_INSTANCES=2`` runs it with two processes of every service and two gateways."""
    instances = os.environ.get("E2E_INSTANCES", "1")
    yield from run_system(infra, make_vhost, tmp_path_factory, fake_providers, "crme2e", CRM_INSTANCES=instances)


def run_system(infra, make_vhost, tmp_path_factory, fake_providers, prefix, **extra_env):
    """Start the system with its own databases, vhost and port and ``extra_env``; yield a System, then stop it."""
    env = dict(
        OUTBOX_POLL_SECONDS="0.05",
        ADVERTISING_HOURS=closed_advertising_window(),
        RETRY_BASE_SECONDS="0.2",
        **fake_providers.env(),
    )
    env.update(extra_env)
    with running_system(infra, name=prefix, env=env, workdir=tmp_path_factory.mktemp("system")) as running:
        yield running


@pytest.fixture(scope="package")
def anonymous(system):
    return Client(system.base_url)


@pytest.fixture(scope="package")
def admin(system, anonymous):
    client = anonymous.login("admin", system.env["CRM_ADMIN_PASSWORD"])
    client.user = client.get("/api/v1/me").json()
    return client


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def new_department(admin):
    """``new_department(manager_ids=[])`` -> the created department dict."""

    def make(manager_ids=(), name=None):
        response = admin.post(
            "/api/v1/departments", {"name": name or unique("Dept "), "manager_ids": list(manager_ids)}
        )
        assert response.status_code == 201, response.text
        return response.json()

    return make
