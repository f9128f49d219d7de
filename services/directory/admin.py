"""Create the first admin if missing: ``python -m services.directory.admin CONFIG``.

Username and password come from ``CRM_ADMIN_USERNAME`` / ``CRM_ADMIN_PASSWORD``
(defaults admin / admin, for local use only).
"""

import os
import sys

from sqlalchemy.orm import sessionmaker

from services.core.config import load_config
from services.core.db import database_url, make_engine
from services.core.unit_of_work import UnitOfWork
from services.directory.users import ensure_admin


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config = load_config(argv[0] if argv else "services/directory/config.yml")
    username = os.environ.get("CRM_ADMIN_USERNAME", "admin")
    password = os.environ.get("CRM_ADMIN_PASSWORD", "admin")
    engine = make_engine(database_url(config), pool_size=1)
    try:
        created = ensure_admin(UnitOfWork(sessionmaker(engine)), username, password)
    finally:
        engine.dispose()
    print("admin {!r} {}".format(username, "created" if created else "already exists"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
