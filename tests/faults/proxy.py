"""A TCP proxy a fault test puts between the system and the machine's RabbitMQ or PostgreSQL,
so that it can cut the line and restore it without touching the shared servers.

    python tests/faults/proxy.py TARGET_HOST:TARGET_PORT

prints the port it listens on (one line), then obeys commands on stdin, one per line, answering
``ok``: ``cut`` closes every open connection and drops every new one at once (what clients see of
a server restarting: their connections break, reconnecting fails), ``restore`` lets connections
through again, ``count`` answers the number of open connections.

It runs as its own process with plain threads: no eventlet, and no share of the test's GIL.
:class:`Proxy` starts and drives it from a test.
"""

import socket
import subprocess
import sys
import threading


class _Server:
    def __init__(self, target):
        self.target = target
        self.lock = threading.Lock()
        self.cut = False
        self.sockets = set()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            with self.lock:
                refused = self.cut
            if refused:
                _close(client)
                continue
            threading.Thread(target=self.connect, args=(client,), daemon=True).start()

    def connect(self, client):
        try:
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            _close(client)
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            if self.cut:
                _close(client)
                _close(upstream)
                return
            self.sockets.update((client, upstream))
        threading.Thread(target=self.pump, args=(upstream, client), daemon=True).start()
        self.pump(client, upstream)

    def pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.sockets.discard(source)
                self.sockets.discard(sink)
            _close(source)
            _close(sink)

    def command(self, line):
        with self.lock:
            if line == "cut":
                self.cut = True
                doomed, self.sockets = list(self.sockets), set()
                for sock in doomed:
                    _close(sock)
                return "ok"
            if line == "restore":
                self.cut = False
                return "ok"
            if line == "count":
                return str(len(self.sockets) // 2)
        return "unknown command"


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class Proxy:
    """``Proxy("127.0.0.1", 5672)``: ``.port``, ``.cut()``, ``.restore()``, ``.stop()``."""

    def __init__(self, host, port):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "{}:{}".format(host, port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.port = int(self.process.stdout.readline())
        self.lock = threading.Lock()

    def _send(self, command):
        with self.lock:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            return self.process.stdout.readline().strip()

    def cut(self):
        assert self._send("cut") == "ok"

    def restore(self):
        assert self._send("restore") == "ok"

    def connections(self):
        return int(self._send("count"))

    def stop(self):
        self.process.kill()
        self.process.wait()


def main(argv):
    host, port = argv[1].rsplit(":", 1)
    server = _Server((host, int(port)))
    threading.Thread(target=server.serve, daemon=True).start()
    print(server.port, flush=True)
    for line in sys.stdin:
        print(server.command(line.strip()), flush=True)


if __name__ == "__main__":
    main(sys.argv)
