"""The OpenAPI 3 document of the gateway, generated from the route table (apispec)."""

import json
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.core.contracts import common
from services.core.contracts.common import MAX_ID, ErrorBody

ERROR_TEXT = {
    400: "Bad JSON or invalid input",
    401: "Missing or invalid token",
    403: "Forbidden action",
    404: "Not found or not visible",
    405: "Method not allowed on this path (see Allow)",
    408: "The request body was not received in time",
    409: "Conflict with the current state",
    413: "The request body is too large",
    422: "Business rule refused",
    429: "Rate limited",
    504: "A service did not answer in time",
}


def _openapi_path(path):
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)


def _path_parameters(path):
    parameters = []
    for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", path):
        parameters.append(
            {
                "in": "path",
                "name": name,
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}
                if converter == "int"
                else {"type": "string"},
            }
        )
    return parameters


def build_spec(router, title="CRM API", version="1.0.0"):
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title=title,
        version=version,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "HTTP API of the CRM gateway. All /api/v1 endpoints except login need a bearer token."},
    )
    plugin.map_to_openapi_type(common.Email, "string", "email")
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("ErrorBody", schema=ErrorBody)
    paths = {}
    for route in router.routes:
        operation = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": route.handler.__name__,
            "parameters": _path_parameters(route.path),
            "responses": {},
        }
        if route.query is not None:
            operation["parameters"].append({"in": "query", "schema": route.query})
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
            if route.partial:
                operation["requestBody"]["required"] = False
                operation["requestBody"]["description"] = (
                    "Only the fields to change; an empty body (or `{}`) changes nothing and returns the object."
                )
        success = {"description": "OK" if route.status < 300 else "Done"}
        if route.response is not None:
            success["content"] = {"application/json": {"schema": route.response}}
        operation["responses"][str(route.status)] = success
        codes = set(route.errors) | ({400} if route.body or route.query else set())
        if not route.public:
            codes.add(401)
            operation["security"] = [{"bearer": []}]
        codes.add(504)
        for code in sorted(codes):
            operation["responses"][str(code)] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": "ErrorBody"}},
            }
        paths.setdefault(_openapi_path(route.path), {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    spec.path(
        path="/health",
        operations={
            "get": {
                "summary": "Whether every service answers",
                "tags": ["Operations"],
                "responses": {
                    "200": {"description": "All services answer"},
                    "503": {"description": "At least one service does not answer"},
                },
            }
        },
    )
    return separate_requests_from_responses(spec.to_dict(), [r for r in router.routes if r.body])


def separate_requests_from_responses(document, body_routes):
    """Give request bodies their own schemas where they differ from what is answered.

    apispec emits one component per marshmallow schema, used both ways: ``User`` then has
    ``password`` ``writeOnly`` and ``required``, and generated clients (openapi-python-client)
    apply ``required`` to responses too, failing on every user they read.  Here a request body
    refers to ``<Name>Input`` (no read-only fields) — ``<Name>Patch`` for a PATCH, where nothing
    is required — and ``<Name>`` loses its write-only fields: it is what responses carry.  Rules
    across fields are said in the request schema's description.
    """
    schemas = document["components"]["schemas"]
    partial_paths = {(_openapi_path(r.path), r.method.lower()) for r in body_routes if r.partial}
    rules = {r.body.__name__: cross_field_rules(r.body) for r in body_routes}
    originals = {name: json.loads(json.dumps(schema)) for name, schema in schemas.items()}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content or "$ref" not in content["schema"]:
                continue
            name = content["schema"]["$ref"].rsplit("/", 1)[-1]
            partial = (path, method) in partial_paths
            request_name = name + ("Patch" if partial else "Input")
            request = _request_form(originals[name], partial, rules.get(name, ()))
            if request == originals[name]:
                continue  # the same both ways
            schemas.setdefault(request_name, request)
            content["schema"] = {"$ref": "#/components/schemas/" + request_name}
    for name, schema in originals.items():
        properties = schema.get("properties", {})
        write_only = {key for key, value in properties.items() if value.get("writeOnly")}
        if write_only:
            response = schemas[name]
            response["properties"] = {k: v for k, v in properties.items() if k not in write_only}
            response["required"] = [k for k in schema.get("required", []) if k not in write_only]
            if not response["required"]:
                del response["required"]
    return document


def _request_form(schema, partial, rules=()):
    request = json.loads(json.dumps(schema))
    properties = request.get("properties", {})
    request["properties"] = {k: v for k, v in properties.items() if not v.get("readOnly")}
    if partial:
        request.pop("required", None)
    elif request.get("required"):
        request["required"] = [k for k in request["required"] if k in request["properties"]]
    if rules:
        # Said in words: "exactly one of customer_ids and filter" is a `oneOf` of two `required`
        # lists in JSON Schema, but openapi-python-client then types the whole body as `Any`.
        request["description"] = " ".join(rules) + " (Else 400.)"
    return request


def cross_field_rules(schema_cls):
    """The ``rules`` sentences of a contract and of the contracts it extends (their ``@validates_schema``)."""
    found = []
    for cls in reversed(schema_cls.__mro__):
        rule = cls.__dict__.get("rules")
        if isinstance(rule, str) and rule not in found:
            found.append(rule)
    return found
