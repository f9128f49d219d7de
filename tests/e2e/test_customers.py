"""End to end through HTTP: customers, visibility, groups, sharing, ownership transfer, rating, history."""

import datetime

import pytest

from tests.conftest import unique, wait_for

pytestmark = pytest.mark.e2e

API = "/api/v1"


def created(response):
    assert response.status_code == 201, response.text
    return response.json()


def ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def error_code(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def new_customer(client, **fields):
    return created(client.post(API + "/customers", dict({"name": unique("Customer ")}, **fields)))


def share_targets(client, customer_id):
    items = ok(client.get(API + "/customers/{}/shares".format(customer_id)))["items"]
    return {("user", s["user_id"]) if "user_id" in s else ("department", s["department_id"]): s["level"] for s in items}


@pytest.fixture(scope="module")
def thresholds(admin):
    """The rating thresholds these tests use (the setting is global: set once)."""
    values = [10, 20, 40, 70, 100]
    assert ok(admin.put(API + "/settings/potential-rating", {"thresholds": values}))["thresholds"] == values
    return values


# -- customers and what belongs to them --------------------------------------------------------


def test_customer_crud_with_generated_code(new_user):
    seller = new_user()
    customer = new_customer(
        seller,
        kind="company",
        phone="0901234567",
        email="an@example.com",
        address="Hà Nội",
        source="web",
        note="Khách quen",
    )
    assert customer["code"].startswith("KH") and customer["owner_id"] == seller.user["id"]
    assert (customer["score"], customer["stars"], customer["group_ids"]) == (0, 0, [])
    path = API + "/customers/{}".format(customer["id"])
    assert ok(seller.get(path))["name"] == customer["name"]
    changed = ok(seller.patch(path, {"name": "Công ty An Phát", "note": None}))
    assert changed["name"] == "Công ty An Phát" and changed["note"] is None and changed["code"] == customer["code"]
    duplicate = seller.post(API + "/customers", {"name": "Dup", "code": customer["code"]})
    assert error_code(duplicate, 409) == "CUSTOMER_CODE_TAKEN"
    assert error_code(seller.post(API + "/customers", {"name": "X", "owner_id": 1}), 400) == "VALIDATION_ERROR"
    assert error_code(seller.patch(path, {"score": 99}), 400) == "VALIDATION_ERROR"
    assert error_code(seller.post(API + "/customers", {"name": "X", "kind": "alien"}), 400) == "VALIDATION_ERROR"
    assert seller.delete(path).status_code == 204
    assert error_code(seller.get(path), 404) == "CUSTOMER_NOT_FOUND"
    assert (
        seller.get(path, headers={"Accept-Language": "vi"}).json()["error"]["message"] == "Không tìm thấy khách hàng."
    )


def test_list_filters(admin, new_user):
    seller = new_user()
    tag = unique("tag")
    group = created(admin.post(API + "/customer-groups", {"name": unique("Group "), "points": 0}))
    first = new_customer(seller, name=tag + " one", group_ids=[group["id"]])
    second = new_customer(seller, name=tag + " two")
    listed = ok(seller.get(API + "/customers", params={"q": tag}))
    assert [c["id"] for c in listed["items"]] == [second["id"], first["id"]] and listed["total"] == 2
    in_group = ok(seller.get(API + "/customers", params={"q": tag, "group_id": group["id"]}))["items"]
    assert [c["id"] for c in in_group] == [first["id"]]
    by_owner = ok(admin.get(API + "/customers", params={"owner_id": seller.user["id"]}))
    assert {c["id"] for c in by_owner["items"]} == {first["id"], second["id"]}
    page = ok(seller.get(API + "/customers", params={"q": tag, "page": 2, "page_size": 1}))
    assert [c["id"] for c in page["items"]] == [first["id"]] and page["total"] == 2
    assert error_code(seller.get(API + "/customers", params={"stars": 6}), 400) == "VALIDATION_ERROR"


def test_bulk_actions_on_a_filter(admin, new_user):
    """Beyond: a bulk action on every visible customer matching the list's filters, newest first."""
    seller, colleague, first_target, second_target = new_user(), new_user(), new_user(), new_user()
    tag = unique("filter")
    group = created(admin.post(API + "/customer-groups", {"name": unique("Group "), "points": 3}))
    mine = [new_customer(seller, name="{} {}".format(tag, i))["id"] for i in range(3)]
    theirs = new_customer(colleague, name=tag + " theirs")["id"]
    moved = ok(
        seller.post(API + "/customers/bulk/groups", {"filter": {"q": tag}, "mode": "add", "group_ids": [group["id"]]})
    )
    assert (moved["matched"], moved["changed"]) == (3, 3)
    in_group = ok(admin.get(API + "/customers", params={"group_id": group["id"]}))
    assert [c["id"] for c in in_group["items"]] == mine[::-1] and {c["score"] for c in in_group["items"]} == {3}
    transferred = ok(
        seller.post(
            API + "/customers/bulk/transfer-owner",
            {
                "filter": {"group_id": group["id"]},
                "split_evenly": True,
                "user_ids": [first_target.user["id"], second_target.user["id"]],
            },
        )
    )
    assert transferred["assignments"] == {
        str(first_target.user["id"]): [mine[2], mine[1]],
        str(second_target.user["id"]): [mine[0]],
    }
    assert ok(admin.get(API + "/customers/{}".format(theirs)))["owner_id"] == colleague.user["id"]
    both = seller.post(
        API + "/customers/bulk/share",
        {"customer_ids": mine, "filter": {"q": tag}, "mode": "add", "user_ids": [colleague.user["id"]]},
    )
    assert error_code(both, 400) == "VALIDATION_ERROR" and "customer_ids" in both.json()["error"]["fields"]
    shared = ok(
        colleague.post(
            API + "/customers/bulk/share", {"filter": {"q": tag}, "mode": "add", "user_ids": [seller.user["id"]]}
        )
    )
    assert shared["matched"] == 1  # the colleague sees only their own


def test_contacts_activities_and_records(admin, new_user):
    seller = new_user()
    customer = new_customer(seller)
    base = API + "/customers/{}".format(customer["id"])
    contact = created(seller.post(base + "/contacts", {"name": "Chị Lan", "phone": "0912345678", "position": "CEO"}))
    assert ok(seller.get(base + "/contacts"))["items"] == [contact]
    assert (
        error_code(seller.post(API + "/activity-types", {"name": unique("Call "), "points": 5}), 403) == "ROLE_REQUIRED"
    )
    call = created(admin.post(API + "/activity-types", {"name": unique("Call "), "points": 5}))
    activity = created(
        seller.post(
            base + "/activities", {"type_id": call["id"], "title": "Gọi lại", "due_at": "2030-01-02T09:00:00+07:00"}
        )
    )
    assert (activity["status"], activity["owner_id"]) == ("not_started", seller.user["id"])
    done = ok(seller.patch(API + "/activities/{}".format(activity["id"]), {"status": "done"}))
    assert done["status"] == "done"
    assert ok(seller.get(base))["score"] == 5
    assert ok(seller.get(base + "/activities", params={"status": "done"}))["total"] == 1
    contract = created(seller.post(base + "/records", {"kind": "contract", "title": "HĐ 01", "amount": 15_000_000}))
    assert (contract["status"], contract["amount"], contract["shares"]) == ("open", 15_000_000, [])
    assert (
        error_code(seller.post(base + "/records", {"kind": "document", "title": "Scan", "amount": 5}), 400)
        == "AMOUNT_NOT_APPLICABLE"
    )
    signed = ok(seller.patch(API + "/records/{}".format(contract["id"]), {"status": "signed"}))
    assert signed["status"] == "signed"
    assert ok(seller.get(base + "/records", params={"kind": "contract"}))["items"] == [signed]
    stranger = new_user()
    assert stranger.get(API + "/records/{}".format(contract["id"])).status_code == 404
    assert stranger.get(API + "/activities/{}".format(activity["id"])).status_code == 404
    assert stranger.get(base + "/contacts").status_code == 404


# -- the SPEC examples ------------------------------------------------------------------------------


def test_share_modes_spec_examples(new_user):
    a_owner, b, c = new_user(), new_user(), new_user()
    customers = [new_customer(a_owner)["id"] for _ in range(3)]
    body = {"customer_ids": customers, "mode": "add", "user_ids": [b.user["id"]], "level": "view"}
    assert ok(a_owner.post(API + "/customers/bulk/share", body))["changed"] == 3
    B, C = ("user", b.user["id"]), ("user", c.user["id"])

    added = ok(
        a_owner.post(
            API + "/customers/bulk/share", {"customer_ids": [customers[0]], "mode": "add", "user_ids": [c.user["id"]]}
        )
    )
    assert (added["matched"], added["changed"]) == (1, 1)
    assert share_targets(a_owner, customers[0]) == {B: "view", C: "view"}  # B and C

    transfer = {"customer_ids": [customers[1]], "mode": "transfer", "user_ids": [c.user["id"]]}
    assert ok(a_owner.post(API + "/customers/bulk/share", transfer))["changed"] == 1
    assert share_targets(a_owner, customers[1]) == {C: "view"}  # C only

    remove = {"customer_ids": [customers[2]], "mode": "remove", "user_ids": [b.user["id"]]}
    assert ok(a_owner.post(API + "/customers/bulk/share", remove))["changed"] == 1
    assert share_targets(a_owner, customers[2]) == {}  # nobody
    assert b.get(API + "/customers/{}".format(customers[2])).status_code == 404


def test_split_evenly_spec_example(admin, new_user, new_department):
    seller = new_user()
    department = new_department()
    targets = [new_user(department_id=department["id"]) for _ in range(3)]
    customers = [new_customer(seller)["id"] for _ in range(10)]
    order = customers[::-1]  # "in the order given": not the creation order
    body = {"customer_ids": order, "user_ids": [t.user["id"] for t in targets], "split_evenly": True}
    result = ok(seller.post(API + "/customers/bulk/transfer-owner", body))
    assert (result["matched"], result["changed"]) == (10, 10)
    assert result["assignments"] == {
        str(targets[0].user["id"]): order[:4],
        str(targets[1].user["id"]): order[4:7],
        str(targets[2].user["id"]): order[7:],
    }
    for target, block in zip(targets, (order[:4], order[4:7], order[7:])):
        for customer_id in block:
            customer = ok(target.get(API + "/customers/{}".format(customer_id)))
            assert (customer["owner_id"], customer["owner_department_id"]) == (target.user["id"], department["id"])
    assert ok(seller.get(API + "/customers", params={"owner_id": seller.user["id"]}))["total"] == 0
    without_split = dict(body, customer_ids=order[:1], split_evenly=False)
    assert (
        error_code(targets[0].post(API + "/customers/bulk/transfer-owner", without_split), 400)
        == "SPLIT_EVENLY_REQUIRED"
    )


def test_score_spec_example(admin, new_user, thresholds):
    seller = new_user()
    ten = created(admin.post(API + "/customer-groups", {"name": unique("Ten "), "points": 10}))
    twenty = created(admin.post(API + "/customer-groups", {"name": unique("Twenty "), "points": 20}))
    call = created(admin.post(API + "/activity-types", {"name": unique("Call "), "points": 5}))
    customer = new_customer(seller, name=unique("Rated "), group_ids=[ten["id"], twenty["id"]])
    for title in ("first", "second"):
        created(
            seller.post(
                API + "/customers/{}/activities".format(customer["id"]),
                {"type_id": call["id"], "title": title, "status": "done"},
            )
        )
    created(
        seller.post(
            API + "/customers/{}/activities".format(customer["id"]),
            {"type_id": call["id"], "title": "open", "status": "in_progress"},
        )
    )
    detail = ok(seller.get(API + "/customers/{}".format(customer["id"])))
    assert (detail["score"], detail["stars"]) == (40, 3)  # 10 + 20 + 5 + 5; 40 reaches the 3-star minimum
    query = {"q": customer["name"]}
    assert ok(seller.get(API + "/customers", params=dict(query, stars=[3, 4])))["total"] == 1
    assert ok(seller.get(API + "/customers", params=dict(query, stars=4)))["total"] == 0

    # the score follows group points and activity type points at once
    ok(admin.patch(API + "/customer-groups/{}".format(twenty["id"]), {"points": 50}))
    ok(admin.patch(API + "/activity-types/{}".format(call["id"]), {"points": 10}))
    detail = ok(seller.get(API + "/customers/{}".format(customer["id"])))
    assert (detail["score"], detail["stars"]) == (80, 4)
    assert ok(seller.get(API + "/customers", params=dict(query, stars=[4, 5])))["total"] == 1
    assert admin.delete(API + "/customer-groups/{}".format(ten["id"])).status_code == 204
    assert ok(seller.get(API + "/customers/{}".format(customer["id"])))["score"] == 70


def test_changing_thresholds(admin, new_user):
    seller = new_user()
    group = created(admin.post(API + "/customer-groups", {"name": unique("G "), "points": 40}))
    customer = new_customer(seller, group_ids=[group["id"]])
    path = API + "/settings/potential-rating"
    before = ok(seller.get(path))["thresholds"]
    try:
        assert error_code(seller.put(path, {"thresholds": [1, 2, 3, 4, 5]}), 403) == "ROLE_REQUIRED"
        assert error_code(admin.put(path, {"thresholds": [10, 20, 20, 30, 40]}), 400) == "VALIDATION_ERROR"
        assert error_code(admin.put(path, {"thresholds": [10, 20, 30]}), 400) == "VALIDATION_ERROR"
        ok(admin.put(path, {"thresholds": [1, 2, 3, 4, 50]}))
        assert ok(seller.get(API + "/customers/{}".format(customer["id"])))["stars"] == 4
        ok(admin.put(path, {"thresholds": [41, 42, 43, 44, 45]}))
        assert ok(seller.get(API + "/customers/{}".format(customer["id"])))["stars"] == 0
    finally:
        ok(admin.put(path, {"thresholds": before}))


# -- visibility -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(admin, new_user, new_department):
    """An owner in a department with a manager; a user and a department the customers are shared with (edit)."""
    owner_department = new_department()
    owner = new_user(department_id=owner_department["id"])
    manager = new_user()
    ok(admin.patch(API + "/departments/{}".format(owner_department["id"]), {"manager_ids": [manager.user["id"]]}))
    shared_department = new_department()
    department_member = new_user(department_id=shared_department["id"])
    shared_user = new_user()
    colleague = new_user(department_id=owner_department["id"])  # same department, not a manager
    unrelated = new_user()
    target = new_user()
    group = created(admin.post(API + "/customer-groups", {"name": unique("Matrix "), "points": 1}))
    return dict(
        owner=owner,
        manager=manager,
        department_member=department_member,
        shared_user=shared_user,
        admin=admin,
        colleague=colleague,
        unrelated=unrelated,
        target=target,
        group=group,
        shared_department=shared_department,
    )


def shared_customer(world):
    owner = world["owner"]
    customer = new_customer(owner, name=unique("Matrix "))
    ok(
        owner.post(
            API + "/customers/bulk/share",
            {
                "customer_ids": [customer["id"]],
                "mode": "add",
                "level": "edit",
                "user_ids": [world["shared_user"].user["id"]],
                "department_ids": [world["shared_department"]["id"]],
            },
        )
    )
    return customer


SEES = {
    "owner": True,
    "shared_user": True,
    "department_member": True,
    "manager": True,
    "admin": True,
    "colleague": False,
    "unrelated": False,
}


@pytest.mark.parametrize("who, sees", SEES.items())
def test_visibility_matrix(world, who, sees):
    client = world[who]
    customer = shared_customer(world)
    detail = client.get(API + "/customers/{}".format(customer["id"]))
    assert detail.status_code == (200 if sees else 404), detail.text
    if not sees:
        assert detail.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"
    listed = ok(client.get(API + "/customers", params={"q": customer["name"]}))
    assert [c["id"] for c in listed["items"]] == ([customer["id"]] if sees else []) and listed["total"] == int(sees)
    expected = (1, 1) if sees else (0, 0)

    groups = ok(
        client.post(
            API + "/customers/bulk/groups",
            {"customer_ids": [customer["id"]], "mode": "add", "group_ids": [world["group"]["id"]]},
        )
    )
    assert (groups["matched"], groups["changed"]) == expected
    share = ok(
        client.post(
            API + "/customers/bulk/share",
            {"customer_ids": [customer["id"]], "mode": "add", "user_ids": [world["target"].user["id"]]},
        )
    )
    assert (share["matched"], share["changed"]) == expected
    assert client.get(API + "/customers/{}/shares".format(customer["id"])).status_code == (200 if sees else 404)
    assert client.patch(API + "/customers/{}".format(customer["id"]), {"note": who}).status_code == (
        200 if sees else 404
    )

    transfer = ok(
        client.post(
            API + "/customers/bulk/transfer-owner",
            {"customer_ids": [customer["id"]], "user_ids": [world["target"].user["id"]]},
        )
    )
    assert (transfer["matched"], transfer["changed"]) == expected
    assert transfer["assignments"] == {str(world["target"].user["id"]): [customer["id"]] if sees else []}
    after = ok(world["admin"].get(API + "/customers/{}".format(customer["id"])))
    assert after["owner_id"] == (world["target"].user["id"] if sees else world["owner"].user["id"])
    assert after["group_ids"] == ([world["group"]["id"]] if sees else [])


def test_view_share_reads_but_does_not_change(world):
    owner, viewer = world["owner"], world["unrelated"]
    customer = new_customer(owner)
    ok(
        owner.post(
            API + "/customers/bulk/share",
            {"customer_ids": [customer["id"]], "mode": "add", "user_ids": [viewer.user["id"]], "level": "view"},
        )
    )
    path = API + "/customers/{}".format(customer["id"])
    assert ok(viewer.get(path))["id"] == customer["id"]
    assert error_code(viewer.patch(path, {"name": "Mine now"}), 403) == "CUSTOMER_EDIT_FORBIDDEN"
    assert error_code(viewer.delete(path), 403) == "CUSTOMER_DELETE_FORBIDDEN"
    assert error_code(viewer.post(path + "/contacts", {"name": "X"}), 403) == "CUSTOMER_EDIT_FORBIDDEN"
    for path_, body in (
        ("/customers/bulk/transfer-owner", {"user_ids": [viewer.user["id"]]}),
        ("/customers/bulk/share", {"mode": "remove", "user_ids": [viewer.user["id"]]}),
    ):
        result = ok(viewer.post(API + path_, dict(body, customer_ids=[customer["id"]])))
        assert (result["matched"], result["changed"], result["skipped"], result["skipped_ids"]) == (
            1,
            0,
            1,
            [customer["id"]],
        )
    assert ok(owner.get(path))["owner_id"] == owner.user["id"]
    assert share_targets(owner, customer["id"]) == {("user", viewer.user["id"]): "view"}
    ok(
        owner.post(
            API + "/customers/bulk/share",
            {"customer_ids": [customer["id"]], "mode": "add", "user_ids": [viewer.user["id"]], "level": "edit"},
        )
    )
    assert ok(viewer.patch(path, {"name": "Edited by a sharer"}))["name"] == "Edited by a sharer"


# -- transfers, refusals, history ------------------------------------------------------------------


def test_transfer_options_and_refusals(admin, new_user, new_department):
    seller = new_user()
    department = new_department()
    members = [new_user(department_id=department["id"]) for _ in range(2)]
    inactive = new_user(department_id=department["id"])
    ok(admin.patch(API + "/users/{}".format(inactive.user["id"]), {"active": False}))
    call = created(admin.post(API + "/activity-types", {"name": unique("Call "), "points": 1}))
    customer = new_customer(seller)
    base = API + "/customers/{}".format(customer["id"])
    activities = {
        status: created(seller.post(base + "/activities", {"type_id": call["id"], "title": status, "status": status}))[
            "id"
        ]
        for status in ("not_started", "in_progress", "done")
    }
    quote = created(seller.post(base + "/records", {"kind": "quote", "title": "BG 1", "amount": 100}))
    document = created(seller.post(base + "/records", {"kind": "document", "title": "Scan"}))
    transfer = API + "/customers/bulk/transfer-owner"

    refused = seller.post(transfer, {"customer_ids": [customer["id"]], "user_ids": [inactive.user["id"]]})
    assert error_code(refused, 422) == "USER_INACTIVE"
    assert (
        error_code(seller.post(transfer, {"customer_ids": [customer["id"]], "user_ids": [999999]}), 404)
        == "USER_NOT_FOUND"
    )
    assert (
        error_code(seller.post(transfer, {"customer_ids": [customer["id"]], "department_ids": [999999]}), 404)
        == "DEPARTMENT_NOT_FOUND"
    )
    assert ok(seller.get(base))["owner_id"] == seller.user["id"]

    result = ok(
        seller.post(
            transfer,
            {
                "customer_ids": [customer["id"]],
                "department_ids": [department["id"]],
                "split_evenly": True,
                "transfer_activities": ["not_started", "in_progress"],
                "share_related": ["quotes", "contracts"],
            },
        )
    )
    new_owner = members[0]  # the department's first active member takes the only customer
    assert result["assignments"] == {str(members[0].user["id"]): [customer["id"]], str(members[1].user["id"]): []}
    owners = {
        status: ok(new_owner.get(API + "/activities/{}".format(activity_id)))["owner_id"]
        for status, activity_id in activities.items()
    }
    assert owners == {
        "not_started": new_owner.user["id"],
        "in_progress": new_owner.user["id"],
        "done": seller.user["id"],
    }
    assert ok(new_owner.get(API + "/records/{}".format(quote["id"])))["shares"] == [
        {"user_id": new_owner.user["id"], "level": "edit"}
    ]
    assert ok(new_owner.get(API + "/records/{}".format(document["id"])))["shares"] == []
    assert seller.get(base).status_code == 404  # the old owner no longer sees it
    assert ok(seller.get(API + "/records/{}".format(quote["id"])))["owner_id"] == seller.user["id"]  # still theirs


def test_history_of_ownership_and_sharing(admin, new_user):
    seller, other = new_user(), new_user()
    began = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    customer = new_customer(seller)
    ok(
        seller.post(
            API + "/customers/bulk/share",
            {"customer_ids": [customer["id"]], "mode": "add", "user_ids": [other.user["id"]], "level": "view"},
        )
    )
    ok(
        seller.post(
            API + "/customers/bulk/share",
            {"customer_ids": [customer["id"]], "mode": "add", "user_ids": [other.user["id"]], "level": "edit"},
        )
    )
    ok(
        seller.post(
            API + "/customers/bulk/transfer-owner", {"customer_ids": [customer["id"]], "user_ids": [other.user["id"]]}
        )
    )
    history = ok(admin.get(API + "/customers/history", params={"customer_id": customer["id"]}))
    assert [(e["action"], e["actor_id"], e["from"], e["to"]) for e in history["items"]] == [
        (
            "owner_transfer",
            seller.user["id"],
            {"user_id": seller.user["id"], "level": "owner"},
            {"user_id": other.user["id"], "level": "owner"},
        ),
        (
            "share_add",
            seller.user["id"],
            {"user_id": other.user["id"], "level": "view"},
            {"user_id": other.user["id"], "level": "edit"},
        ),
        ("share_add", seller.user["id"], None, {"user_id": other.user["id"], "level": "view"}),
    ]
    by_actor = ok(
        admin.get(API + "/customers/history", params={"actor_id": seller.user["id"], "from": began.isoformat()})
    )
    assert by_actor["total"] == 3
    later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)).isoformat()
    assert (
        ok(admin.get(API + "/customers/history", params={"actor_id": seller.user["id"], "from": later}))["total"] == 0
    )
    # the history of a customer one cannot see is not shown: the seller lost it
    assert ok(seller.get(API + "/customers/history", params={"customer_id": customer["id"]}))["total"] == 0
    assert ok(other.get(API + "/customers/history", params={"customer_id": customer["id"]}))["total"] == 3


