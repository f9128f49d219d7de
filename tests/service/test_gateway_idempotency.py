"""The gateway's Idempotency-Key records on a real PostgreSQL (the gateway's migrated database)."""

import pytest
from werkzeug.test import EnvironBuilder

from gateway.errors import json_response
from gateway.idempotency import IdempotencyStore

pytestmark = pytest.mark.infra

USER = 7


@pytest.fixture
def store(databases):
    engine = databases.engine("gateway")
    yield IdempotencyStore(engine, ttl_hours=24)
    databases.truncate("gateway")


def request(body=b'{"name": "An"}'):
    return EnvironBuilder(
        method="POST", path="/api/v1/customers", data=body, content_type="application/json"
    ).get_request()


@pytest.mark.parametrize("status, replayed", [(201, True), (422, True), (504, True), (500, False), (503, False)])
def test_what_a_repeat_of_the_same_request_gets(store, status, replayed):
    """A stored answer comes back; a failure that changed nothing frees the key; a 504 does not, since
    the service may have made the change after the gateway stopped waiting."""
    assert store.claim(USER, "key-1", request()) is None
    store.settle(USER, "key-1", json_response({"answer": status}, status))
    again = store.claim(USER, "key-1", request())
    if replayed:
        assert (again.status_code, again.get_json(), again.headers["Idempotent-Replayed"]) == (
            status,
            {"answer": status},
            "true",
        )
    else:
        assert again is None  # runs again


def test_same_key_other_body_or_still_running(store):
    from gateway.errors import ApiError

    assert store.claim(USER, "key-2", request()) is None
    with pytest.raises(ApiError) as running:
        store.claim(USER, "key-2", request())
    assert running.value.code == "IDEMPOTENCY_KEY_IN_USE"
    store.settle(USER, "key-2", json_response({}, 201))
    with pytest.raises(ApiError) as reused:
        store.claim(USER, "key-2", request(b'{"name": "Binh"}'))
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert store.claim(USER + 1, "key-2", request()) is None  # keys are per user
