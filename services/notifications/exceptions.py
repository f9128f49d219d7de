"""Domain errors of the notifications service (subclasses of services.core.errors kinds)."""
