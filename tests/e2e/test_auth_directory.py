"""End to end through HTTP: login, tokens, directory administration, errors, health, OpenAPI."""

import datetime
import time

import jwt
import pytest
import requests

from tests.conftest import SERVICES, unique


def within_a_second(check):
    """``check()`` holds now, or on a retry within a second (an actor cached by another gateway
    is refreshed by the directory's event, not by the request that changed it)."""
    deadline = time.monotonic() + 1.0
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


pytestmark = pytest.mark.e2e


def test_admin_logs_in(system, anonymous):
    response = anonymous.post("/api/v1/auth/login", {"username": "admin", "password": system.env["CRM_ADMIN_PASSWORD"]})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0 and body["access_token"]


@pytest.mark.parametrize("username", ["admin", "nobody-here"])
def test_wrong_password_is_401(anonymous, username):
    response = anonymous.post("/api/v1/auth/login", {"username": username, "password": "wrong password"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"


def test_too_many_failed_sign_ins_lock_the_username(anonymous, new_user):
    """After 5 wrong passwords the username is refused (429, Retry-After), even with the right one;
    other users sign in as usual."""
    victim, bystander = new_user(), new_user()
    username = victim.user["username"]
    for _ in range(5):
        response = anonymous.post("/api/v1/auth/login", {"username": username, "password": "guess " + unique()})
        assert response.status_code == 401, response.text
    response = anonymous.post("/api/v1/auth/login", {"username": username.upper(), "password": victim.password})
    assert response.status_code == 429 and response.json()["error"]["code"] == "TOO_MANY_SIGN_IN_FAILURES"
    assert 0 < int(response.headers["Retry-After"]) <= 900
    vietnamese = anonymous.post(
        "/api/v1/auth/login", {"username": username, "password": victim.password}, headers={"Accept-Language": "vi"}
    )
    assert vietnamese.status_code == 429 and "Đăng nhập sai quá nhiều lần" in vietnamese.json()["error"]["message"]
    anonymous.login(bystander.user["username"], bystander.password)  # asserts a 200
    assert victim.get("/api/v1/me").status_code == 200  # a token already given stays valid


def _forged(system, claims, key=None, algorithm="HS256"):
    return jwt.encode(claims, key if key is not None else system.env["JWT_SECRET"], algorithm=algorithm)


def test_bad_tokens_are_401(system, admin, anonymous):
    me = "/api/v1/me"
    now = datetime.datetime.now(datetime.UTC)
    user_id = str(admin.user["id"])
    expired = _forged(system, {"sub": user_id, "exp": now - datetime.timedelta(minutes=1)})
    wrong_key = _forged(system, {"sub": user_id, "exp": now + datetime.timedelta(hours=1)}, key="guess")
    alg_none = _forged(system, {"sub": user_id, "exp": now + datetime.timedelta(hours=1)}, key="", algorithm="none")
    header, payload, signature = admin.token.split(".")
    tampered = ".".join([header, jwt.utils.base64url_encode(b'{"sub":"999","exp":9999999999}').decode(), signature])
    assert anonymous.get(me).status_code == 401
    for token in (expired, wrong_key, alg_none, tampered, "garbage"):
        response = anonymous.get(me, headers={"Authorization": "Bearer " + token})
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "INVALID_TOKEN"
    assert admin.get(me).status_code == 200


def test_staff_cannot_create_users_or_departments(new_user):
    staff = new_user()
    response = staff.post("/api/v1/users", {"username": unique("u"), "password": "password123"})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "ROLE_REQUIRED" and error["message"] == "This action needs the role: admin."
    assert error_code(staff.post("/api/v1/departments", {"name": unique("D")}), 403) == "ROLE_REQUIRED"
    assert error_code(staff.patch("/api/v1/users/{}".format(staff.user["id"]), {"roles": ["admin"]}), 403) == (
        "ROLE_REQUIRED"
    )


def error_code(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def test_renaming_a_department_to_a_taken_name_is_409_with_or_without_managers(admin, new_user):
    manager = new_user()
    taken = admin.post("/api/v1/departments", {"name": unique("Sales ")}).json()["name"]
    department = admin.post("/api/v1/departments", {"name": unique("Support ")}).json()
    path = "/api/v1/departments/{}".format(department["id"])
    assert error_code(admin.patch(path, {"name": taken}), 409) == "DEPARTMENT_NAME_TAKEN"
    change = {"name": taken, "manager_ids": [manager.user["id"]]}
    assert error_code(admin.patch(path, change), 409) == "DEPARTMENT_NAME_TAKEN"


def test_q_on_users_and_departments_is_literal_text(admin, new_user):
    tag = unique("t")
    percent = admin.post("/api/v1/departments", {"name": tag + " 100% sales"}).json()
    admin.post("/api/v1/departments", {"name": tag + " 1000 sales"})
    found = admin.get("/api/v1/departments", params={"q": tag + " 100%"}).json()
    assert [item["id"] for item in found["items"]] == [percent["id"]]
    underscore, _ = new_user(username=tag + "_a"), new_user(username=tag + "xa")
    found = admin.get("/api/v1/users", params={"q": tag.upper() + "_A"}).json()
    assert [item["id"] for item in found["items"]] == [underscore.user["id"]]  # "_" is not "any character"


def test_admin_creates_department_and_user_who_sees_itself(admin, anonymous):
    department = admin.post("/api/v1/departments", {"name": unique("Sales ")})
    assert department.status_code == 201
    username = unique("lan")
    created = admin.post(
        "/api/v1/users",
        {
            "username": username,
            "password": "correct horse",
            "full_name": "Nguyễn Thị Lan",
            "email": "lan@example.com",
            "phone": "+84901234567",
            "department_id": department.json()["id"],
        },
    )
    assert created.status_code == 201, created.text
    assert "password" not in created.json() and created.json()["roles"] == ["staff"]
    lan = anonymous.login(username, "correct horse")
    me = lan.get("/api/v1/me").json()
    assert me["username"] == username and me["full_name"] == "Nguyễn Thị Lan"
    assert me["department_id"] == department.json()["id"]

    # the department gets a manager
    updated = admin.patch("/api/v1/departments/{}".format(department.json()["id"]), {"manager_ids": [me["id"]]})
    assert updated.status_code == 200 and updated.json()["manager_ids"] == [me["id"]]
    # another gateway (E2E_INSTANCES=2) hears of it through the directory's actor_changed event: within 1 s
    assert within_a_second(lambda: lan.get("/api/v1/me").json()["managed_department_ids"] == [department.json()["id"]])

    # duplicate username -> 409
    again = admin.post("/api/v1/users", {"username": username, "password": "another one"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "USERNAME_TAKEN"


def test_deactivated_user_cannot_log_in_or_use_their_token(admin, new_user, anonymous):
    user = new_user()
    assert user.get("/api/v1/me").status_code == 200
    assert admin.patch("/api/v1/users/{}".format(user.user["id"]), {"active": False}).status_code == 200
    assert within_a_second(lambda: user.get("/api/v1/me").status_code == 401)  # on every gateway
    response = anonymous.post("/api/v1/auth/login", {"username": user.user["username"], "password": user.password})
    assert response.status_code == 401


def test_malformed_json_and_unknown_fields_are_400(admin):
    response = admin.request(
        "POST", "/api/v1/departments", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "MALFORMED_JSON", "message": "The request body is not valid JSON."}}

    response = admin.post("/api/v1/users", {"username": unique("u"), "password": "password123", "is_root": True})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["fields"] == {"is_root": ["Unknown field."]}

    response = admin.post(
        "/api/v1/users", {"username": "x", "password": "short", "roles": ["king"]}, headers={"Accept-Language": "vi"}
    )
    error = response.json()["error"]
    assert response.status_code == 400 and error["message"] == "Dữ liệu không hợp lệ."
    assert set(error["fields"]) == {"username", "password", "roles.0"}


def test_lists_are_paginated(admin, new_user):
    for _ in range(3):
        new_user()
    page = admin.get("/api/v1/users", params={"page": 2, "page_size": 2}).json()
    assert page["page"] == 2 and page["page_size"] == 2 and page["total"] >= 4 and len(page["items"]) == 2
    assert admin.get("/api/v1/users", params={"page_size": 501}).status_code == 400


def test_health_lists_all_six_services(system):
    response = requests.get(system.base_url + "/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "services": {name: "ok" for name in SERVICES}}


def test_openapi_is_valid_and_docs_are_served(system):
    from openapi_spec_validator import validate

    document = requests.get(system.base_url + "/api/v1/openapi.json", timeout=10).json()
    validate(document)
    assert {"/api/v1/auth/login", "/api/v1/users/{user_id}", "/api/v1/me"} <= set(document["paths"])
    page = requests.get(system.base_url + "/docs", timeout=10)
    assert page.status_code == 200 and "charset=utf-8" in page.headers["Content-Type"]
    bundle = requests.get(system.base_url + "/docs/static/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200 and "charset=utf-8" in bundle.headers["Content-Type"]


def test_idempotency_key_replays_the_first_response(admin):
    key = unique("key-")
    body = {"name": unique("Support ")}
    first = admin.post("/api/v1/departments", body, headers={"Idempotency-Key": key})
    again = admin.post("/api/v1/departments", body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    named = admin.get("/api/v1/departments", params={"q": body["name"]}).json()
    assert named["total"] == 1  # created once

    other = admin.post("/api/v1/departments", {"name": unique("Other ")}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # without a key, the same body is a new request (here: a name conflict)
    assert admin.post("/api/v1/departments", body).status_code == 409
