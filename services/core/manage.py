"""Operations on the parts' databases, run before the parts start.

    python -m services.core.manage prepare                  # every part of the registry
    python -m services.core.manage prepare directory gateway
    python -m services.core.manage check services/directory/config.yml
    python -m services.core.manage reset                    # drop every part's database (no question asked)

Each argument is a part's name (:mod:`services.core.registry`) or a path to a
``config.yml``; none means every part.  ``prepare`` creates each database if
missing and migrates it to the latest revision; ``check`` verifies that the
database answers.  Exit status 1 with one sentence on stderr when PostgreSQL
cannot be reached.
``prepare`` also declares on RabbitMQ the queue of every event handler of each
service, so an event published before its consumer first starts waits for it.
``reset`` drops each database and deletes those queues (events waiting there would
apply to data that is gone); the next ``prepare`` starts from nothing.
"""

import argparse
import importlib
import inspect
import os
import sys

from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from services.core.config import load_config
from services.core.db import database_url, server_url
from services.core.events import consumer_queues, declare_consumer_queues
from services.core.migrations import create_database, upgrade
from services.core.registry import PARTS, part

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def prepare(config_path):
    config = load_config(config_path)
    create_database(server_url(config), config["DATABASE"]["NAME"])
    package_dir = os.path.dirname(os.path.abspath(config_path))
    upgrade(package_dir, database_url(config))
    declare_consumer_queues(
        config["AMQP_URI"], [q for cls in service_classes(package_dir) for q in consumer_queues(cls, config)]
    )


def service_classes(package_dir):
    """The nameko service classes of the package at ``package_dir`` (its ``service`` module)."""
    package = os.path.relpath(os.path.abspath(package_dir), ROOT).replace(os.sep, ".")
    module = importlib.import_module(package + ".service")
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and isinstance(getattr(cls, "name", None), str)
    ]


def reset(config_path):
    from kombu import Connection

    config = load_config(config_path)
    engine = create_engine(server_url(config), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(config["DATABASE"]["NAME"])))
    finally:
        engine.dispose()
    queues = [
        q
        for cls in service_classes(os.path.dirname(os.path.abspath(config_path)))
        for q in consumer_queues(cls, config)
    ]
    with Connection(config["AMQP_URI"], connect_timeout=10) as connection:
        channel = connection.channel()
        for queue in queues:
            queue.bind(channel).delete()


def check(config_path):
    engine = create_engine(server_url(load_config(config_path)))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def config_paths(arguments):
    """The config.yml of each argument (a part's name or a path); every part's when there is none."""
    if not arguments:
        return [each.config_path for each in PARTS]
    return [argument if argument.endswith(".yml") else part(argument).config_path for argument in arguments]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["prepare", "check", "reset"])
    parser.add_argument("parts", nargs="*", help="part names or config.yml paths (default: every part)")
    args = parser.parse_args(argv)
    try:
        paths = config_paths(args.parts)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    for config_path in paths:
        try:
            {"prepare": prepare, "check": check, "reset": reset}[args.command](config_path)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            print("Cannot reach PostgreSQL for {} ({}).".format(config_path, reason), file=sys.stderr)
            return 1
        except (BrokerError, OSError) as exc:
            print("Cannot reach RabbitMQ for {} ({}).".format(config_path, exc), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
