"""Domain errors of the treasury service (subclasses of services.core.errors kinds)."""
