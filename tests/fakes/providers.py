"""Local stand-ins for the outside providers, spoken to over the real wire.

    python -m tests.fakes.providers [--http-port P] [--smtp-port S] [--account-sid AC..] [--auth-token T]

- a Twilio Messages API subset on HTTP (``POST`` and ``GET
  /2010-04-01/Accounts/<sid>/Messages.json``, basic auth), which posts signed
  status callbacks (``sent`` then ``delivered``) to the ``StatusCallback`` URL of
  each message, like Twilio does (``X-Twilio-Signature`` by twilio's own
  ``RequestValidator``);
- an SMTP server (aiosmtpd) that keeps what it receives;
- a control API on the HTTP port: ``GET /_fake/sms``, ``GET /_fake/emails``,
  ``GET /_fake/callbacks``, ``POST /_fake/behaviour`` (JSON: ``fail_next``,
  ``fail_status``, ``fail_code``, ``delay``, ``callbacks``), ``POST /_fake/reset``.

It runs in its own process (no eventlet) and prints one JSON line
``{"http_port", "smtp_port", "account_sid", "auth_token"}`` when ready.
:class:`FakeProviders` starts and drives it from tests and benchmarks.
"""

import argparse
import base64
import email
import email.policy
import email.utils
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class State:
    def __init__(self, account_sid, auth_token):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.lock = threading.Lock()
        self.sms = []
        self.emails = []
        self.callbacks = []
        self.behaviour = {
            "fail_next": 0,
            "fail_status": 500,
            "fail_code": 20500,
            "delay": 0.0,
            "callbacks": True,
            "callback_delay": 0.0,
        }
        self.outbox = queue.Queue()

    def reset(self):
        with self.lock:
            self.sms, self.emails, self.callbacks = [], [], []
            self.behaviour.update(fail_next=0, delay=0.0, callbacks=True, callback_delay=0.0)


def rfc2822(ts):
    return email.utils.formatdate(ts, usegmt=True).replace("GMT", "+0000")


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _authorized(self, sid):
            expected = (
                "Basic " + base64.b64encode("{}:{}".format(state.account_sid, state.auth_token).encode()).decode()
            )
            return sid == state.account_sid and self.headers.get("Authorization") == expected

        def do_GET(self):
            parts = urlsplit(self.path)
            if parts.path.startswith("/_fake/"):
                name = parts.path[len("/_fake/") :]
                with state.lock:
                    data = {
                        "sms": state.sms,
                        "emails": state.emails,
                        "callbacks": state.callbacks,
                        "behaviour": state.behaviour,
                    }.get(name)
                    data = list(data) if isinstance(data, list) else data
                return self._send(200 if data is not None else 404, data)
            match = MESSAGES.match(parts.path)
            if not match:
                return self._send(404, {"code": 20404, "message": "not found", "status": 404})
            if not self._authorized(match["sid"]):
                return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
            query = parse_qs(parts.query)
            to = query.get("To", [None])[0]
            with state.lock:
                found = [m for m in reversed(state.sms) if to is None or m["to"] == to]
            size = int(query.get("PageSize", ["50"])[0])
            return self._send(
                200,
                {
                    "messages": found[:size],
                    "page": 0,
                    "page_size": size,
                    "next_page_uri": None,
                    "previous_page_uri": None,
                    "first_page_uri": parts.path,
                    "uri": self.path,
                    "start": 0,
                    "end": min(size, len(found)) - 1,
                },
            )

        def do_POST(self):
            parts = urlsplit(self.path)
            raw = self._body()
            if parts.path == "/_fake/behaviour":
                with state.lock:
                    state.behaviour.update(json.loads(raw or b"{}"))
                    return self._send(200, state.behaviour)
            if parts.path == "/_fake/reset":
                state.reset()
                return self._send(200, {"reset": True})
            match = MESSAGES.match(parts.path)
            if not match:
                return self._send(404, {"code": 20404, "message": "not found", "status": 404})
            if not self._authorized(match["sid"]):
                return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
            params = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            with state.lock:
                delay = state.behaviour["delay"]
                fail = state.behaviour["fail_next"] > 0
                if fail:
                    state.behaviour["fail_next"] -= 1
                    status, code = state.behaviour["fail_status"], state.behaviour["fail_code"]
            if fail:
                if delay:
                    time.sleep(delay)
                return self._send(status, {"code": code, "message": "injected failure", "status": status})
            to = params.get("To", "")
            if not E164.match(to):
                return self._send(
                    400,
                    {
                        "code": 21211,
                        "message": "The 'To' number {} is not a valid phone number.".format(to),
                        "status": 400,
                    },
                )
            sender = params.get("From") or params.get("MessagingServiceSid")
            if not sender or not params.get("Body"):
                return self._send(
                    400, {"code": 21602, "message": "Message body and a sender are required.", "status": 400}
                )
            now = time.time()
            message = {
                "sid": "SM" + uuid.uuid4().hex,
                "account_sid": state.account_sid,
                "to": to,
                "from": params.get("From"),
                "messaging_service_sid": params.get("MessagingServiceSid"),
                "body": params["Body"],
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "date_created": rfc2822(now),
                "date_updated": rfc2822(now),
                "date_sent": None,
                "api_version": "2010-04-01",
                "price": None,
                "error_code": None,
                "error_message": None,
                "uri": "/2010-04-01/Accounts/{}/Messages/x.json".format(state.account_sid),
                "received_at": now,
            }
            message["uri"] = message["uri"].replace("x.json", message["sid"] + ".json")
            with state.lock:
                state.sms.append(message)
                callbacks = state.behaviour["callbacks"]
            if params.get("StatusCallback") and callbacks:
                state.outbox.put((params["StatusCallback"], message))
            if delay:  # accepted, but slow to answer: the hardest case for a sender that crashes
                time.sleep(delay)
            return self._send(201, message)

    return Handler


