"""Inventory through the gateway with every service running: the seed's add / edit / delete of a
warehouse with managers, who sees quantities, deleting and deactivating, posting all lines or none,
transfers, the ledger, and ten clients racing for the last unit."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import unique
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def error_code(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def add_warehouse(admin, manager_ids=(), **fields):
    body = {"code": unique("WH-"), "name": "Kho " + unique(), "manager_ids": list(manager_ids)}
    body.update(fields)
    return ok(admin.post("/api/v1/warehouses", body), 201)


def add_product(admin, **fields):
    body = {"sku": unique("SKU-"), "name": "Product " + unique(), "unit": "pcs"}
    body.update(fields)
    return ok(admin.post("/api/v1/products", body), 201)


def move(client, kind, warehouse, lines, to=None, status=201):
    body = {
        "kind": kind,
        "warehouse_id": warehouse["id"],
        "lines": [{"product_id": p["id"], "quantity": q} for p, q in lines],
    }
    if to is not None:
        body["to_warehouse_id"] = to["id"]
    response = client.post("/api/v1/stock-moves", body)
    return ok(response, status) if status == 201 else response


def posted(client, kind, warehouse, lines, to=None):
    draft = move(client, kind, warehouse, lines, to)
    return ok(client.post("/api/v1/stock-moves/{}/post".format(draft["id"])))


def on_hand(client, warehouse):
    page = ok(client.get("/api/v1/warehouses/{}/stock".format(warehouse["id"]), {"page_size": 500}))
    return {item["product_id"]: item["quantity"] for item in page["items"]}


@pytest.fixture(scope="module")
def keeper(new_user):
    return new_user()


@pytest.fixture(scope="module")
def outsider(new_user):
    return new_user()


def test_admin_adds_edits_and_deletes_a_warehouse_with_managers(admin, new_user, outsider):
    first, second = new_user(), new_user()
    code = unique("HN-")
    warehouse = add_warehouse(admin, [first.user["id"]], code=code, address="12 Lý Thường Kiệt", note="Hà Nội")
    assert warehouse["manager_ids"] == [first.user["id"]] and warehouse["active"] is True
    assert warehouse["created_at"].endswith("+07:00")

    # the code is unique whatever its case; managers must be active users; only admins manage warehouses
    assert error_code(admin.post("/api/v1/warehouses", {"code": code.lower(), "name": "x"}), 409) == (
        "WAREHOUSE_CODE_TAKEN"
    )
    assert error_code(
        admin.post("/api/v1/warehouses", {"code": unique(), "name": "x", "manager_ids": [99999999]}), 400
    ) == ("INVALID_MANAGERS")
    assert error_code(outsider.post("/api/v1/warehouses", {"code": unique(), "name": "x"}), 403) == "ROLE_REQUIRED"
    assert error_code(admin.post("/api/v1/warehouses", {"code": unique(), "name": "x", "colour": "red"}), 400) == (
        "VALIDATION_ERROR"
    )

    edited = ok(
        admin.patch(
            "/api/v1/warehouses/{}".format(warehouse["id"]),
            {"name": "Kho Hà Nội", "manager_ids": [second.user["id"], first.user["id"]]},
        )
    )
    assert edited["name"] == "Kho Hà Nội" and edited["manager_ids"] == sorted([first.user["id"], second.user["id"]])
    assert edited["code"] == code and edited["address"] == "12 Lý Thường Kiệt"
    assert error_code(outsider.patch("/api/v1/warehouses/{}".format(warehouse["id"]), {"name": "mine"}), 403)

    # everyone signed in sees the warehouse, its name and its managers
    listed = ok(outsider.get("/api/v1/warehouses", {"q": code}))
    assert [w["id"] for w in listed["items"]] == [warehouse["id"]]
    assert listed["items"][0]["manager_ids"] == edited["manager_ids"] and listed["total"] == 1
    assert ok(outsider.get("/api/v1/warehouses/{}".format(warehouse["id"])))["name"] == "Kho Hà Nội"

    assert error_code(outsider.delete("/api/v1/warehouses/{}".format(warehouse["id"])), 403) == "ROLE_REQUIRED"
    ok(admin.delete("/api/v1/warehouses/{}".format(warehouse["id"])), 204)
    assert error_code(admin.get("/api/v1/warehouses/{}".format(warehouse["id"])), 404) == "WAREHOUSE_NOT_FOUND"


def test_warehouse_search_takes_percent_and_underscore_literally(admin, outsider):
    marker = unique()
    literal = add_warehouse(admin, code="P%_" + marker)
    add_warehouse(admin, code="PXY" + marker)
    found = ok(outsider.get("/api/v1/warehouses", {"q": "%_" + marker}))
    assert [w["id"] for w in found["items"]] == [literal["id"]]


def test_only_managers_and_admins_see_quantities(admin, keeper, outsider):
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    product = add_product(admin)
    posted(keeper, "receipt", warehouse, [(product, 7)])

    assert on_hand(keeper, warehouse) == {product["id"]: 7}
    assert on_hand(admin, warehouse) == {product["id"]: 7}
    item = ok(keeper.get("/api/v1/warehouses/{}/stock".format(warehouse["id"])))["items"][0]
    assert item == {
        "product_id": product["id"],
        "sku": product["sku"],
        "name": product["name"],
        "unit": "pcs",
        "quantity": 7,
    }

    for path in ("stock", "ledger", "stock-moves"):
        url = "/api/v1/warehouses/{}/{}".format(warehouse["id"], path)
        assert error_code(outsider.get(url), 403) == "NOT_WAREHOUSE_MANAGER", path
    assert error_code(outsider.get("/api/v1/stock-moves", {"warehouse_id": warehouse["id"]}), 403)
    assert ok(outsider.get("/api/v1/stock-moves"))["items"] == []  # none of their warehouses
    first_move = ok(keeper.get("/api/v1/warehouses/{}/stock-moves".format(warehouse["id"])))["items"][0]
    assert error_code(outsider.get("/api/v1/stock-moves/{}".format(first_move["id"])), 403)
    assert error_code(move(outsider, "issue", warehouse, [(product, 1)], status=403), 403) == "NOT_WAREHOUSE_MANAGER"

    # a product's on-hand shows only the warehouses the caller manages
    other = add_warehouse(admin)
    posted(admin, "receipt", other, [(product, 2)])
    assert {
        row["warehouse_id"]: row["quantity"]
        for row in ok(admin.get("/api/v1/products/{}".format(product["id"])))["on_hand"]
    } == {
        warehouse["id"]: 7,
        other["id"]: 2,
    }
    assert [
        (row["warehouse_id"], row["quantity"])
        for row in ok(keeper.get("/api/v1/products/{}".format(product["id"])))["on_hand"]
    ] == [(warehouse["id"], 7)]
    assert ok(outsider.get("/api/v1/products/{}".format(product["id"])))["on_hand"] == []


def test_delete_is_refused_while_stock_is_there_and_allowed_when_empty(admin, keeper):
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    product = add_product(admin)
    posted(keeper, "receipt", warehouse, [(product, 3)])
    response = admin.delete("/api/v1/warehouses/{}".format(warehouse["id"]))
    assert error_code(response, 409) == "WAREHOUSE_IN_USE"
    assert "deactivate" in response.json()["error"]["message"]
    assert on_hand(keeper, warehouse) == {product["id"]: 3}  # nothing lost

    posted(keeper, "issue", warehouse, [(product, 3)])
    assert error_code(admin.delete("/api/v1/warehouses/{}".format(warehouse["id"])), 409) == "WAREHOUSE_IN_USE"

    empty = add_warehouse(admin, [keeper.user["id"]])
    move(keeper, "receipt", empty, [(product, 1)])  # a draft does not keep it
    ok(admin.delete("/api/v1/warehouses/{}".format(empty["id"])), 204)


def test_a_deactivated_warehouse_refuses_moves(admin, keeper):
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    product = add_product(admin)
    draft = move(keeper, "receipt", warehouse, [(product, 4)])
    ok(admin.patch("/api/v1/warehouses/{}".format(warehouse["id"]), {"active": False}))
    assert error_code(move(keeper, "receipt", warehouse, [(product, 1)], status=409), 409) == "WAREHOUSE_INACTIVE"
    assert error_code(keeper.post("/api/v1/stock-moves/{}/post".format(draft["id"])), 409) == "WAREHOUSE_INACTIVE"
    assert on_hand(keeper, warehouse) == {}
    ok(admin.patch("/api/v1/warehouses/{}".format(warehouse["id"]), {"active": True}))
    assert ok(keeper.post("/api/v1/stock-moves/{}/post".format(draft["id"])))["status"] == "posted"


def test_transfer_conserves_quantity_and_needs_both_managers(admin, keeper, new_user):
    other_keeper = new_user()
    source = add_warehouse(admin, [keeper.user["id"]])
    target = add_warehouse(admin, [keeper.user["id"], other_keeper.user["id"]])
    apple, pear = add_product(admin), add_product(admin)
    posted(admin, "receipt", source, [(apple, 10), (pear, 4)])
    posted(admin, "receipt", target, [(apple, 1)])

    assert error_code(move(other_keeper, "transfer", source, [(apple, 1)], to=target, status=403), 403)
    done = posted(keeper, "transfer", source, [(apple, 6), (pear, 4)], to=target)
    assert done["status"] == "posted" and done["posted_at"].endswith("+07:00")
    assert on_hand(keeper, source) == {apple["id"]: 4}
    assert on_hand(keeper, target) == {apple["id"]: 7, pear["id"]: 4}
    assert on_hand(keeper, source).get(apple["id"], 0) + on_hand(keeper, target)[apple["id"]] == 11

    ledger = ok(keeper.get("/api/v1/warehouses/{}/ledger".format(target["id"]), {"product_id": apple["id"]}))
    assert [(e["kind"], e["change"], e["quantity"]) for e in ledger["items"]] == [("receipt", 1, 1), ("transfer", 6, 7)]
    assert sum(e["change"] for e in ledger["items"]) == on_hand(keeper, target)[apple["id"]]


def test_a_multi_line_issue_with_one_short_line_posts_nothing(admin, keeper):
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    plenty, scarce = add_product(admin), add_product(admin)
    posted(keeper, "receipt", warehouse, [(plenty, 10), (scarce, 2)])
    draft = move(keeper, "issue", warehouse, [(plenty, 5), (scarce, 3)])
    response = keeper.post("/api/v1/stock-moves/{}/post".format(draft["id"]))
    assert error_code(response, 422) == "INSUFFICIENT_STOCK"
    error = response.json()["error"]
    assert scarce["sku"] in error["message"] and "2 on hand" in error["message"]
    assert plenty["sku"] not in error["message"]
    assert error["fields"] == {
        "lines.1.quantity": ["Only 2 on hand of {} in {}.".format(scarce["sku"], warehouse["code"])]
    }
    assert on_hand(keeper, warehouse) == {plenty["id"]: 10, scarce["id"]: 2}
    assert ok(keeper.get("/api/v1/stock-moves/{}".format(draft["id"])))["status"] == "draft"

    # the draft is edited and posted; posting again is a conflict; a posted move cannot be edited
    edited = ok(
        keeper.patch(
            "/api/v1/stock-moves/{}".format(draft["id"]), {"lines": [{"product_id": scarce["id"], "quantity": 2}]}
        )
    )
    assert edited["lines"] == [{"product_id": scarce["id"], "quantity": 2}] and edited["line_count"] == 1
    ok(keeper.post("/api/v1/stock-moves/{}/post".format(draft["id"])))
    assert error_code(keeper.post("/api/v1/stock-moves/{}/post".format(draft["id"])), 409) == "STOCK_MOVE_NOT_DRAFT"
    assert error_code(keeper.patch("/api/v1/stock-moves/{}".format(draft["id"]), {"note": "late"}), 409)
    assert on_hand(keeper, warehouse) == {plenty["id"]: 10}


def test_adjustment_sets_the_counted_quantity_and_drafts_can_be_cancelled(admin, keeper):
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    counted, missing = add_product(admin), add_product(admin)
    posted(keeper, "receipt", warehouse, [(counted, 10), (missing, 3)])
    posted(keeper, "adjustment", warehouse, [(counted, 8), (missing, 0)])
    assert on_hand(keeper, warehouse) == {counted["id"]: 8}

    draft = move(keeper, "receipt", warehouse, [(counted, 100)])
    assert ok(keeper.post("/api/v1/stock-moves/{}/cancel".format(draft["id"])))["status"] == "cancelled"
    assert error_code(keeper.post("/api/v1/stock-moves/{}/post".format(draft["id"])), 409) == "STOCK_MOVE_NOT_DRAFT"
    assert on_hand(keeper, warehouse) == {counted["id"]: 8}


def test_invalid_moves_are_refused_with_the_field(admin, keeper):
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    product = add_product(admin)
    line = {"product_id": product["id"], "quantity": 1}
    cases = [
        ({"kind": "issue", "warehouse_id": warehouse["id"], "lines": [line, line]}, 400, "lines"),
        ({"kind": "issue", "warehouse_id": warehouse["id"], "lines": [dict(line, quantity=0)]}, 400, "lines"),
        (
            {"kind": "issue", "warehouse_id": warehouse["id"], "lines": [dict(line, quantity=-1)]},
            400,
            "lines.0.quantity",
        ),
        ({"kind": "transfer", "warehouse_id": warehouse["id"], "lines": [line]}, 400, "to_warehouse_id"),
        ({"kind": "issue", "warehouse_id": 99999999, "lines": [line]}, 404, "warehouse_id"),
        ({"kind": "issue", "warehouse_id": warehouse["id"], "lines": [dict(line, product_id=99999999)]}, 404, "lines"),
    ]
    for body, status, field in cases:
        response = keeper.post("/api/v1/stock-moves", body)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)


def test_products_sku_unique_any_case_and_search(admin, keeper, outsider):
    marker = unique()
    product = add_product(admin, sku="A_1%" + marker, name="Bút bi xanh")
    add_product(keeper, sku="AB1X" + marker)  # a warehouse manager may add products
    assert error_code(admin.post("/api/v1/products", {"sku": ("a_1%" + marker).upper(), "name": "x"}), 409) == (
        "PRODUCT_SKU_TAKEN"
    )
    assert error_code(outsider.post("/api/v1/products", {"sku": unique(), "name": "x"}), 403) == "NOT_PRODUCT_EDITOR"
    found = ok(outsider.get("/api/v1/products", {"q": "_1%" + marker}))
    assert [p["id"] for p in found["items"]] == [product["id"]]
    assert ok(outsider.get("/api/v1/products", {"q": marker, "page_size": 1}))["total"] == 2
    edited = ok(admin.patch("/api/v1/products/{}".format(product["id"]), {"unit": "box", "active": False}))
    assert (edited["unit"], edited["active"]) == ("box", False)


def test_ten_clients_issue_the_last_unit_at_once_and_exactly_one_succeeds(admin, keeper):
    """Ten connections with the keeper's token (signing in again could meet the sign-in rate limit)."""
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    product = add_product(admin)
    posted(keeper, "receipt", warehouse, [(product, 1)])
    drafts = [move(keeper, "issue", warehouse, [(product, 1)]) for _ in range(10)]
    clients = [Client(keeper.base_url, keeper.token) for _ in drafts]

    def post(pair):
        client, draft = pair
        return client.post("/api/v1/stock-moves/{}/post".format(draft["id"]))

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(post, zip(clients, drafts)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [422] * 9, [r.text for r in responses]
    assert on_hand(keeper, warehouse) == {}
    ledger = ok(keeper.get("/api/v1/warehouses/{}/ledger".format(warehouse["id"])))
    assert [e["quantity"] for e in ledger["items"]] == [1, 0]


def test_posting_one_move_concurrently_posts_it_once(admin, keeper):
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    product = add_product(admin)
    draft = move(keeper, "receipt", warehouse, [(product, 5)])
    clients = [Client(keeper.base_url, keeper.token) for _ in range(5)]
    with ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(lambda c: c.post("/api/v1/stock-moves/{}/post".format(draft["id"])), clients))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409], [r.text for r in responses]
    assert on_hand(keeper, warehouse) == {product["id"]: 5}


