"""The OpenAPI 3 document of the gateway, generated from the route table (apispec)."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

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
    spec = APISpec(
        title=title,
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "HTTP API of the CRM gateway. All /api/v1 endpoints except login need a bearer token."},
    )
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
    return spec.to_dict()
