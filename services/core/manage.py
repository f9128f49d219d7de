"""Operations on the parts' databases, run before the parts start.

    python -m services.core.manage prepare                  # every part of the registry
    python -m services.core.manage prepare directory gateway
    python -m services.core.manage check services/directory/config.yml

Each argument is a part's name (:mod:`services.core.registry`) or a path to a
``config.yml``; none means every part.  ``prepare`` creates each database if
missing and migrates it to the latest revision; ``check`` verifies that the
database answers.  Exit status 1 with one sentence on stderr when PostgreSQL
cannot be reached.
"""

import argparse
import os
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from services.core.config import load_config
from services.core.db import database_url, server_url
from services.core.migrations import create_database, upgrade
from services.core.registry import PARTS, part


def prepare(config_path):
    config = load_config(config_path)
    create_database(server_url(config), config["DATABASE"]["NAME"])
    upgrade(os.path.dirname(os.path.abspath(config_path)), database_url(config))


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
    parser.add_argument("command", choices=["prepare", "check"])
    parser.add_argument("parts", nargs="*", help="part names or config.yml paths (default: every part)")
    args = parser.parse_args(argv)
    try:
        paths = config_paths(args.parts)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    for config_path in paths:
        try:
            (prepare if args.command == "prepare" else check)(config_path)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            print("Cannot reach PostgreSQL for {} ({}).".format(config_path, reason), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
