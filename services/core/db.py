"""Database access for a nameko service: one SQLAlchemy session per worker.

Configuration (``config.yml``)::

    DATABASE:
      URL: ${DATABASE_URL:postgresql+psycopg2://postgres@127.0.0.1:5432}
      NAME: ${DATABASE_PREFIX:crm}_<service>

A transaction that PostgreSQL aborts because of a concurrent one (deadlock, serialization
failure) raises :class:`~services.core.errors.ConcurrentChange` (HTTP 409, retried by event
handlers) instead of a driver error (HTTP 500).  A database that cannot be reached (restarting,
the network away: the driver's connection errors) raises
:class:`~services.core.errors.ServiceUnavailable` (HTTP 503 with ``Retry-After``, retried by event
handlers); nothing of the interrupted transaction is kept, and the pool reconnects by itself
once the database is back: a connection that failed makes the pool drop every connection it
had, and one that sat unused for more than ``PING_IDLE_SECONDS`` is checked (``SELECT 1``) before
it is given out.  A connection used a moment ago is not (``pool_pre_ping`` would check it on
every checkout: a round trip to PostgreSQL for each unit of work, measured in ``bench/hop.py``).

The session never commits by itself: a use case calls ``session.commit()``
when its change is complete; whatever is left uncommitted when the worker ends
is rolled back.
"""

import contextlib
import logging
import time

import psycopg2
from nameko.constants import DEFAULT_MAX_WORKERS, MAX_WORKERS_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import sessionmaker

from services.core.errors import ConcurrentChange, ServiceUnavailable

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata():
    return MetaData(naming_convention=NAMING_CONVENTION)


def flush_unique(session, error):
    """Flush the session; a unique violation becomes ``error`` (a domain error class)."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise error() from exc


def advisory_lock(session, namespace, key):
    """Wait for, then hold until the transaction ends, the lock named (namespace, key).

    Waiting is cooperative: eventlet's monkey patch makes psycopg2 green, so a worker waiting
    here lets the other workers of the instance run.
    """
    session.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"), {"namespace": namespace, "key": int(key)})


def database_url(config):
    """The SQLAlchemy URL of this service's own database."""
    database = config["DATABASE"]
    return "{}/{}".format(str(database["URL"]).rstrip("/"), database["NAME"])


def server_url(config, database="postgres"):
    """A URL to another database of the same server (to create ours)."""
    return "{}/{}".format(str(config["DATABASE"]["URL"]).rstrip("/"), database)


# SQLSTATEs of a transaction aborted because of another one running at the same time
CONCURRENCY_FAILURES = {
    "40P01": "deadlock detected",
    "40001": "serialization failure",
}


# a pooled connection unused for longer than this is checked before it is given out
PING_IDLE_SECONDS = 1.0


def make_engine(url, pool_size=5):
    if not url.startswith("postgresql+psycopg2://"):
        raise ValueError("DATABASE_URL must start with postgresql+psycopg2:// (got {!r})".format(url.split("@")[-1]))
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
    event.listen(engine, "handle_error", _known_failure)
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _checked_in(dbapi_connection, record):
    record.info["idle_since"] = time.monotonic()


DISCARD = "discard_after_use"  # key of a pooled connection's info: close it rather than reuse it


def discard_after_use(session):
    """Have the pool close the database connection of ``session`` once its work is done, and open a
    new one in its place, instead of lending this one again.

    For a transaction that leaves its server process heavier than it found it: after a bulk action
    on 100,000 customers the same process answered the stars list 1.9x slower (p50 95 ms, 50 ms on
    a new connection: bench/README.md), for as long as it lived.  One reconnection (a few ms)
    after a call that took seconds.
    """
    session.connection().info[DISCARD] = True


def _ping_if_idle(dbapi_connection, record, proxy):
    """A connection that sat in the pool may have been cut meanwhile (a database restart): check it;
    raising DisconnectionError makes the pool discard it and connect again (SQLAlchemy's
    "pessimistic" disconnect handling, done only after an idle spell).  The same for a connection
    marked by :func:`discard_after_use`."""
    if record.info.pop(DISCARD, False):
        raise DisconnectionError("discarded after use")
    idle_since = record.info.pop("idle_since", None)
    if idle_since is None or time.monotonic() - idle_since <= PING_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()  # the pool hands out connections outside a transaction
    except Exception as error:
        raise DisconnectionError("a pooled connection was cut: {}".format(error)) from error


class DatabaseUnavailable(ServiceUnavailable):
    code = "DATABASE_UNAVAILABLE"
    message = "The database cannot be reached right now; nothing was changed. Retry in a few seconds."


def _known_failure(context):
    """Raise ConcurrentChange for a deadlock or a serialization failure, DatabaseUnavailable when the
    connection failed or broke, in place of the driver's error (a 500)."""
    original = context.original_exception
    if getattr(original, "pgcode", None) in CONCURRENCY_FAILURES:
        raise ConcurrentChange() from original
    if context.is_pre_ping:
        return  # the pool handles a stale connection by itself
    if context.is_disconnect or _cannot_connect(original):
        raise DatabaseUnavailable() from original


def _cannot_connect(error):
    """psycopg2's OperationalError with no SQLSTATE: no connection could be made or kept."""
    return isinstance(error, psycopg2.OperationalError) and not getattr(error, "pgcode", None)


class Database(DependencyProvider):
    """Gives each worker its own session on the service's database."""

    def setup(self):
        max_workers = int(self.container.config.get(MAX_WORKERS_CONFIG_KEY, DEFAULT_MAX_WORKERS))
        self.engine = make_engine(database_url(self.container.config), pool_size=max_workers + 2)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.sessions = {}

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        session = self.sessionmaker()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            with closing_quietly():
                session.close()  # rolls back anything not committed


@contextlib.contextmanager
def closing_quietly():
    """For a worker's teardown: a session whose connection broke (the database went away) cannot
    roll back, and the pool has already dropped that connection; an error raised from a worker's
    teardown would make nameko kill the whole service."""
    try:
        yield
    except Exception as error:
        log.warning("could not close a database session cleanly (%s); its connection is discarded", error)
