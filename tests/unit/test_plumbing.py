"""Unit tests of the shared plumbing: actor context, errors and their HTTP mapping, tokens, routing."""

import datetime
import json

import jwt
import pytest
from marshmallow import Schema, fields
from nameko.exceptions import RemoteError, deserialize, serialize
from werkzeug.datastructures import MultiDict

from gateway.actors import ActorCache
from gateway.errors import ApiError, error_response
from gateway.routing import Router, _query_dict, dispatch
from gateway.rpc import Caller
from gateway.tokens import TokenIssuer
from services.core.actor import Actor, CurrentActor
from services.core.errors import (
    ConcurrentChange,
    Conflict,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceTimeout,
    ServiceUnavailable,
    parse_remote_error,
    relayed,
)
from services.core.schemas import flatten_messages


class FakeWorkerContext:
    def __init__(self, data):
        self.context_data = data


# -- actor context -------------------------------------------------------------


def test_actor_round_trips_through_context_data():
    actor = Actor(id=7, username="lan", department_id=3, roles=("staff", "admin"), managed_department_ids=(3, 4))
    data = json.loads(json.dumps(actor.to_context()))  # what travels in AMQP headers
    assert Actor.from_context(data) == actor
    assert Actor.from_context(data).is_admin


def test_current_actor_reads_context_and_tolerates_garbage():
    provider = CurrentActor()
    assert provider.get_dependency(FakeWorkerContext({"actor": {"id": 5, "roles": ["staff"]}})).id == 5
    assert provider.get_dependency(FakeWorkerContext({})) is None
    assert provider.get_dependency(FakeWorkerContext({"actor": "not a dict"})) is None


# -- errors across the bus ---------------------------------------------------------


class CustomerNotFound(NotFound):  # a service's own domain error
    code = "CUSTOMER_NOT_FOUND"


@pytest.mark.parametrize(
    "error, status",
    [
        (InvalidInput(fields={"name": ["Missing data for required field."]}), 400),
        (CustomerNotFound("Customer 4 not found."), 404),
        (Conflict(), 409),
        (RuleViolation("Balance would go negative.", code="INSUFFICIENT_FUNDS"), 422),
        (ConcurrentChange(), 409),
        (ServiceUnavailable("The directory service is not running."), 503),
        (ServiceTimeout("The directory service did not answer in time."), 504),
    ],
)
def test_domain_errors_survive_nameko_serialisation_and_map_to_status(error, status):
    remote = deserialize(serialize(error))  # exactly what the gateway receives
    assert isinstance(remote, RemoteError)
    data = parse_remote_error(remote.value)
    assert data["code"] == error.code and data["message"] == error.message
    response = error_response(ApiError.from_dict(data))
    assert response.status_code == status
    body = json.loads(response.get_data())
    assert body["error"]["code"] == error.code
    assert body["error"].get("fields", {}) == error.fields


@pytest.mark.parametrize("error", [CustomerNotFound(), ConcurrentChange(), ServiceTimeout(), RuleViolation()])
def test_a_service_relays_the_domain_error_of_the_service_it_called(error):
    """What a caller re-raises keeps the kind, code, message and fields, and whether a retry may succeed."""
    again = relayed(deserialize(serialize(error)))
    assert (again.kind, again.code, again.message, again.fields, again.retryable) == (
        error.kind,
        error.code,
        error.message,
        error.fields,
        error.retryable,
    )
    bug = deserialize(serialize(KeyError("x")))
    assert relayed(bug) is bug


def test_non_domain_errors_are_not_mistaken_for_domain_errors():
    assert parse_remote_error(str(KeyError("x"))) is None
    assert parse_remote_error('{"kind": "bogus", "code": "X"}') is None


def test_error_message_in_vietnamese_when_asked():
    error = ApiError("not_found", "NOT_FOUND", "Not found.")
    vi = json.loads(error_response(error, "vi-VN,vi;q=0.9,en;q=0.5").get_data())
    en = json.loads(error_response(error, "en-US,en;q=0.9,vi;q=0.5").get_data())
    assert vi["error"]["message"] == "Không tìm thấy."
    assert en["error"]["message"] == "Not found."


def test_unauthenticated_answers_with_www_authenticate():
    response = error_response(ApiError("unauthenticated", "INVALID_TOKEN", "bad"))
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_nested_validation_messages_are_flattened():
    assert flatten_messages({"lines": {0: {"quantity": ["Too small."]}}, "x": ["Unknown field."]}) == {
        "lines.0.quantity": ["Too small."],
        "x": ["Unknown field."],
    }


# -- tokens ------------------------------------------------------------------------

SECRET = "s" * 32


