"""Test infrastructure shared by every layer.

Tests run under ``nameko test`` (``make test``), which applies the eventlet
monkey patch before anything is imported.

RabbitMQ and PostgreSQL come from ``AMQP_URI`` / ``DATABASE_URL`` when set (CI
and the development machines, where ``make test`` sets them to the local
servers); otherwise from testcontainers when a Docker engine answers; otherwise
the tests that need them are skipped with the reason.
"""

import os
import random
import string
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from eventlet import patcher

if not patcher.is_monkey_patched("socket"):
    pytest.exit("Run the tests with `nameko test` (or `make test`): eventlet must be patched first.", returncode=4)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = ("directory", "customers", "tickets", "inventory", "treasury", "notifications")


def package_dir(service):
    """Where a service's code, config.yml and migrations live (the gateway has a database too)."""
    return os.path.join(ROOT, "gateway") if service == "gateway" else os.path.join(ROOT, "services", service)


@dataclass
class Infra:
    amqp_uri: str  # broker URL, default vhost
    rabbit_api_uri: str  # management API
    database_url: str  # PostgreSQL server URL, no database name

    def amqp_uri_for(self, vhost):
        parts = urlparse(self.amqp_uri)
        return "{}://{}/{}".format(parts.scheme, parts.netloc, vhost)


def _from_environment():
    amqp_uri, database_url = os.environ.get("AMQP_URI"), os.environ.get("DATABASE_URL")
    if not (amqp_uri and database_url):
        return None
    parts = urlparse(amqp_uri)
    api = os.environ.get("RABBIT_API_URI") or "http://{}:{}@{}:15672".format(
        parts.username or "guest", parts.password or "guest", parts.hostname or "127.0.0.1"
    )
    return Infra(amqp_uri, api, database_url)


def _from_containers(request):
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # DockerException when no engine runs
        return None, "no AMQP_URI/DATABASE_URL and no Docker engine for testcontainers ({})".format(exc)
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    rabbit = RabbitMqContainer("rabbitmq:3.13-management").with_exposed_ports(5672, 15672)
    postgres = PostgresContainer("postgres:16", driver="psycopg2")
    rabbit.start()
    request.addfinalizer(rabbit.stop)
    postgres.start()
    request.addfinalizer(postgres.stop)
    host = rabbit.get_container_host_ip()
    amqp = "amqp://guest:guest@{}:{}/".format(host, rabbit.get_exposed_port(5672))
    api = "http://guest:guest@{}:{}".format(host, rabbit.get_exposed_port(15672))
    url = postgres.get_connection_url().rsplit("/", 1)[0]
    return Infra(amqp, api, url), None


@pytest.fixture(scope="session")
def infra(request):
    found = _from_environment()
    if found is None:
        found, reason = _from_containers(request)
        if found is None:
            pytest.skip(reason)
    return found


def random_name(prefix):
    return prefix + "".join(random.choice(string.ascii_lowercase) for _ in range(8))


@pytest.fixture(scope="session")
def rabbit_manager(infra):
    from nameko.testing.rabbit import Client

    return Client(infra.rabbit_api_uri)


@pytest.fixture(scope="session")
def make_vhost(infra, rabbit_manager):
    """Create a throw-away vhost; deleted at the end of the session."""
    created = []
    username = urlparse(infra.amqp_uri).username or "guest"

    def make():
        vhost = random_name("crmtest_")
        rabbit_manager.create_vhost(vhost)
        rabbit_manager.set_vhost_permissions(vhost, username, ".*", ".*", ".*")
        created.append(vhost)
        return vhost

    yield make
    for vhost in created:
        try:
            rabbit_manager.delete_vhost(vhost)
        except Exception:
            pass


@pytest.fixture
def rabbit_config(infra, rabbit_manager):
    """Replaces nameko's fixture: a fresh vhost per test on the infra broker."""
    from kombu.pools import connections

    username = urlparse(infra.amqp_uri).username or "guest"
    vhost = random_name("crmtest_")
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, username, ".*", ".*", ".*")
    yield {"AMQP_URI": infra.amqp_uri_for(vhost), "username": username, "vhost": vhost}
    rabbit_manager.delete_vhost(vhost)
    for key, pool in list(connections.items()):
        if isinstance(key, tuple) and len(key) > 4 and key[4] == vhost:
            pool.force_close_all()


# -- databases ---------------------------------------------------------------


class ServiceDatabases:
    """One migrated database per service for the whole session, emptied between tests."""

    def __init__(self, infra):
        self.infra = infra
        self.prefix = "crmtest{}".format(os.getpid())
        self.ready = set()
        self.engines = {}

    def name(self, service):
        return "{}_{}".format(self.prefix, service)

    def url(self, service):
        return "{}/{}".format(self.infra.database_url, self.name(service))

    def ensure(self, service):
        from services.core.migrations import create_database, upgrade

        if service not in self.ready:
            self.drop(service)
            create_database(self.infra.database_url + "/postgres", self.name(service))
            upgrade(package_dir(service), self.url(service))
            self.ready.add(service)
        return self.url(service)

    def engine(self, service):
        from sqlalchemy import create_engine

        if service not in self.engines:
            self.engines[service] = create_engine(self.ensure(service), pool_pre_ping=True)
        return self.engines[service]

    def truncate(self, service):
        from sqlalchemy import text

        with self.engine(service).begin() as connection:
            # a killed test container may have left a transaction open (and its locks held)
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        with self.engine(service).begin() as connection:
            tables = connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            ).all()
            if tables:
                connection.execute(
                    text("TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join('"{}"'.format(t) for t in tables)))
                )

    def drop(self, service):
        from sqlalchemy import create_engine, text

        engine = self.engines.pop(service, None)
        if engine is not None:
            engine.dispose()
        admin = create_engine(self.infra.database_url + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(self.name(service))))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(infra):
    dbs = ServiceDatabases(infra)
    yield dbs
    for service in list(dbs.ready):
        dbs.drop(service)


@pytest.fixture
def service_config(infra, databases, rabbit_config):
    """``service_config("customers", **overrides)``: the config a test container of that service runs with.

    The service's own ``config.yml`` (defaults), pointed at this test's vhost and
    the session's database of that service, which is emptied after the test.
    """
    from services.core.config import load_config

    used = []

    def make(service, **overrides):
        config = load_config(os.path.join(package_dir(service), "config.yml"))
        config.pop("LOGGING", None)
        databases.ensure(service)
        used.append(service)
        config.update(
            {
                "AMQP_URI": rabbit_config["AMQP_URI"],
                "DATABASE": {"URL": infra.database_url, "NAME": databases.name(service)},
                "OUTBOX_POLL_SECONDS": 0.05,
            }
        )
        config.update(overrides)
        return config

    yield make
    for service in set(used):
        databases.truncate(service)


@pytest.fixture
def db_session(databases):
    """``db_session("customers")``: a SQLAlchemy session on that service's test database."""
    from sqlalchemy.orm import Session

    sessions, used = [], []

    def make(service):
        session = Session(databases.engine(service))
        sessions.append(session)
        used.append(service)
        return session

    yield make
    for session in sessions:
        session.close()
    for service in set(used):
        databases.truncate(service)


def unique(prefix="x"):
    return "{}{}".format(prefix, uuid.uuid4().hex[:10])


def wait_for(predicate, timeout=60, what="condition", interval=0.1):
    """Poll ``predicate()`` until it returns something true, and return that; fail after ``timeout`` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)
