"""Structured logs: the JSON and text formats, the request id filter, the gateway's request ids."""

import io
import json
import logging
import uuid

import pytest

from gateway.request_ids import RequestIds, context_data
from services.core import logs


def emit(handler, message, *args, exc_info=None, **extra):
    """What ``handler`` writes for one record of the logger ``crm.test``."""
    stream = io.StringIO()
    handler.setStream(stream)
    logger = logging.getLogger("crm.test")
    record = logger.makeRecord("crm.test", logging.WARNING, __file__, 1, message, args, exc_info, extra=extra or None)
    handler.handle(record)
    return stream.getvalue()


def test_a_json_line_names_time_level_service_logger_message_and_request():
    with logs.serving("abc-123"):
        line = emit(logs.console("customers"), "moved %d customers", 3)
    assert line.endswith("\n") and line.count("\n") == 1
    entry = json.loads(line)
    assert entry.pop("time").endswith("+00:00")
    assert entry == {
        "level": "WARNING",
        "service": "customers",
        "logger": "crm.test",
        "message": "moved 3 customers",
        "request_id": "abc-123",
    }


def test_outside_a_worker_the_request_id_is_null_and_an_explicit_one_wins():
    handler = logs.console("gateway", "json")
    assert json.loads(emit(handler, "idle"))["request_id"] is None
    with logs.serving("from-the-worker"):
        assert json.loads(emit(handler, "access", request_id="explicit"))["request_id"] == "explicit"
    assert logs.current_request_id() is None


def test_an_exception_is_in_the_line_as_text_and_a_message_stays_one_line():
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        import sys

        line = emit(logs.console("tickets"), "failed\non two lines", exc_info=sys.exc_info())
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert entry["message"] == "failed\non two lines"
    assert entry["exception"].startswith("Traceback") and "ZeroDivisionError: division by zero" in entry["exception"]


def test_the_text_format_tags_the_request():
    handler = logs.console("treasury", "text")
    with logs.serving("abc-123"):
        assert emit(handler, "confirmed").rstrip().endswith(" treasury WARNING crm.test [abc-123]: confirmed")
    assert emit(handler, "idle").rstrip().endswith(" treasury WARNING crm.test: idle")


def test_serving_blocks_nest_and_restore():
    with logs.serving("outer"):
        with logs.serving("inner"):
            assert logs.current_request_id() == "inner"
        assert logs.current_request_id() == "outer"
    assert logs.current_request_id() is None


@pytest.mark.parametrize("value", ["", "json", "JSON", None])
def test_json_is_the_default_format(value):
    assert isinstance(logs.formatter("x", value), logs.JsonFormatter)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.formatter("x", "xml")


@pytest.mark.parametrize("value", ["abc-123", "a" * 128, "Root_1.2:3", str(uuid.uuid4())])
def test_a_safe_request_id_is_kept(value):
    assert logs.request_id_from(value) == value


@pytest.mark.parametrize("value", [None, "", "a" * 129, "two words", "line\nbreak", 'quote"', "<script>", "é", 123])
def test_another_request_id_is_replaced_by_a_new_one(value):
    made = logs.request_id_from(value)
    assert made != value and str(uuid.UUID(made)) == made


def call(header=None):
    """Run the WSGI middleware around a route that answers 404; returns (status, headers, environ seen by app)."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/me"}
    if header is not None:
        environ["HTTP_X_REQUEST_ID"] = header
    seen, answered = {}, {}

    def start_response(status, headers, exc_info=None):
        answered.update(status=status, headers=headers)

    def inner(environ, start_response):
        seen.update(environ)
        start_response("404 NOT FOUND", [("Content-Type", "application/json"), ("X-Request-ID", "spoofed")])
        return [b"{}"]

    RequestIds(inner)(environ, start_response)
    return answered["status"], answered["headers"], seen


def test_the_gateway_answers_the_request_id_it_was_given_and_logs_the_request(caplog):
    caplog.set_level(logging.INFO, logger="gateway.request_ids")
    status, headers, environ = call("abc-123")
    assert status.startswith("404")
    assert [value for name, value in headers if name.lower() == "x-request-id"] == ["abc-123"]
    assert context_data(type("Request", (), {"environ": environ})) == {"request_id": "abc-123"}
    (record,) = [r for r in caplog.records if r.name == "gateway.request_ids"]
    assert record.request_id == "abc-123" and record.getMessage().startswith("GET /api/v1/me 404 in ")


def test_the_gateway_makes_a_request_id_when_none_or_a_bad_one_is_given():
    made = set()
    for header in (None, "bad id"):
        _, headers, environ = call(header)
        (value,) = [value for name, value in headers if name.lower() == "x-request-id"]
        assert value == environ["crm.request_id"] and str(uuid.UUID(value)) == value
        made.add(value)
    assert len(made) == 2
