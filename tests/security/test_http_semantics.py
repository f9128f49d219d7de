"""HTTP semantics the gateway keeps whatever the input."""


def test_wrong_method_on_a_known_path_is_405_with_allow(admin):
    response = admin.delete("/api/v1/users")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert "DELETE" not in response.headers["Allow"]

    response = admin.put("/api/v1/tickets/1", {})
    assert response.status_code == 405
    assert "PATCH" in response.headers["Allow"]


def test_unknown_path_is_still_404(admin):
    response = admin.get("/api/v1/no-such-thing")
    assert response.status_code == 404