# -- limits ------------------------------------------------------------------------------------------


def test_managers_see_the_customers_of_whom_is_in_their_department_now(admin, new_user, new_department):
    """Moving a seller to another department moves what the two managers see (an event from the directory)."""
    old_manager, new_manager = new_user(), new_user()
    old = new_department(manager_ids=[old_manager.user["id"]])
    new = new_department(manager_ids=[new_manager.user["id"]])
    seller = new_user(department_id=old["id"])
    customers = [new_customer(seller)["id"] for _ in range(3)]

    def seen_by(manager):
        return {item["id"] for item in ok(manager.get(API + "/customers", {"page_size": 500}))["items"]} & set(
            customers
        )

    assert (seen_by(old_manager), seen_by(new_manager)) == (set(customers), set())
    ok(admin.patch(API + "/users/{}".format(seller.user["id"]), {"department_id": new["id"]}))
    wait_for(lambda: seen_by(new_manager) == set(customers), timeout=30, what="the new manager to see them")
    assert (seen_by(old_manager), seen_by(new_manager)) == (set(), set(customers))
    path = API + "/customers/{}".format(customers[0])
    assert error_code(old_manager.get(path), 404) == "CUSTOMER_NOT_FOUND"
    assert ok(new_manager.patch(path, {"note": "now mine to manage"}))["note"] == "now mine to manage"
    ok(admin.patch(API + "/users/{}".format(seller.user["id"]), {"department_id": None}))
    wait_for(lambda: not seen_by(new_manager), timeout=30, what="no manager to see them")
    assert (seen_by(old_manager), seen_by(new_manager), seen_by(seller)) == (set(), set(), set(customers))


