"""Hostile input answers a 4xx JSON error naming the field, never a 500 (one boundary rule in
services/core/contracts/common.py, the JSON reader and the path converter in gateway/routing.py)."""

import json
import re

import pytest
from marshmallow import fields as ma_fields

from gateway.api import router
from services.core.contracts import common
from tests.conftest import unique

BULK_PATHS = (
    "/api/v1/customers/bulk/groups",
    "/api/v1/customers/bulk/share",
    "/api/v1/customers/bulk/transfer-owner",
    "/api/v1/customers/bulk/sms",
    "/api/v1/customers/bulk/email",
)


def concrete_path(path):
    return re.sub(r"<int:[^>]+>", "1", path)


def string_fields(schema_cls):
    schema = schema_cls()
    for name, field in schema.load_fields.items():
        if isinstance(field, common.String):
            yield field.data_key or name, field
        elif isinstance(field, ma_fields.List) and isinstance(field.inner, common.String):
            yield field.data_key or name, field


BODY_STRING_FIELDS = [
    (route, name, field)
    for route in router.routes
    if route.body is not None
    for name, field in string_fields(route.body)
]


def assert_field_error(response, name, status=400):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert name in error.get("fields", {}), error
    return error["fields"][name]


@pytest.mark.parametrize(
    "route,name,field",
    BODY_STRING_FIELDS,
    ids=["{} {} {}".format(r.method, r.path, n) for r, n, _ in BODY_STRING_FIELDS],
)
def test_nul_byte_in_any_body_string_is_400(admin, anonymous, route, name, field):
    client = anonymous if route.public else admin
    value = ["a\x00b"] if isinstance(field, ma_fields.List) else "a\x00b"
    response = client.request(route.method, concrete_path(route.path), json={name: value})
    messages = assert_field_error(response, name if not isinstance(field, ma_fields.List) else name + ".0")
    assert any("NUL" in message for message in messages), messages


def test_nul_byte_in_login_is_400_not_401(anonymous):
    response = anonymous.post("/api/v1/auth/login", {"username": "admin\x00", "password": "x\x00y"})
    assert_field_error(response, "username")
    assert_field_error(response, "password")


@pytest.mark.parametrize(
    "path", sorted({r.path for r in router.routes if r.query is not None and "q" in r.query().fields})
)
def test_nul_byte_in_a_search_is_400(admin, path):
    assert_field_error(admin.get(concrete_path(path), params={"q": "a\x00b"}), "q")


