"""One request id follows a request through every service: the gateway answers it, the gateway's,
the called service's and the event handler's log lines (JSON, one per line) carry it."""

import json
import uuid

import pytest
import requests

from tests.conftest import wait_for

pytestmark = pytest.mark.e2e


def log_entries(system):
    """The system log's JSON lines (the launcher's own ``[crm]`` lines are not JSON)."""
    entries = []
    for line in system.log().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def entries_of(system, request_id, wanted, timeout=30):
    """The log entries of ``request_id``, once ``wanted(entries)`` holds (fails after ``timeout``)."""

    def found():
        entries = [e for e in log_entries(system) if e["request_id"] == request_id]
        return entries if wanted(entries) else None

    return wait_for(found, timeout, "the log lines of request " + request_id, interval=0.2)


def said(entries, service, beginning):
    return any(e["service"] == service and e["message"].startswith(beginning) for e in entries)


def test_a_request_id_is_answered_and_followed_through_the_call_and_its_event(system, admin, new_user, new_department):
    user, department = new_user(), new_department()
    path = "/api/v1/users/{}".format(user.user["id"])
    response = admin.patch(path, {"department_id": department["id"]}, headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "abc-123"

    def complete(entries):
        return said(entries, "customers", "customers.follow_owner_department done")

    entries = entries_of(system, "abc-123", complete)
    assert said(entries, "gateway", "PATCH {} 200 in ".format(path)), entries
    assert said(entries, "directory", "directory.update_user done"), entries
    assert complete(entries), entries  # the handler of user_department_changed, in another service
    for entry in entries:
        assert set(entry) >= {"time", "level", "service", "logger", "message", "request_id"}


def test_every_answer_has_a_request_id_errors_included(system, anonymous):
    given = requests.get(system.base_url + "/api/v1/nowhere", headers={"X-Request-ID": "mine-1"}, timeout=10)
    assert given.status_code == 404 and given.headers["X-Request-ID"] == "mine-1"
    outside = requests.get(system.base_url + "/not-a-route", timeout=10)  # no route at all
    assert outside.status_code == 404 and uuid.UUID(outside.headers["X-Request-ID"])
    refused = anonymous.get("/api/v1/me", headers={"X-Request-ID": "not a safe id"})
    assert refused.status_code == 401
    made = refused.headers["X-Request-ID"]
    assert made != "not a safe id" and uuid.UUID(made)
    entries = entries_of(system, made, lambda entries: said(entries, "gateway", "GET /api/v1/me 401"))
    assert said(entries, "gateway", "GET /api/v1/me 401"), entries