def post_callbacks(state):
    """Twilio's side of delivery: a signed ``sent`` then ``delivered`` callback per message."""
    import requests
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(state.auth_token)
    session = requests.Session()
    while True:
        url, message = state.outbox.get()
        delay = state.behaviour.get("callback_delay") or 0
        if delay:
            time.sleep(delay)
        for status in ("sent", "delivered"):
            params = {
                "MessageSid": message["sid"],
                "SmsSid": message["sid"],
                "AccountSid": state.account_sid,
                "MessageStatus": status,
                "SmsStatus": status,
                "To": message["to"],
                "From": message["from"] or "",
                "ApiVersion": "2010-04-01",
            }
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
            try:
                answer = session.post(url, data=params, headers=headers, timeout=30).status_code
            except requests.RequestException as exc:
                answer = str(exc)
            with state.lock:
                state.callbacks.append({"sid": message["sid"], "status": status, "answer": answer, "at": time.time()})


class SmtpHandler:
    def __init__(self, state):
        self.state = state

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = parsed.get_body(("plain",))
        html = parsed.get_body(("html",))
        with self.state.lock:
            self.state.emails.append(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "subject": parsed["Subject"],
                    "message_id": parsed["Message-ID"],
                    "text": text.get_content() if text is not None else None,
                    "html": html.get_content() if html is not None else None,
                    "received_at": time.time(),
                }
            )
        return "250 Message accepted for delivery"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--account-sid", default="AC" + uuid.uuid4().hex)
    parser.add_argument("--auth-token", default=uuid.uuid4().hex)
    parser.add_argument("--callback-threads", type=int, default=4)
    args = parser.parse_args(argv)
    from aiosmtpd.controller import Controller

    state = State(args.account_sid, args.auth_token)
    server = ThreadingHTTPServer(("127.0.0.1", args.http_port), make_handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for _ in range(args.callback_threads):
        threading.Thread(target=post_callbacks, args=(state,), daemon=True).start()
    smtp_port = args.smtp_port or free_port()
    controller = Controller(SmtpHandler(state), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    print(
        json.dumps(
            {
                "http_port": server.server_address[1],
                "smtp_port": smtp_port,
                "account_sid": args.account_sid,
                "auth_token": args.auth_token,
            }
        ),
        flush=True,
    )
    try:
        sys.stdin.read()  # runs until the parent closes our stdin (or dies)
    finally:
        controller.stop()
        server.shutdown()


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeProviders:
    """Starts ``python -m tests.fakes.providers`` and talks to its control API."""

    def __init__(self, root=None, callback_threads=4):
        root = root or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        command = [sys.executable, "-m", "tests.fakes.providers", "--callback-threads", str(callback_threads)]
        self.process = subprocess.Popen(
            command,
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(os.environ, PYTHONWARNINGS="ignore"),
        )
        ready = json.loads(self.process.stdout.readline())
        self.http_port, self.smtp_port = ready["http_port"], ready["smtp_port"]
        self.account_sid, self.auth_token = ready["account_sid"], ready["auth_token"]
        self.base_url = "http://127.0.0.1:{}".format(self.http_port)

    def env(self):
        """What points the notifications service at these servers."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_BASE_URL": self.base_url,
            "TWILIO_DEFAULT_SENDER": "CRM",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "SMTP_TLS": "none",
        }

    def config(self):
        env = self.env()
        env["SMTP_PORT"] = self.smtp_port
        return env

    def _get(self, name):
        import requests

        return requests.get("{}/_fake/{}".format(self.base_url, name), timeout=30).json()

    def sms(self):
        return self._get("sms")

    def emails(self):
        return self._get("emails")

    def callbacks(self):
        return self._get("callbacks")

    def behave(self, **behaviour):
        import requests

        return requests.post(self.base_url + "/_fake/behaviour", json=behaviour, timeout=30).json()

    def reset(self):
        import requests

        requests.post(self.base_url + "/_fake/reset", timeout=30)

    def stop(self):
        try:
            self.process.stdin.close()
            self.process.wait(10)
        except Exception:
            self.process.kill()


if __name__ == "__main__":
    main()
