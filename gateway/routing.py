"""The gateway's HTTP API: a table of routes, each a plain function.

A route declares its query and body schemas (marshmallow contracts, also used
for the OpenAPI document); :func:`dispatch` authenticates the request, checks
its input, calls the function and turns every failure into the one error body
(:mod:`gateway.errors`).

A route function receives an :class:`ApiRequest` and the path parameters, and
returns the JSON body (status = the route's ``status``), or ``(body, status)``,
or a werkzeug ``Response``.  It reaches the services with ``req.rpc(service,
method, *args)``; the actor of the request travels with every call.
"""

import functools
import json
import logging
from dataclasses import dataclass, field

from marshmallow import ValidationError
from marshmallow import fields as ma_fields
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter, Map, Rule
from werkzeug.wrappers import Response

from gateway.actors import signed_in
from gateway.errors import ApiError, error_response, json_response
from gateway.idempotency import HEADER as IDEMPOTENCY_HEADER
from gateway.tokens import invalid_token
from services.core.contracts.common import MAX_ID
from services.core.errors import DomainError
from services.core.schemas import flatten_messages

log = logging.getLogger(__name__)

BODY_METHODS = {"POST", "PUT", "PATCH"}


class IdConverter(IntegerConverter):
    """``<int:...>`` in a path is a row id: past ``MAX_ID`` no row can match, so no route does (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


@dataclass(eq=False)
class Route:
    method: str
    path: str
    handler: object
    summary: str
    tag: str
    query: object = None
    body: object = None
    response: object = None
    status: int = 200
    public: bool = False
    partial: bool = False
    errors: tuple = field(default_factory=tuple)


class Router:
    def __init__(self):
        self.routes = []
        self._map = None

    def route(
        self,
        method,
        path,
        *,
        summary,
        tag,
        query=None,
        body=None,
        response=None,
        status=200,
        public=False,
        partial=None,
        errors=(),
    ):
        """Register the decorated function for ``method path`` (werkzeug path syntax)."""

        def register(handler):
            self.routes.append(
                Route(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary,
                    tag=tag,
                    query=query,
                    body=body,
                    response=response,
                    status=status,
                    public=public,
                    partial=(method == "PATCH") if partial is None else partial,
                    errors=tuple(errors),
                )
            )
            self._map = None
            return handler

        return register

    @property
    def url_map(self):
        if self._map is None:
            self._map = Map(
                [Rule(r.path, methods=[r.method], endpoint=r) for r in self.routes],
                strict_slashes=False,
                converters={"int": IdConverter},
            )
        return self._map

    def match(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        no_route = ApiError(
            "not_found", "ROUTE_NOT_FOUND", "No such endpoint: {} {}.".format(request.method, request.path)
        )
        try:
            return adapter.match()
        except NotFound:
            raise no_route
        except MethodNotAllowed as refused:
            methods = sorted(set(refused.valid_methods or ()) - {"HEAD"})
            allowed = [method for method in methods if _matches(adapter, method)]
            if not allowed:
                raise no_route
            error = ApiError(
                "method_not_allowed",
                "METHOD_NOT_ALLOWED",
                "{} is not allowed on {}; use {}.".format(request.method, request.path, ", ".join(allowed)),
            )
            error.headers = {"Allow": ", ".join(allowed)}
            raise error


def _matches(adapter, method):
    """Whether a route of ``method`` takes this path: werkzeug names a method in its 405 when a rule's
    pattern matches even though its converter refuses the value (an id past ``MAX_ID``), so ask it."""
    try:
        adapter.match(method=method)
    except (NotFound, MethodNotAllowed):
        return False
    return True


class ApiRequest:
    """What a route function sees of the HTTP request."""

    def __init__(
        self, request, rpc, tokens, actor=None, query=None, body=None, throttle=None, signed_in=None, actors=None
    ):
        self.http = request
        self.rpc = rpc
        self.tokens = tokens
        self.throttle = throttle  # failed sign-ins (the login route)
        self.actor = actor
        self.signed_in = signed_in  # gateway.actors.SignedIn of the caller (its /me page), None if public
        self.actors = actors  # the instance's ActorCache: routes that change a user forget it at once
        self.query = query or {}
        self.body = body


MAX_JSON_DEPTH = 32  # no contract nests deeper than a few levels


def _json_body(request):
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid", "MALFORMED_JSON", "The request body is not valid JSON.")
    except RecursionError:
        raise ApiError(
            "invalid", "MALFORMED_JSON", "The request body nests deeper than {} levels.".format(MAX_JSON_DEPTH)
        )
    if _depth(body) > MAX_JSON_DEPTH:
        raise ApiError(
            "invalid", "MALFORMED_JSON", "The request body nests deeper than {} levels.".format(MAX_JSON_DEPTH)
        )
    return body


def _depth(value):
    """How deeply ``value`` nests lists and objects (iteratively: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


@functools.cache
def _schema(schema_cls):
    """One instance per contract for the life of the process (building one costs more than most
    requests' validation); ``load`` keeps no state on it."""
    return schema_cls()


def _validate(schema_cls, data, partial=False, where="body"):
    if not isinstance(data, dict):
        raise ApiError("invalid", "VALIDATION_ERROR", "The {} must be a JSON object.".format(where))
    try:
        _schema(schema_cls).load(data, partial=partial)
    except ValidationError as error:
        raise ApiError(
            "invalid", "VALIDATION_ERROR", "The {} is invalid.".format(where), flatten_messages(error.messages)
        )


def _query_dict(schema_cls, args):
    """Query string as a dict: list fields keep every value (``stars=4&stars=5``)."""
    schema = _schema(schema_cls)
    data = {}
    for key in args.keys():
        target = schema.fields.get(key)
        data[key] = args.getlist(key) if isinstance(target, ma_fields.List) else args.get(key)
    return data


def authenticate(request, rpc, tokens, actors):
    """The caller's :class:`~gateway.actors.SignedIn`: the token checked (signature, expiry) on
    every request, the actor kept by this instance (or asked of the directory), the token's version
    compared with the actor's; the actor is put in the context data of every following call."""
    user_id, version = tokens.subject(request.headers.get("Authorization"))
    entry = signed_in(actors, rpc, user_id)
    if entry.token_version != version:  # the password changed, or the user was deactivated
        raise invalid_token()
    rpc.act_as(dict(entry.actor))
    return entry


def dispatch(router, request, rpc, tokens, idempotency=None, throttle=None, actors=None):
    """Answer one HTTP request under ``/api``."""
    accept_language = request.headers.get("Accept-Language")
    try:
        route, params = router.match(request)
        entry = None if route.public else authenticate(request, rpc, tokens, actors)
        actor = None if entry is None else entry.actor
        key = request.headers.get(IDEMPOTENCY_HEADER)
        extra = {"throttle": throttle, "signed_in": entry, "actors": actors}
        if key is None or route.method != "POST" or actor is None or idempotency is None:
            return _answer(route, params, request, rpc, tokens, actor, **extra)
        replay = idempotency.claim(actor["id"], key, request)
        if replay is not None:
            return replay
        response = error_response(ApiError("internal", "INTERNAL_ERROR", "Internal error."), accept_language)
        try:
            response = _answer(route, params, request, rpc, tokens, actor, **extra)
        finally:
            idempotency.settle(actor["id"], key, response)
        return response
    except ApiError as error:
        return error_response(error, accept_language)
    except DomainError as error:  # the gateway's own database away (DatabaseUnavailable)
        return error_response(ApiError.from_dict(error.to_dict()), accept_language)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(ApiError("internal", "INTERNAL_ERROR", "Internal error."), accept_language)


def _answer(route, params, request, rpc, tokens, actor, **extra):
    """Validate the input, run the route, and turn its result or its error into a response."""
    try:
        query = None
        if route.query is not None:
            query = _query_dict(route.query, request.args)
            _validate(route.query, query, where="query string")
        body = None
        if route.method in BODY_METHODS and route.body is not None:
            body = _json_body(request)
            _validate(route.body, body, partial=route.partial)
        result = route.handler(ApiRequest(request, rpc, tokens, actor, query, body, **extra), **params)
    except ApiError as error:
        return error_response(error, request.headers.get("Accept-Language"))
    if isinstance(result, Response):
        return result
    status = route.status
    if isinstance(result, tuple):
        result, status = result
    if status == 204:
        return Response(status=204)
    return json_response(result, status)
