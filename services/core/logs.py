"""Logs: one JSON line per log event, each naming the request it belongs to.

Every process logs through :func:`console` (the ``LOGGING`` block of its ``config.yml``): one
line per event on stderr, JSON by default (``LOG_FORMAT=json``)::

    {"time": "2026-12-02T01:02:03.456+00:00", "level": "INFO", "service": "customers",
     "logger": "services.core.logs", "message": "customers.transfer_owner done in 812 ms",
     "request_id": "abc-123"}

plus ``"exception"`` (the traceback) when there is one; ``LOG_FORMAT=text`` gives the same in
one readable line (``... customers INFO services.core.logs [abc-123]: ...``).

The request id: the gateway takes a request's ``X-Request-ID`` (:func:`request_id_from`: at most
128 letters, digits and ``- _ . :``, else a new one) or makes one (a uuid4), answers it in the
response's ``X-Request-ID`` and puts it in the worker's nameko context data under
``request_id``, next to the actor.  nameko copies context data into the headers of every RPC
call, so the called service's worker has it too; the outbox stores it with each event recorded
by a worker (:func:`services.core.outbox.record_event`), so the worker handling the event, later,
in another service, has it as well, and so on down the chain: ``grep abc-123`` follows one
request through every service.

:class:`ServiceContainer` (``SERVICE_CONTAINER_CLS`` in every ``config.yml``) is nameko's
container that, while a worker runs, keeps its request id where :class:`RequestIdFilter` (every
line the worker logs) and the outbox find it, gives a worker that came without one (a timer, a
script's call) a new one, and logs one line per finished worker (``customers.transfer_owner
done in 812 ms`` / ``failed (ConcurrentChange) in ...``; health pings and timers that succeed
at DEBUG only; the gateway logs one line per HTTP request instead, :mod:`gateway.request_ids`).
"""

import contextlib
import datetime
import json
import logging
import re
import time
import uuid

from eventlet.corolocal import local
from nameko.containers import ServiceContainer as NamekoContainer
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler

REQUEST_ID_KEY = "request_id"  # in nameko context data (and so in message headers: nameko.request_id)
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_MAX_LENGTH = 128
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,%d}" % REQUEST_ID_MAX_LENGTH)

DEFAULT_FORMAT = "json"  # the default of LOG_FORMAT
FORMATS = ("json", "text")

QUIET_METHODS = frozenset({"ping"})  # health checks: their worker line is DEBUG (timers' too)

log = logging.getLogger(__name__)

_worker = local()  # green-thread local: the request id of the worker running on this green thread


def valid_request_id(value):
    """``value`` if it may serve as a request id (a short string of safe characters), else None."""
    if isinstance(value, str) and _REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id():
    return str(uuid.uuid4())


def request_id_from(value):
    """The request id to use for a request whose ``X-Request-ID`` is ``value`` (None: absent)."""
    return valid_request_id(value) or new_request_id()


def current_request_id():
    """The request id of the worker running on this green thread; None outside a worker."""
    return getattr(_worker, "request_id", None)


@contextlib.contextmanager
def serving(request_id):
    """The code run inside the block (on this green thread) serves the request ``request_id``."""
    previous = current_request_id(), getattr(_worker, "started", None)
    _worker.request_id, _worker.started = request_id, time.monotonic()
    try:
        yield
    finally:
        _worker.request_id, _worker.started = previous


class ServiceContainer(NamekoContainer):
    """nameko's container, telling the logs and the outbox which request each worker serves."""

    def _run_worker(self, worker_ctx, handle_result):
        request_id = valid_request_id(worker_ctx.data.get(REQUEST_ID_KEY))
        if request_id is None:  # a timer, a script's call, or a malformed id: a new one from here on
            request_id = worker_ctx.data[REQUEST_ID_KEY] = new_request_id()
        with serving(request_id):
            super()._run_worker(worker_ctx, handle_result)

    def _worker_result(self, worker_ctx, result, exc_info):
        super()._worker_result(worker_ctx, result, exc_info)
        entrypoint = worker_ctx.entrypoint
        if isinstance(entrypoint, HttpRequestHandler):  # the gateway logs the HTTP request itself
            return
        started = getattr(_worker, "started", None)
        elapsed = (time.monotonic() - started) * 1000 if started is not None else 0.0
        name = "{}.{}".format(self.service_name, entrypoint.method_name)
        if exc_info is not None:
            log.info("%s failed (%s) in %.0f ms", name, exc_info[0].__name__, elapsed)
        elif isinstance(entrypoint, Timer) or entrypoint.method_name in QUIET_METHODS:
            log.debug("%s done in %.0f ms", name, elapsed)
        else:
            log.info("%s done in %.0f ms", name, elapsed)


class RequestIdFilter(logging.Filter):
    """Gives each record the request id of the worker that logs it (``record.request_id``, None
    outside a worker), unless the record names one already (``extra={"request_id": ...}``)."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, service, logger, message,
    request_id, and exception (the traceback) when there is one."""

    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """``<time> <service> <LEVEL> <logger> [<request id>]: <message>`` (and the traceback)."""

    def __init__(self, service):
        super().__init__(
            "%(asctime)s {} %(levelname)s %(name)s%(request_tag)s: %(message)s".format(service.replace("%", "%%"))
        )

    def format(self, record):
        request_id = getattr(record, "request_id", None)
        record.request_tag = " [{}]".format(request_id) if request_id else ""
        return super().format(record)


def formatter(service, log_format=None):
    """The formatter of ``LOG_FORMAT`` (``json``, the default, or ``text``)."""
    chosen = (log_format or DEFAULT_FORMAT).strip().lower()
    if chosen not in FORMATS:
        raise ValueError("LOG_FORMAT must be one of {}, not {!r}".format(", ".join(FORMATS), log_format))
    return JsonFormatter(service) if chosen == "json" else TextFormatter(service)


def console(service, log_format=None):
    """The handler of every process (``"()": services.core.logs.console`` in ``LOGGING``): stderr,
    the request id filter, the formatter of ``log_format``."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(service, log_format))
    return handler