def test_a_hundred_thousand_ids_per_call_and_no_more(new_user):
    seller, other = new_user(), new_user()
    customer = new_customer(seller)
    ids = list(range(10_000_000, 10_000_000 + 99_999)) + [customer["id"]]
    result = ok(
        seller.post(API + "/customers/bulk/share", {"customer_ids": ids, "mode": "add", "user_ids": [other.user["id"]]})
    )
    assert (result["matched"], result["changed"]) == (1, 1)  # the others do not exist (for this user)
    too_many = ids + [20_000_000]
    response = seller.post(API + "/customers/bulk/groups", {"customer_ids": too_many, "mode": "move", "group_ids": []})
    assert error_code(response, 400) == "VALIDATION_ERROR"
    assert "customer_ids" in response.json()["error"]["fields"]


def test_openapi_documents_the_customers_endpoints(anonymous):
    paths = ok(anonymous.get(API + "/openapi.json"))["paths"]
    for path in (
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/bulk/groups",
        "/api/v1/customers/bulk/share",
        "/api/v1/customers/bulk/transfer-owner",
        "/api/v1/customers/history",
        "/api/v1/settings/potential-rating",
        "/api/v1/customer-groups",
        "/api/v1/activity-types",
        "/api/v1/customers/{customer_id}/records",
        "/api/v1/records/{record_id}",
    ):
        assert path in paths, path


