"""nameko's ``@http`` entrypoint, hardened against slow and huge request bodies.

nameko 2.14's ``WebServer`` runs eventlet.wsgi: every accepted connection gets its own
green thread, and ``HttpRequestHandler.handle_request`` (still on that thread) spawns a
*worker* from the container's pool of ``max_workers`` (``GATEWAY_MAX_WORKERS``).  The
route then read the body inside the worker, so a client that sent headers and a
``Content-Length`` and then nothing held a worker for ever: 64 such connections took every
worker and even ``/health`` stopped answering.

Here the body is read *before* a worker is spawned, on the connection's own thread:

- at most ``GATEWAY_BODY_MAX_BYTES`` (default 8 MiB: a bulk call with 100,000 ids is about
  1 MB): a larger ``Content-Length`` answers ``413 BODY_TOO_LARGE`` without reading a byte,
  a chunked body is cut at the limit;
- within ``GATEWAY_BODY_TIMEOUT_SECONDS`` for the whole body (default 5; an
  ``eventlet.Timeout``, so a client trickling one byte a second gets no more time than one
  that sends nothing) — else ``408 BODY_TIMEOUT``.

Both answers close the connection (what is left of the body is never read).  The body is
then handed to the route from memory, so a stalled client costs one green thread and one
socket for at most the deadline, never a worker.  Between requests a keep-alive connection
may stay idle ``GATEWAY_IDLE_TIMEOUT_SECONDS`` (default 60), which is also the limit for
any single read or write on the socket (eventlet's ``keepalive`` / ``socket_timeout``), so
half-sent headers do not keep a socket open for ever either.

``TCP_NODELAY``: without it, a response larger than a couple of TCP segments (a page of 50
customers) waits ~40 ms on Nagle's algorithm and the client's delayed ACK.  Linux copies
the option from the listening socket to accepted connections.
"""

import io
import socket

import eventlet
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer

from gateway import request_ids
from gateway.errors import ApiError, error_response

DEFAULT_BODY_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_BODY_TIMEOUT_SECONDS = 5.0
DEFAULT_IDLE_TIMEOUT_SECONDS = 60.0

CLOSE_CONNECTION = "crm.close_connection"  # environ key: call it to close the connection after the response
READ_SIZE = 64 * 1024


class BodyTooLarge(ApiError):
    def __init__(self, limit):
        super().__init__("too_large", "BODY_TOO_LARGE", "The request body is larger than {} bytes.".format(limit))


class BodyTimeout(ApiError):
    def __init__(self, seconds):
        super().__init__(
            "request_timeout", "BODY_TIMEOUT", "The request body did not arrive within {:g} seconds.".format(seconds)
        )


def read_body(environ, max_bytes, timeout_seconds):
    """Read the whole request body into memory, within ``max_bytes`` and ``timeout_seconds``.

    The environ then serves the body from memory (``wsgi.input`` a ``BytesIO``,
    ``CONTENT_LENGTH`` its size), so nothing downstream touches the socket again.
    """
    declared = environ.get("CONTENT_LENGTH")
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not chunked and not declared:
        return b""
    if declared and int(declared) > max_bytes:
        raise BodyTooLarge(max_bytes)
    stream = environ["wsgi.input"]
    parts, size = [], 0
    try:
        with eventlet.Timeout(timeout_seconds):
            while True:
                part = stream.read(min(READ_SIZE, max_bytes + 1 - size))
                if not part:
                    break
                parts.append(part)
                size += len(part)
                if size > max_bytes:
                    raise BodyTooLarge(max_bytes)
    except (TimeoutError, eventlet.Timeout):
        raise BodyTimeout(timeout_seconds)
    body = b"".join(parts)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body


class ClosableProtocol(HttpOnlyProtocol):
    """eventlet's protocol, letting the application close the connection after its response."""

    def get_environ(self):
        environ = super().get_environ()
        environ[CLOSE_CONNECTION] = self._close_after_response
        return environ

    def _close_after_response(self):
        # eventlet reads this when it writes the response headers: "Connection: close",
        # and the unread rest of the body is not drained
        self.close_connection = 1


class GatewayWebServer(WebServer):
    def get_wsgi_server(self, sock, wsgi_app, protocol=ClosableProtocol, debug=False):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        idle = float(self.container.config.get("GATEWAY_IDLE_TIMEOUT_SECONDS", DEFAULT_IDLE_TIMEOUT_SECONDS))
        server.keepalive = idle  # idle time allowed between two requests of one connection
        server.socket_timeout = idle  # any single read or write; WebServer.run applies it on accept
        return server

    def get_wsgi_app(self):
        return request_ids.RequestIds(super().get_wsgi_app())  # X-Request-ID on every response

    def context_data_from_headers(self, request):
        return request_ids.context_data(request)


class HttpEntrypoint(HttpRequestHandler):
    server = GatewayWebServer()

    def setup(self):
        super().setup()
        config = self.container.config
        self.body_max_bytes = int(config.get("GATEWAY_BODY_MAX_BYTES", DEFAULT_BODY_MAX_BYTES))
        self.body_timeout = float(config.get("GATEWAY_BODY_TIMEOUT_SECONDS", DEFAULT_BODY_TIMEOUT_SECONDS))

    def handle_request(self, request):
        """Runs on the connection's thread: the body first, then a worker for the route."""
        try:
            read_body(request.environ, self.body_max_bytes, self.body_timeout)
        except ApiError as error:
            close = request.environ.get(CLOSE_CONNECTION)
            if close is not None:
                close()
            return error_response(error, request.headers.get("Accept-Language"))
        return super().handle_request(request)


http = HttpEntrypoint.decorator
