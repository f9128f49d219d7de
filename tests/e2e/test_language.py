"""Vietnamese over HTTP: under ``Accept-Language: vi`` every message of an error is Vietnamese,
the field messages too (the gateway's and the services'); English otherwise.  And a Vietnamese
given name of two letters is a username."""

import pytest

from services.core.actor import ROLES
from tests.conftest import unique

pytestmark = pytest.mark.e2e

VI = {"Accept-Language": "vi"}


def error_of(response, status=400):
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_field_messages_of_the_gateway_validation_are_vietnamese(admin):
    body = {"username": "x", "password": "short", "roles": ["king"], "is_root": True, "full_name": "a" * 201}
    error = error_of(admin.post("/api/v1/users", body, headers=VI))
    assert error == {
        "code": "VALIDATION_ERROR",
        "message": "Dữ liệu không hợp lệ.",
        "fields": {
            "username": ["Từ 2 đến 64 ký tự: chữ cái, chữ số, '.', '_' hoặc '-'."],
            "password": ["Độ dài phải từ 8 đến 256."],
            "roles.0": ["Phải là một trong: {}.".format(", ".join(ROLES))],
            "is_root": ["Trường không xác định."],
            "full_name": ["Dài hơn độ dài tối đa 200."],
        },
    }
    english = error_of(admin.post("/api/v1/users", body, headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert english["fields"]["is_root"] == ["Unknown field."]
    assert english["fields"]["full_name"] == ["Longer than maximum length 200."]
    assert error_of(admin.post("/api/v1/users", body))["fields"]["password"] == ["Length must be between 8 and 256."]

    error = error_of(admin.post("/api/v1/customers", {"phone": 12}, headers={"Accept-Language": "vi-VN,vi;q=0.9"}))
    assert error["fields"] == {
        "name": ["Thiếu dữ liệu cho trường bắt buộc."],
        "phone": ["Không phải chuỗi ký tự hợp lệ."],
    }


def test_field_messages_of_the_query_string_are_vietnamese_with_their_numbers(admin):
    error = error_of(admin.get("/api/v1/users", params={"page_size": 501, "page": "abc"}, headers=VI))
    assert error["fields"] == {
        "page_size": ["Phải lớn hơn hoặc bằng 1 và nhỏ hơn hoặc bằng 500."],
        "page": ["Không phải số nguyên hợp lệ."],
    }


def test_field_messages_a_service_writes_are_vietnamese(admin):
    body = {"username": unique("u"), "password": "password123", "department_id": 2_000_000_000}
    error = error_of(admin.post("/api/v1/users", body, headers=VI), 404)
    assert error == {
        "code": "DEPARTMENT_NOT_FOUND",
        "message": "Không tìm thấy phòng ban.",
        "fields": {"department_id": ["Không tìm thấy phòng ban."]},
    }
    assert error_of(admin.post("/api/v1/users", body), 404)["fields"] == {"department_id": ["No such department."]}
    # the codes of the newer services too
    error = error_of(admin.get("/api/v1/warehouses/2000000000", headers=VI), 404)
    assert error == {"code": "WAREHOUSE_NOT_FOUND", "message": "Không tìm thấy kho."}


def test_a_username_of_two_letters(admin, anonymous):
    response = admin.post(
        "/api/v1/users", {"username": "an", "password": "mật-khẩu-của-an", "full_name": "Nguyễn Văn An"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["username"] == "an"
    an = anonymous.login("an", "mật-khẩu-của-an")
    assert an.get("/api/v1/me").json()["full_name"] == "Nguyễn Văn An"
    # one letter is still too short
    error = error_of(admin.post("/api/v1/users", {"username": "a", "password": "password123"}))
    assert error["fields"] == {"username": ["2 to 64 letters, digits, '.', '_' or '-'."]}
