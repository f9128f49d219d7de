"""The parts of the CRM, written once: the six services and the gateway.

Whatever needs the list reads it here: the gateway's ``/health`` pings every service,
``deploy/launcher.py`` prepares and runs every part, ``python -m services.core.manage
prepare`` migrates every database, the tests give each part a database and check its
migrations, and the benchmarks (through ``deploy/harness.py``) start and clean up the system.
A new service is one line in :data:`SERVICES` (see README.md, "A new service").

Only names and paths live here: the shared package imports no service package.
"""

import os
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEFAULT_DATABASE_PREFIX = "crm"


@dataclass(frozen=True)
class Part:
    """One process of the system: a service, or the gateway.

    ``outbox``: whether its database has the plumbing tables (outbox, processed events) of
    :mod:`services.core.plumbing`; every service has them, the gateway publishes no event.
    """

    name: str  # nameko's service name, also the last part of its database name
    package: str  # "services.customers"
    outbox: bool = True

    @property
    def directory(self):
        """Where its code, ``config.yml`` and ``migrations/`` are."""
        return os.path.join(ROOT, *self.package.split("."))

    @property
    def config_path(self):
        return os.path.join(self.directory, "config.yml")

    @property
    def module(self):
        """The module ``nameko run`` starts."""
        return self.package + ".service"

    @property
    def models(self):
        """The module whose ``Base.metadata`` its migrations must agree with."""
        return self.package + ".models"

    def database(self, prefix=DEFAULT_DATABASE_PREFIX):
        """Its database's name, as its ``config.yml`` builds it: ``<DATABASE_PREFIX>_<name>``."""
        return "{}_{}".format(prefix, self.name)


def _service(name):
    return Part(name, "services." + name)


# In the order they are prepared and started: directory first (everybody asks it who acts).
SERVICES = (
    _service("directory"),
    _service("customers"),
    _service("tickets"),
    _service("inventory"),
    _service("treasury"),
    _service("notifications"),
)
GATEWAY = Part("gateway", "gateway", outbox=False)
PARTS = SERVICES + (GATEWAY,)

SERVICE_NAMES = tuple(service.name for service in SERVICES)


def part(name):
    """The part called ``name`` (KeyError naming the known ones otherwise)."""
    for found in PARTS:
        if found.name == name:
            return found
    raise KeyError("no part of the CRM is called {!r} (known: {})".format(name, ", ".join(p.name for p in PARTS)))
