"""Domain errors that cross the bus.

A service raises a subclass of one of the kinds below (usually from its own
``exceptions.py``).  nameko serialises a remote exception as its class name and
``str(exc)``; the string of a :class:`DomainError` is a small JSON document, so
the gateway (which imports no service) can read the kind, the stable code, the
message and the field errors back with :func:`parse_remote_error`, and map the
kind to an HTTP status in its one table.
"""

import json


class DomainError(Exception):
    kind = "invalid"
    code = "INVALID"
    message = "The request is invalid."
    retryable = False  # True: the same request may succeed if sent again

    def __init__(self, message=None, code=None, fields=None):
        self.message = message or self.message
        self.code = code or self.code
        self.fields = fields or {}
        super().__init__(self.message)

    def to_dict(self):
        return {
            "kind": self.kind,
            "code": self.code,
            "message": self.message,
            "fields": self.fields,
            "retryable": self.retryable,
        }

    def __str__(self):
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


class InvalidInput(DomainError):
    """Bad input: validation failed (HTTP 400)."""

    kind = "invalid"
    code = "VALIDATION_ERROR"
    message = "The input is invalid."


class Unauthenticated(DomainError):
    kind = "unauthenticated"
    code = "UNAUTHENTICATED"
    message = "Authentication is required."


class Forbidden(DomainError):
    kind = "forbidden"
    code = "FORBIDDEN"
    message = "You are not allowed to do this."


class NotFound(DomainError):
    kind = "not_found"
    code = "NOT_FOUND"
    message = "Not found."


class Conflict(DomainError):
    kind = "conflict"
    code = "CONFLICT"
    message = "This conflicts with the current state."


class ConcurrentChange(Conflict):
    """PostgreSQL aborted the transaction because another one changed the same rows at the same
    time (a deadlock or a serialization failure).  Nothing was changed; the same request, sent
    again, will most likely succeed: event handlers retry it, HTTP answers 409."""

    code = "CONCURRENT_CHANGE"
    message = "Another change to the same records ran at the same time; nothing was changed. Retry the request."
    retryable = True


class RuleViolation(DomainError):
    """A business rule refuses the change (HTTP 422)."""

    kind = "unprocessable"
    code = "RULE_VIOLATION"
    message = "A business rule refuses this change."


class ServiceUnavailable(DomainError):
    """Another service this one needs is not running (HTTP 503); retried by event handlers."""

    kind = "unavailable"
    code = "SERVICE_UNAVAILABLE"
    message = "A service this request needs is not running."
    retryable = True


class ServiceTimeout(DomainError):
    """Another service this one needs did not answer in time (HTTP 504); retried by event handlers."""

    kind = "timeout"
    code = "SERVICE_TIMEOUT"
    message = "A service this request needs did not answer in time."
    retryable = True


_CLASS_BY_KIND = {
    cls.kind: cls
    for cls in (
        InvalidInput,
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        RuleViolation,
        ServiceUnavailable,
        ServiceTimeout,
    )
}
KINDS = set(_CLASS_BY_KIND)

# Every service lists these in ``expected_exceptions`` so they are logged as
# expected outcomes, not crashes.
EXPECTED = (DomainError,)


def parse_remote_error(value):
    """Read back the dict of a DomainError from nameko's ``RemoteError.value``.

    Returns None when the remote exception was not a DomainError.
    """
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") not in KINDS or "code" not in data:
        return None
    return data


def relayed(remote_error):
    """The domain error another service raised (a nameko ``RemoteError``), as the same kind raised
    here, so that the gateway answers it as if that service had been called directly; any other
    remote failure is returned as it is."""
    data = parse_remote_error(remote_error.value)
    if data is None:
        return remote_error
    error = _CLASS_BY_KIND[data["kind"]](data["message"], code=data["code"], fields=data.get("fields"))
    error.retryable = bool(data.get("retryable", error.retryable))
    return error