def test_concurrent_receipts_of_the_same_new_products_each_add_once(admin, keeper):
    """Eight receipts of the same five products, none on hand yet, lines in different orders,
    posted at once: the rows are created and locked by the statement that reads the lines, in one
    order, so none deadlocks or loses an update, and each entry's running quantity follows the last."""
    warehouse = add_warehouse(admin, [keeper.user["id"]])
    products = [add_product(admin) for _ in range(5)]
    drafts = [
        move(keeper, "receipt", warehouse, [(p, n + 1) for p in (products[n % 5 :] + products[: n % 5])])
        for n in range(8)
    ]
    clients = [Client(keeper.base_url, keeper.token) for _ in drafts]
    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(
                lambda pair: pair[0].post("/api/v1/stock-moves/{}/post".format(pair[1]["id"])), zip(clients, drafts)
            )
        )
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    assert on_hand(keeper, warehouse) == {p["id"]: sum(range(1, 9)) for p in products}
    ledger = ok(keeper.get("/api/v1/warehouses/{}/ledger".format(warehouse["id"]), {"page_size": 100}))
    assert len(ledger["items"]) == 40
    for product in products:
        entries = [e for e in ledger["items"] if e["product_id"] == product["id"]]
        running = 0
        for entry in sorted(entries, key=lambda e: e["quantity"]):
            running += entry["change"]
            assert entry["quantity"] == running, entries


def test_ledger_by_period_in_the_business_time_zone(admin, keeper):
    import datetime
    from zoneinfo import ZoneInfo

    warehouse = add_warehouse(admin, [keeper.user["id"]])
    product = add_product(admin)
    posted(keeper, "receipt", warehouse, [(product, 2)])
    today = datetime.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    url = "/api/v1/warehouses/{}/ledger".format(warehouse["id"])
    assert ok(keeper.get(url, {"from": today.isoformat(), "to": today.isoformat()}))["total"] == 1
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert ok(keeper.get(url, {"from": tomorrow}))["total"] == 0
    assert error_code(keeper.get(url, {"from": "soon"}), 400) == "VALIDATION_ERROR"