# -- time: the business time zone -------------------------------------------------------------------


def test_timestamps_come_back_in_the_business_time_zone_and_a_date_only_to_covers_that_day(admin, new_user):
    seller = new_user()
    customer = new_customer(seller)
    assert customer["created_at"].endswith("+07:00")
    activity_type = created(admin.post(API + "/activity-types", {"name": unique("Visit "), "points": 1}))
    due = "2026-12-31T17:00:00+07:00"
    activity = created(
        seller.post(
            API + "/customers/{}/activities".format(customer["id"]),
            {"type_id": activity_type["id"], "title": "Visit", "due_at": due},
        )
    )
    assert activity["due_at"] == due  # as sent, not shifted to UTC
    other = new_user()
    ok(
        seller.post(
            API + "/customers/bulk/share",
            {"customer_ids": [customer["id"]], "mode": "add", "user_ids": [other.user["id"]]},
        )
    )
    today = datetime.datetime.fromisoformat(customer["created_at"]).date().isoformat()  # a day in +07:00
    period = {"customer_id": customer["id"], "from": today, "to": today}
    assert ok(admin.get(API + "/customers/history", params=period))["total"] == 1
    before = (datetime.date.fromisoformat(today) - datetime.timedelta(days=1)).isoformat()
    assert ok(admin.get(API + "/customers/history", params=dict(period, to=before)))["total"] == 0
