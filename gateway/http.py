"""nameko's ``@http`` entrypoint on a web server with ``TCP_NODELAY``.

Without it, a response larger than a couple of TCP segments (a page of 50
customers) waits ~40 ms on Nagle's algorithm and the client's delayed ACK.
Linux copies the option from the listening socket to accepted connections.
"""

import socket

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer


class NoDelayWebServer(WebServer):
    def get_wsgi_server(self, sock, wsgi_app, *args, **kwargs):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().get_wsgi_server(sock, wsgi_app, *args, **kwargs)


class HttpEntrypoint(HttpRequestHandler):
    server = NoDelayWebServer()


http = HttpEntrypoint.decorator
