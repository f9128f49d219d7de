"""Domain errors of the customers service (subclasses of services.core.errors kinds)."""
