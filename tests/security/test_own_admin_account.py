"""An admin cannot lock themselves out: deactivating or demoting oneself is refused (409), even
when other admins remain (the last-admin rule alone would let it through); another admin can."""

import pytest


@pytest.fixture
def second_admin(new_user):
    return new_user(roles=["admin"])


@pytest.mark.parametrize("change", ({"active": False}, {"roles": ["staff"]}, {"active": False, "roles": ["admin"]}))
def test_an_admin_cannot_deactivate_or_demote_themselves(second_admin, change):
    path = "/api/v1/users/{}".format(second_admin.user["id"])
    response = second_admin.patch(path, change)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "OWN_ADMIN_ACCOUNT" and "another admin" in error["message"]
    me = second_admin.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["active"] and "admin" in me.json()["roles"]


def test_an_admin_still_edits_their_own_profile_and_keeps_admin_among_roles(second_admin):
    path = "/api/v1/users/{}".format(second_admin.user["id"])
    response = second_admin.patch(path, {"full_name": "Still Admin", "active": True, "roles": ["admin", "staff"]})
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["admin", "staff"]


def test_another_admin_can_deactivate_or_demote_an_admin(admin, second_admin):
    path = "/api/v1/users/{}".format(second_admin.user["id"])
    response = admin.patch(path, {"roles": ["staff"]})
    assert response.status_code == 200, response.text
    response = admin.patch(path, {"active": False})
    assert response.status_code == 200 and response.json()["active"] is False
