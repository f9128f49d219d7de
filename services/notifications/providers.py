"""Outside providers: one interface per channel, implementations chosen by configuration.

SMS: :class:`TwilioSms` when ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` are
set, else :class:`LogSms` (one JSON line per message in a local file).
Email: :class:`SmtpEmail` when ``SMTP_HOST`` is set, else :class:`FolderEmail`
(one ``.eml`` file per message in a local folder).

Every provider offers:

- ``send(message) -> provider id``; raises :class:`ProviderError` (``permanent``
  when trying again cannot help, e.g. an invalid number);
- ``reconcile(message) -> (outcome, provider id)`` for a message whose sending
  was interrupted (the service stopped while waiting for the provider):
  ``SENT`` (found at the provider), ``NOT_SENT`` (safe to send) or ``UNKNOWN``.

``message`` is an :class:`Outgoing`.  The :class:`Providers` dependency builds
them once per service instance, with a rate limiter per provider.
"""

import datetime
import email.policy
import email.utils
import json
import logging
import os
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage

import eventlet
from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)

SENT, NOT_SENT, UNKNOWN = "sent", "not_sent", "unknown"


class ProviderError(Exception):
    def __init__(self, message, permanent=False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str
    to: str
    body: str
    sender: str | None = None
    subject: str | None = None
    html: str | None = None
    advertising: bool = False
    claimed_at: datetime.datetime | None = None


class RateLimiter:
    """Token bucket shared by the workers of one service instance (``rate`` per second)."""

    def __init__(self, rate, burst=None, clock=time.monotonic, sleep=eventlet.sleep):
        self.rate = float(rate)
        self.capacity = float(burst or max(1.0, self.rate / 10))
        self.tokens = self.capacity
        self.clock, self.sleep = clock, sleep
        self.updated = clock()

    def acquire(self):
        if self.rate <= 0:
            return
        while True:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1 - 1e-9:
                self.tokens = max(0.0, self.tokens - 1)
                return
            self.sleep(max((1 - self.tokens) / self.rate, 1e-4))


# -- SMS ----------------------------------------------------------------------

# Twilio error codes that no retry can fix (invalid or unreachable numbers, bad sender...).
TWILIO_PERMANENT_CODES = {21211, 21212, 21408, 21602, 21606, 21610, 21612, 21614, 21617, 21619, 21659, 21703}


class TwilioSms:
    name = "twilio"

    def __init__(
        self,
        account_sid,
        auth_token,
        default_sender=None,
        base_url=None,
        status_callback=None,
        timeout=10,
        pool_size=20,
    ):
        from requests.adapters import HTTPAdapter
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        http_client = TwilioHttpClient(timeout=timeout)
        for scheme in ("http://", "https://"):
            http_client.session.mount(scheme, HTTPAdapter(pool_connections=4, pool_maxsize=pool_size))
        # requests would otherwise scan the environment for proxy settings on every call (a third of the CPU)
        http_client.session.trust_env = False
        self.client = Client(account_sid, auth_token, http_client=http_client)
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        self.default_sender = default_sender
        self.status_callback = status_callback

    def describe(self):
        return "Twilio ({})".format(self.client.api.base_url)

    @staticmethod
    def _sender_args(sender):
        if sender and sender.startswith("MG") and len(sender) == 34:
            return {"messaging_service_sid": sender}
        return {"from_": sender}

    def callback_url(self, message_id):
        if not self.status_callback:
            return None
        return "{}?message_id={}".format(self.status_callback, message_id)

    def send(self, message):
        from twilio.base.exceptions import TwilioException, TwilioRestException

        args = self._sender_args(message.sender or self.default_sender)
        callback = self.callback_url(message.id)
        if callback:
            args["status_callback"] = callback
        try:
            created = self.client.messages.create(to=message.to, body=message.body, **args)
        except TwilioRestException as exc:
            permanent = exc.code in TWILIO_PERMANENT_CODES or (400 <= exc.status < 500 and exc.status != 429)
            raise ProviderError("Twilio {} (code {}): {}".format(exc.status, exc.code, exc.msg), permanent)
        except (TwilioException, OSError) as exc:
            raise ProviderError("Twilio unreachable: {}".format(exc))
        return created.sid

    def reconcile(self, message, taken=lambda provider_id: False):
        """Look for the message at Twilio: same recipient and body, created since shortly before it was claimed.

        ``taken(sid)`` tells whether a sid already belongs to another message (the
        same text to the same number twice), which is then not this one.
        """
        from twilio.base.exceptions import TwilioException

        since = (message.claimed_at or datetime.datetime.now(datetime.UTC)) - datetime.timedelta(minutes=5)
        try:
            found = self.client.messages.list(to=message.to, limit=100)  # newest first
        except (TwilioException, OSError) as exc:
            raise ProviderError("Twilio unreachable: {}".format(exc))
        for item in found:
            created = item.date_created
            if created is not None and created < since:
                break
            if item.body == message.body and not taken(item.sid):
                return SENT, item.sid
        return NOT_SENT, None


class LogSms:
    """Local backend: SMS are appended to ``<dir>/sms.jsonl`` and logged, nothing leaves the machine."""

    name = "log"

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, "sms.jsonl")
        self.lock = threading.Lock()

    def describe(self):
        return "local log ({})".format(self.path)

    def send(self, message):
        provider_id = "log-{}".format(message.id)
        line = json.dumps(
            {
                "provider_id": provider_id,
                "message_id": message.id,
                "to": message.to,
                "from": message.sender,
                "body": message.body,
                "at": datetime.datetime.now(datetime.UTC).isoformat(),
            },
            ensure_ascii=False,
        )
        with self.lock, open(self.path, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
        log.info("SMS %s to %s logged (no Twilio credentials)", message.id, message.to)
        return provider_id

    def reconcile(self, message, taken=None):
        needle = '"provider_id": "log-{}"'.format(message.id)
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as stream:
                if any(needle in line for line in stream):
                    return SENT, "log-{}".format(message.id)
        return NOT_SENT, None


# -- email ------------------------------------------------------------------


class _HeaderRegistry(HeaderRegistry):
    """The standard header registry, minus its cost: it builds a new header class on every lookup."""

    def __init__(self):
        super().__init__()
        self.classes = {}

    def __getitem__(self, name):
        key = name.lower()
        found = self.classes.get(key)
        if found is None:
            found = self.classes[key] = super().__getitem__(name)
        return found


# email.policy.default (what EmailMessage uses) with the registry above
EMAIL_POLICY = email.policy.default.clone(header_factory=_HeaderRegistry())


def build_email(message, sender):
    mail = EmailMessage(policy=EMAIL_POLICY)
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject or ""
    mail["Date"] = email.utils.formatdate(localtime=False)
    mail["Message-ID"] = message_id_header(message, sender)
    mail.set_content(message.body, charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


def message_id_header(message, sender):
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "crm.local"
    return "<crm-message-{}@{}>".format(message.id, domain)


class SmtpEmail:
    name = "smtp"
    # a connection idle for longer is checked (NOOP) before it is used again; one used moments ago
    # is not (a round trip per message), and if it was dropped meanwhile the send fails as a
    # temporary error and is retried like any other
    CHECK_IDLE_AFTER = 2.0

    def __init__(
        self,
        host,
        port=587,
        tls="starttls",
        user=None,
        password=None,
        sender="CRM <no-reply@crm.local>",
        timeout=20,
        pool_size=5,
    ):
        self.host, self.port, self.tls = host, int(port), (tls or "none").lower()
        if self.tls not in ("starttls", "ssl", "none"):
            raise ValueError("SMTP_TLS must be starttls, ssl or none (got {!r})".format(tls))
        self.user, self.password, self.sender, self.timeout = user, password, sender, timeout
        self.idle = LightQueue()  # (connection, monotonic time it was last used)
        self.pool_size = pool_size

    def describe(self):
        return "SMTP {}:{} ({})".format(self.host, self.port, self.tls)

    def _connect(self):
        if self.tls == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if self.user:
            smtp.login(self.user, self.password or "")
        return smtp

    def _connection(self):
        while True:
            try:
                smtp, used_at = self.idle.get_nowait()
            except eventlet.queue.Empty:
                return self._connect()
            if time.monotonic() - used_at < self.CHECK_IDLE_AFTER:
                return smtp
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except smtplib.SMTPException:
                pass
            except OSError:
                pass
            _close(smtp)

    def send(self, message):
        mail = build_email(message, self.sender)
        try:
            smtp = self._connection()
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError("SMTP {}:{} unreachable: {}".format(self.host, self.port, exc))
        try:
            refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            _close(smtp)
            raise ProviderError("SMTP refused the recipient: {}".format(exc.recipients), permanent=True)
        except smtplib.SMTPResponseException as exc:
            _close(smtp)
            raise ProviderError(
                "SMTP {}: {}".format(exc.smtp_code, exc.smtp_error), permanent=500 <= exc.smtp_code < 600
            )
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp)
            raise ProviderError("SMTP failed: {}".format(exc))
        if self.idle.qsize() < self.pool_size:
            self.idle.put((smtp, time.monotonic()))
        else:
            _close(smtp)
        if refused:
            raise ProviderError("SMTP refused the recipient: {}".format(refused), permanent=True)
        return mail["Message-ID"]

    def reconcile(self, message, taken=None):
        return UNKNOWN, None  # an SMTP server cannot be asked what it accepted


def _close(smtp):
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        try:
            smtp.close()
        except OSError:
            pass


class FolderEmail:
    """Local backend: each email is written as ``<dir>/<message id>.eml``."""

    name = "folder"

    def __init__(self, directory, sender="CRM <no-reply@crm.local>"):
        self.directory, self.sender = directory, sender
        os.makedirs(directory, exist_ok=True)

    def describe(self):
        return "local folder ({})".format(self.directory)

    def path(self, message):
        return os.path.join(self.directory, "{:012d}.eml".format(message.id))

    def send(self, message):
        mail = build_email(message, self.sender)
        target = self.path(message)
        try:
            with open(target + ".tmp", "wb") as stream:
                stream.write(mail.as_bytes())
            os.replace(target + ".tmp", target)
        except OSError as exc:
            raise ProviderError("cannot write {}: {}".format(target, exc))
        log.info("email %s to %s written to %s (no SMTP_HOST)", message.id, message.to, target)
        return mail["Message-ID"]

    def reconcile(self, message, taken=None):
        if os.path.exists(self.path(message)):
            return SENT, message_id_header(message, self.sender)
        return NOT_SENT, None


# -- the dependency -----------------------------------------------------------


class Channels:
    """What a worker gets: the provider and the rate limiter of each channel."""

    def __init__(self, sms, email, limits):
        self.providers = {"sms": sms, "email": email}
        self.limits = limits

    def provider(self, channel):
        return self.providers[channel]

    def send(self, channel, message):
        self.limits[channel].acquire()
        return self.providers[channel].send(message)


def _blank(value):
    return value is None or str(value).strip() == ""


def build_channels(config):
    """The providers the configuration asks for (local backends when credentials are missing)."""
    var_dir = str(config.get("LOCAL_OUTBOX_DIR") or "var/notifications")
    concurrency = int(config.get("SEND_CONCURRENCY", 20))
    public = config.get("PUBLIC_BASE_URL")
    callback = "{}/api/v1/webhooks/twilio/status".format(str(public).rstrip("/")) if not _blank(public) else None
    if not _blank(config.get("TWILIO_ACCOUNT_SID")) and not _blank(config.get("TWILIO_AUTH_TOKEN")):
        sms = TwilioSms(
            str(config["TWILIO_ACCOUNT_SID"]),
            str(config["TWILIO_AUTH_TOKEN"]),
            default_sender=config.get("TWILIO_DEFAULT_SENDER"),
            base_url=config.get("TWILIO_BASE_URL"),
            status_callback=callback,
            timeout=float(config.get("TWILIO_TIMEOUT", 10)),
            pool_size=concurrency,
        )
    else:
        sms = LogSms(os.path.join(var_dir, "sms"))
    sender = str(config.get("EMAIL_FROM") or "CRM <no-reply@crm.local>")
    if not _blank(config.get("SMTP_HOST")):
        email_provider = SmtpEmail(
            str(config["SMTP_HOST"]),
            int(config.get("SMTP_PORT") or 587),
            config.get("SMTP_TLS") or "starttls",
            config.get("SMTP_USER"),
            config.get("SMTP_PASSWORD"),
            sender,
            pool_size=concurrency,
        )
    else:
        email_provider = FolderEmail(os.path.join(var_dir, "email"), sender)
    limits = {
        "sms": RateLimiter(float(config.get("SMS_RATE_PER_SECOND", 50))),
        "email": RateLimiter(float(config.get("EMAIL_RATE_PER_SECOND", 20))),
    }
    return Channels(sms, email_provider, limits)


class Providers(DependencyProvider):
    """The SMS and email providers of this instance, built from config at start."""

    def setup(self):
        self.channels = build_channels(self.container.config)
        log.info(
            "notifications: SMS via %s; email via %s",
            self.channels.providers["sms"].describe(),
            self.channels.providers["email"].describe(),
        )

    def get_dependency(self, worker_ctx):
        return self.channels