def test_token_issued_is_accepted():
    issued = TokenIssuer(SECRET, 60).issue(42)
    assert issued["token_type"] == "bearer" and issued["expires_in"] == 60
    assert TokenIssuer(SECRET, 60).user_id("Bearer " + issued["access_token"]) == 42


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic abc",
        "Bearer not.a.jwt",
        "Bearer " + jwt.encode({"sub": "1", "exp": 9999999999}, "another secret", algorithm="HS256"),
        "Bearer " + jwt.encode({"sub": "1", "exp": 9999999999}, None, algorithm="none"),
        "Bearer " + jwt.encode({"sub": "1"}, SECRET, algorithm="HS256"),  # no expiry
        "Bearer " + jwt.encode({"sub": "1", "exp": 9999999999}, SECRET, algorithm="HS512"),
    ],
)
def test_bad_tokens_are_refused(header):
    with pytest.raises(ApiError) as caught:
        TokenIssuer(SECRET, 60).user_id(header)
    assert caught.value.kind == "unauthenticated"


def test_expired_token_is_refused():
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)
    token = TokenIssuer(SECRET, 60).issue(1, now=past)["access_token"]
    with pytest.raises(ApiError):
        TokenIssuer(SECRET, 60).user_id("Bearer " + token)


# -- routing -----------------------------------------------------------------------


class StarsQuery(Schema):
    stars = fields.List(fields.Integer())
    q = fields.String()


def test_query_lists_keep_every_value():
    args = MultiDict([("stars", "4"), ("stars", "5"), ("q", "an")])
    assert _query_dict(StarsQuery, args) == {"stars": ["4", "5"], "q": "an"}


class Body(Schema):
    name = fields.String(required=True)


class FakeRpc:
    def __init__(self):
        self.calls = []

    def __call__(self, service, method, *args):
        self.calls.append((service, method) + args)
        return {"id": 1, "roles": ["admin"], "token_version": 0, "profile": {"id": 1}}

    def act_as(self, actor):
        self.actor = actor


class FakeTokens:
    def subject(self, header):
        if header != "Bearer good":
            raise ApiError("unauthenticated", "INVALID_TOKEN", "bad")
        return 1, 0


def _request(method, path, body=b"", headers=None):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    return Request(EnvironBuilder(method=method, path=path, data=body, headers=headers or {}).get_environ())


def _router():
    router = Router()

    @router.route("POST", "/api/v1/things", body=Body, status=201, tag="t", summary="s")
    def create(req):
        return {"made": req.body["name"], "by": req.actor["id"]}

    return router


def test_dispatch_authenticates_validates_and_calls_the_route():
    rpc = FakeRpc()
    response = dispatch(
        _router(),
        _request("POST", "/api/v1/things", b'{"name": "x"}', {"Authorization": "Bearer good"}),
        rpc,
        FakeTokens(),
        actors=ActorCache(),
    )
    assert response.status_code == 201 and json.loads(response.get_data()) == {"made": "x", "by": 1}
    assert rpc.actor == {"id": 1, "roles": ["admin"]}


@pytest.mark.parametrize(
    "body, headers, status, code",
    [
        (b'{"name": "x"}', {}, 401, "INVALID_TOKEN"),
        (b'{"name": ', {"Authorization": "Bearer good"}, 400, "MALFORMED_JSON"),
        (b'{"name": "x", "admin": true}', {"Authorization": "Bearer good"}, 400, "VALIDATION_ERROR"),
        (b"[1, 2]", {"Authorization": "Bearer good"}, 400, "VALIDATION_ERROR"),
    ],
)
def test_dispatch_refuses_bad_requests(body, headers, status, code):
    response = dispatch(
        _router(), _request("POST", "/api/v1/things", body, headers), FakeRpc(), FakeTokens(), actors=ActorCache()
    )
    assert response.status_code == status
    assert json.loads(response.get_data())["error"]["code"] == code


def test_unknown_route_is_404_with_error_body():
    response = dispatch(_router(), _request("GET", "/api/v1/nothing"), FakeRpc(), FakeTokens())
    assert response.status_code == 404
    assert json.loads(response.get_data())["error"]["code"] == "ROUTE_NOT_FOUND"


def test_rpc_timeout_becomes_service_timeout():
    import eventlet

    class NeverAnswers:
        def result(self):
            eventlet.sleep(10)

    caller = Caller(worker_ctx=None, reply_listener=None, timeout=0.05)
    with pytest.raises(ApiError) as caught:
        caller.wait("customers", NeverAnswers())
    assert caught.value.kind == "timeout" and caught.value.code == "SERVICE_TIMEOUT"


def test_openapi_document_is_valid():
    from openapi_spec_validator import validate

    from gateway.service import OPENAPI

    validate(OPENAPI)
    assert "/api/v1/auth/login" in OPENAPI["paths"]


def test_a_failing_event_handler_is_retried_for_about_a_minute_by_default():
    from services.core.events import retry_pause

    pauses = [retry_pause(attempts, 0.5, 30) for attempts in range(1, 8)]  # 8 deliveries, 7 pauses
    assert pauses == [0.5, 1, 2, 4, 8, 16, 30] and 55 < sum(pauses) < 70
