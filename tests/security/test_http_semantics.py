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


def test_other_method_on_an_id_past_the_id_range_is_404_not_405(admin):
    # the GET route of the same pattern refuses the id too: no route takes it, none is offered
    for path in ("/api/v1/accounts/5826474169", "/api/v1/vouchers/306343255545201979328838898810880"):
        response = admin.patch(path, {})
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "ROUTE_NOT_FOUND"
        assert "Allow" not in response.headers
    response = admin.put("/api/v1/accounts/2147483647", {})  # an id in range: the routes there are named
    assert response.status_code == 405 and response.headers["Allow"] == "GET, PATCH"
    assert admin.put("/api/v1/accounts/2147483648", {}).status_code == 404


def test_unknown_path_is_still_404(admin):
    response = admin.get("/api/v1/no-such-thing")
    assert response.status_code == 404


def test_the_document_and_the_behaviour_agree_on_empty_patch_bodies(system, admin, new_department):
    document = admin.get("/api/v1/openapi.json").json()
    department = new_department()
    path = "/api/v1/departments/{}".format(department["id"])
    operation = document["paths"]["/api/v1/departments/{department_id}"]["patch"]
    assert operation["requestBody"]["required"] is False
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DepartmentPatch")
    for body in (None, {}):
        response = admin.request("PATCH", path, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == department["name"]
    # a POST body stays required: an empty one is a 400 naming the missing fields
    assert document["paths"]["/api/v1/departments"]["post"]["requestBody"]["required"] is True
    response = admin.request("POST", "/api/v1/departments")
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]


def test_responses_never_require_write_only_fields(admin):
    document = admin.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("User", "Me"):
        assert "password" not in schemas[name]["properties"]
        assert "password" not in schemas[name].get("required", [])
    assert "password" in schemas["UserInput"]["required"]
    assert schemas["UserInput"]["properties"]["password"]["writeOnly"] is True
    assert "id" not in schemas["UserInput"]["properties"]  # read-only fields are not sent
    assert "required" not in schemas["UserPatch"]
    assert "customer_ids" in schemas["BulkGroupsInput"]["description"]
