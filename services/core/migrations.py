"""Alembic, one migration history per service.

Each service keeps its history in ``services/<name>/migrations`` with an
``env.py`` that calls :func:`run_env`.  :func:`upgrade` is what ``make run``,
the containers and the tests call.
"""

import os

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from services.core.plumbing import plumbing_metadata


def alembic_config(package_dir, url):
    config = Config()
    config.set_main_option("script_location", os.path.join(package_dir, "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(package_dir, url, revision="head"):
    command.upgrade(alembic_config(package_dir, url), revision)


def create_database(server_url, name):
    """Create database ``name`` on the server if it does not exist."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                connection.execute(text('CREATE DATABASE "{}"'.format(name.replace('"', ""))))
    finally:
        engine.dispose()


def run_env(context, service_metadata, outbox=True):
    """The body of every service's ``migrations/env.py``; ``outbox=False`` for a database without
    the plumbing tables (the gateway's, see :mod:`services.core.registry`)."""
    from sqlalchemy import pool

    target_metadata = [service_metadata, plumbing_metadata] if outbox else [service_metadata]
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