def test_lone_surrogate_is_400(admin):
    raw = '{"name": "\\ud800 customer"}'
    response = admin.post("/api/v1/customers", data=raw, headers={"Content-Type": "application/json"})
    messages = assert_field_error(response, "name")
    assert "surrogate" in messages[0]
    response = admin.post(
        "/api/v1/customers", data='{"\\udfff": 1, "name": "x"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "\udfff" in response.json()["error"]["fields"]  # echoed back as a JSON escape


@pytest.mark.parametrize(
    "path",
    sorted({r.path for r in router.routes if r.method == "GET" and r.query is not None and "page" in r.query().fields}),
)
def test_page_beyond_64_bits_is_400(admin, path):
    assert_field_error(admin.get(concrete_path(path), params={"page": str(2**64)}), "page")
    assert_field_error(admin.get(concrete_path(path), params={"page": str(2**40)}), "page")


@pytest.mark.parametrize("path", BULK_PATHS)
def test_customer_id_past_the_id_range_is_400(admin, path):
    response = admin.post(path, {"customer_ids": [1, 2**31]})
    messages = assert_field_error(response, "customer_ids")
    assert "2147483648" in messages[0]


@pytest.fixture(scope="module")
def customer(admin):
    response = admin.post("/api/v1/customers", {"name": unique("Target ")})
    assert response.status_code == 201, response.text
    return response.json()


def test_record_amount_is_a_64_bit_whole_number(admin, customer):
    path = "/api/v1/customers/{}/records".format(customer["id"])
    for amount in (2**63, 10**30):
        assert_field_error(admin.post(path, {"kind": "quote", "title": "big", "amount": amount}), "amount")
    assert_field_error(admin.post(path, {"kind": "quote", "title": "frac", "amount": 1.5}), "amount")
    assert_field_error(admin.post(path, {"kind": "quote", "title": "bool", "amount": True}), "amount")
    response = admin.post(path, {"kind": "quote", "title": "largest", "amount": 2**63 - 1})
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == 2**63 - 1


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", (40, 1000, 100_000))
def test_deeply_nested_json_is_400_before_login_too(anonymous, admin, depth):
    body = '{"username": "admin", "password": %s}' % nested(depth)
    response = anonymous.post("/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "MALFORMED_JSON"
    body = '{"customer_ids": %s, "mode": "move", "group_ids": []}' % nested(depth)
    response = admin.post("/api/v1/customers/bulk/groups", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    "path,name",
    (("/api/v1/customers/history", "from"), ("/api/v1/tickets/kpi", "from")),
)
def test_datetime_offset_beyond_14_hours_in_a_filter_is_400(admin, path, name):
    params = {"from": "2020-01-01T00:00:00+19:56", "to": "2020-02-01T00:00:00+00:00"}
    messages = assert_field_error(admin.get(path, params=params), name)
    assert "14:00" in messages[0]
    params["from"] = "0001-01-01T00:00:00+01:00"
    assert_field_error(admin.get(path, params=params), name)


def test_path_id_past_the_id_range_is_404(admin):
    response = admin.put("/api/v1/support-groups/202684460398628462133248/members/2/availability", {"available": True})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ROUTE_NOT_FOUND"
    for path in ("/api/v1/customers/9223372036854775808", "/api/v1/users/2147483648", "/api/v1/tickets/99999999999"):
        assert admin.get(path).status_code == 404


# -- no stored poison ---------------------------------------------------------


@pytest.fixture(scope="module")
def ticket_type(admin):
    ticket_type = admin.post("/api/v1/ticket-types", {"name": unique("Poison type ")}).json()
    group = admin.post(
        "/api/v1/support-groups",
        {"name": unique("Poison group "), "ticket_type_ids": [ticket_type["id"]], "members": []},
    )
    assert group.status_code == 201, group.text
    return ticket_type


@pytest.mark.parametrize(
    "deadline", ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "2030-01-01T00:00:00+15:00", "1899-12-31")
)
def test_ticket_deadline_outside_the_business_range_is_400(admin, ticket_type, deadline):
    body = {"title": "poison", "type_id": ticket_type["id"], "deadline": deadline}
    assert_field_error(admin.post("/api/v1/tickets", body), "deadline")
    assert admin.get("/api/v1/tickets").status_code == 200


def test_ticket_deadline_inside_the_range_is_kept(admin, ticket_type):
    body = {"title": "fine", "type_id": ticket_type["id"], "deadline": "2999-12-31T10:00:00+14:00"}
    response = admin.post("/api/v1/tickets", body)
    assert response.status_code == 201, response.text
    assert admin.get("/api/v1/tickets").status_code == 200


def test_activity_due_at_outside_the_business_range_is_400(admin, customer):
    types = admin.get("/api/v1/activity-types").json()["items"]
    type_id = types[0]["id"] if types else admin.post("/api/v1/activity-types", {"name": unique("Call ")}).json()["id"]
    path = "/api/v1/customers/{}/activities".format(customer["id"])
    for due_at in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+01:00", "2020-01-01T00:00:00-14:30"):
        assert_field_error(admin.post(path, {"type_id": type_id, "title": "t", "due_at": due_at}), "due_at")
    response = admin.post(path, {"type_id": type_id, "title": "t", "due_at": "2026-05-01T09:00:00+07:00"})
    assert response.status_code == 201, response.text
    assert admin.get(path).status_code == 200


def test_error_bodies_are_json(admin):
    response = admin.post("/api/v1/customers", data=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    json.loads(response.content)


def test_renaming_a_department_to_a_taken_name_with_managers_is_409(admin, new_department):
    taken, renamed = new_department(), new_department()
    path = "/api/v1/departments/{}".format(renamed["id"])
    for body in ({"name": taken["name"]}, {"name": taken["name"], "manager_ids": [admin.user["id"]]}):
        response = admin.patch(path, body)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "DEPARTMENT_NAME_TAKEN"
    assert admin.get(path).json()["manager_ids"] == []
