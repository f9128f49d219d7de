"""Domain errors of the tickets service (subclasses of services.core.errors kinds)."""
