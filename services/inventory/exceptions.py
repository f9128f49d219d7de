"""Domain errors of the inventory service (subclasses of services.core.errors kinds)."""
