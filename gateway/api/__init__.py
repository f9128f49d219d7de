"""Every HTTP route of the gateway, one module per domain."""

from gateway.routing import Router

router = Router()

# Importing a module registers its routes.
from gateway.api import auth, customers, directory, inventory, notifications, tickets, treasury  # noqa: E402,F401
