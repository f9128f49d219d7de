"""The gateway's one error table: what each failure becomes over HTTP.

Body of every error: ``{"error": {"code", "message", "fields"}}`` (``fields``: field name ->
what is wrong with it, for a 400); the message and the field messages are in English, or
Vietnamese when ``Accept-Language`` prefers ``vi`` (``gateway/translations.py``).
"""

import json

from werkzeug.wrappers import Response

from gateway.translations import translate, translate_fields
from services.core.wire import plain_json

# kind of services.core.errors.DomainError -> HTTP status
STATUS_BY_KIND = {
    "invalid": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "request_timeout": 408,
    "conflict": 409,
    "too_large": 413,
    "unprocessable": 422,
    "rate_limited": 429,
    "unavailable": 503,
    "timeout": 504,
    "internal": 500,
}

RETRY_AFTER_UNAVAILABLE = 5  # seconds (Retry-After of a 503)


class ApiError(Exception):
    """An error raised by the gateway itself (auth, routing, bad JSON, timeouts)."""

    headers = None  # extra response headers (Retry-After...)

    def __init__(self, kind, code, message, fields=None):
        super().__init__(message)
        self.kind, self.code, self.message, self.fields = kind, code, message, fields or {}

    @classmethod
    def from_dict(cls, data):
        return cls(data["kind"], data["code"], data["message"], data.get("fields"))


def json_response(body, status=200, headers=None):
    data = plain_json(body)
    if data is None:  # a lone surrogate echoed back (an unknown field's name) becomes the JSON escape "\\udXXX"
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")
    return Response(
        data,
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def error_response(error, accept_language=None):
    body = {"error": {"code": error.code, "message": translate(error.code, error.message, accept_language)}}
    if error.fields:
        body["error"]["fields"] = translate_fields(error.fields, accept_language)
    headers = dict(error.headers or {})
    if error.kind == "unauthenticated":
        headers["WWW-Authenticate"] = "Bearer"
    if error.kind == "unavailable":  # a service, the broker or a database away: seconds, usually
        headers.setdefault("Retry-After", str(RETRY_AFTER_UNAVAILABLE))
    return json_response(body, STATUS_BY_KIND.get(error.kind, 500), headers or None)
