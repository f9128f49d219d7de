"""Test infrastructure shared by every layer.

Tests run under ``nameko test`` (``make test``), which applies the eventlet
monkey patch before anything is imported.

RabbitMQ and PostgreSQL come from ``AMQP_URI`` / ``DATABASE_URL`` when set (CI
and the development machines, where ``make test`` sets them to the local
servers); otherwise from testcontainers when a Docker engine answers; otherwise
the tests that need them are skipped with the reason.
"""

import os
import time
import uuid

import pytest
from eventlet import patcher

if not patcher.is_monkey_patched("socket"):
    pytest.exit("Run the tests with `nameko test` (or `make test`): eventlet must be patched first.", returncode=4)

from deploy.harness import Infra  # noqa: E402
from services.core.registry import ROOT, SERVICE_NAMES, part  # noqa: E402

SERVICES = SERVICE_NAMES  # the six services' names (the gateway is a part too: registry.PARTS)
__all__ = ["ROOT", "SERVICES"]


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
    found = Infra.from_environment()
    if found is None:
        found, reason = _from_containers(request)
        if found is None:
            pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def make_vhost(infra):
    """Create a throw-away vhost; deleted at the end of the session."""
    created = []

    def make():
        created.append(infra.create_vhost("crmtest_"))
        return created[-1]

    yield make
    for vhost in created:
        try:
            infra.delete_vhost(vhost)
        except Exception:
            pass


@pytest.fixture
def rabbit_config(infra):
    """Replaces nameko's fixture: a fresh vhost per test on the infra broker."""
    from kombu.pools import connections

    vhost = infra.create_vhost("crmtest_")
    yield {"AMQP_URI": infra.amqp_uri_for(vhost), "username": infra.username, "vhost": vhost}
    infra.delete_vhost(vhost)
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
        return part(service).database(self.prefix)

    def url(self, service):
        return "{}/{}".format(self.infra.database_url, self.name(service))

    def ensure(self, service):
        from services.core.migrations import create_database, upgrade

        if service not in self.ready:
            self.drop(service)
            create_database(self.infra.database_url + "/postgres", self.name(service))
            upgrade(part(service).directory, self.url(service))
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
        config = load_config(part(service).config_path)
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
