"""The request id of every HTTP request, and its one log line.

:class:`RequestIds` wraps the gateway's WSGI application (:class:`gateway.http.GatewayWebServer`):
each request takes its ``X-Request-ID`` if it is a short string of safe characters
(:func:`services.core.logs.request_id_from`), else a new uuid4; every response answers it in
``X-Request-ID`` — errors included, and 404s of paths no route knows; the route's worker gets
it in its nameko context data (:func:`context_data`), from where it travels with every RPC call
and event (:mod:`services.core.logs`).  One line is logged per request: method, path (never the
query string), status, milliseconds, under the request's id (``/health`` at DEBUG only).
"""

import logging
import time

from services.core.logs import REQUEST_ID_HEADER, REQUEST_ID_KEY, request_id_from

ENVIRON_KEY = "crm.request_id"
QUIET_PATHS = frozenset({"/health"})  # probes: their line is DEBUG

log = logging.getLogger(__name__)


def context_data(request):
    """The context data a route's worker starts with: the request id (the actor is added once
    the request is authenticated, :mod:`gateway.routing`)."""
    request_id = request.environ.get(ENVIRON_KEY)
    return {REQUEST_ID_KEY: request_id} if request_id else {}


class RequestIds:
    """WSGI middleware: the request id in, the ``X-Request-ID`` header out, one log line."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request_id = environ[ENVIRON_KEY] = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        started = time.monotonic()

        def answer(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != REQUEST_ID_HEADER.lower()]
            headers.append((REQUEST_ID_HEADER, request_id))
            path = environ.get("PATH_INFO", "")
            log.log(
                logging.DEBUG if path in QUIET_PATHS else logging.INFO,
                "%s %s %s in %.0f ms",
                environ.get("REQUEST_METHOD", "?"),
                path,
                status.split(" ", 1)[0],
                (time.monotonic() - started) * 1000,
                extra={REQUEST_ID_KEY: request_id},
            )
            return start_response(status, headers, exc_info)

        return self.app(environ, answer)
