"""Tickets through the gateway with every service running: dispatch by priority, waiting queue,
away members, accept, transfer, edits refused once assigned, customer tickets, history and KPI."""

import datetime
import time

import pytest

from tests.conftest import unique

pytestmark = pytest.mark.e2e


def wait_for(fetch, predicate, timeout=30):
    """Poll ``fetch()`` until ``predicate(value)``; returns the last value."""
    deadline = time.time() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.time() > deadline:
            return value
        time.sleep(0.1)


def ticket_of(client, ticket_id):
    response = client.get("/api/v1/tickets/{}".format(ticket_id))
    assert response.status_code == 200, response.text
    return response.json()


def wait_assigned(client, ticket_id, assignee_id):
    ticket = wait_for(lambda: ticket_of(client, ticket_id), lambda t: t["assignee_id"] == assignee_id)
    assert (ticket["status"], ticket["assignee_id"]) == ("assigned", assignee_id), ticket
    return ticket


def post_ok(client, path, body=None, status=200):
    response = client.post(path, body)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def desk(admin, new_user):
    """A support group with members of priorities 3, 2, 1 (capacity 1), a creator and an outsider."""
    high, middle, low = new_user(), new_user(), new_user()
    creator, outsider = new_user(), new_user()
    ticket_type = post_ok(admin, "/api/v1/ticket-types", {"name": unique("Printer ")}, 201)
    group = post_ok(
        admin,
        "/api/v1/support-groups",
        {
            "name": unique("Desk "),
            "ticket_type_ids": [ticket_type["id"]],
            "members": [
                {"user_id": low.user["id"], "priority": 1},
                {"user_id": high.user["id"], "priority": 3},
                {"user_id": middle.user["id"], "priority": 2},
            ],
        },
        201,
    )
    idle_type = post_ok(admin, "/api/v1/ticket-types", {"name": unique("Idle ")}, 201)
    post_ok(admin, "/api/v1/support-groups", {"name": unique("Nobody "), "ticket_type_ids": [idle_type["id"]]}, 201)
    return dict(
        type=ticket_type,
        idle_type=idle_type,
        group=group,
        high=high,
        middle=middle,
        low=low,
        creator=creator,
        outsider=outsider,
    )


def test_groups_are_managed_by_admins_and_list_members_by_priority(desk, admin):
    group = desk["group"]
    assert [m["priority"] for m in group["members"]] == [3, 2, 1]
    assert all(m["capacity"] == 1 and m["available"] for m in group["members"])
    response = desk["creator"].post("/api/v1/support-groups", {"name": unique("Mine ")})
    assert response.status_code == 403 and response.json()["error"]["code"] == "ADMIN_REQUIRED"
    response = admin.post("/api/v1/support-groups", {"name": unique("G "), "members": [{"user_id": 987654321}]})
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_MEMBERS"
    response = admin.post("/api/v1/support-groups", {"name": unique("G "), "ticket_type_ids": [desk["type"]["id"]]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "TICKET_TYPE_OWNED"


def test_dispatch_queue_away_accept_transfer_history_and_kpi(desk, admin, new_user, new_department):
    high, middle, low, creator = desk["high"], desk["middle"], desk["low"], desk["creator"]
    group_id, type_id = desk["group"]["id"], desk["type"]["id"]

    def open_ticket(title, **fields):
        return post_ok(creator, "/api/v1/tickets", dict(title=title, type_id=type_id, **fields), 201)

    first, second, third, fourth = (open_ticket("ticket {}".format(n)) for n in range(1, 5))
    assert first["status"] == "unassigned" and first["group_id"] == group_id
    # 1 → priority 3, 2 → priority 2, 3 → priority 1, 4 waits
    wait_assigned(creator, first["id"], high.user["id"])
    wait_assigned(creator, second["id"], middle.user["id"])
    wait_assigned(creator, third["id"], low.user["id"])
    assert ticket_of(creator, fourth["id"])["status"] == "unassigned"

    # edits: refused once assigned, allowed to the creator while waiting, hidden from outsiders
    response = creator.patch("/api/v1/tickets/{}".format(first["id"]), {"title": "changed"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "TICKET_NOT_EDITABLE"
    response = creator.patch(
        "/api/v1/tickets/{}".format(first["id"]), {"title": "changed"}, headers={"Accept-Language": "vi"}
    )
    assert response.json()["error"]["message"] == "Chỉ sửa được ticket khi ticket chưa được phân công."
    deadline = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)).isoformat()
    response = creator.patch(
        "/api/v1/tickets/{}".format(fourth["id"]), {"title": "ticket 4 (urgent)", "deadline": deadline}
    )
    assert response.status_code == 200 and response.json()["title"] == "ticket 4 (urgent)", response.text
    assert desk["outsider"].patch("/api/v1/tickets/{}".format(fourth["id"]), {"title": "x"}).status_code == 404
    assert high.patch("/api/v1/tickets/{}".format(fourth["id"]), {"title": "x"}).status_code == 403

    # wrong person / wrong state
    assert middle.post("/api/v1/tickets/{}/start".format(first["id"])).status_code == 403
    post_ok(high, "/api/v1/tickets/{}/start".format(first["id"]))
    assert high.post("/api/v1/tickets/{}/start".format(first["id"])).status_code == 409
    # completing the first frees priority 3, who gets the waiting ticket
    done = post_ok(high, "/api/v1/tickets/{}/complete".format(first["id"]))
    assert done["status"] == "done"
    assert high.post("/api/v1/tickets/{}/complete".format(first["id"])).status_code == 409
    wait_assigned(creator, fourth["id"], high.user["id"])

    # a member marked away gets nothing: priority 2 goes away and finishes; the next ticket goes to priority 1
    response = middle.put(
        "/api/v1/support-groups/{}/members/{}/availability".format(group_id, middle.user["id"]), {"available": False}
    )
    assert response.status_code == 200 and response.json()["available"] is False, response.text
    assert (
        low.put(
            "/api/v1/support-groups/{}/members/{}/availability".format(group_id, middle.user["id"]), {"available": True}
        ).status_code
        == 403
    )
    post_ok(middle, "/api/v1/tickets/{}/complete".format(second["id"]))
    fifth = open_ticket("ticket 5")
    post_ok(low, "/api/v1/tickets/{}/complete".format(third["id"]))
    wait_assigned(creator, fifth["id"], low.user["id"])

    # accept: the away member takes a waiting ticket by hand; non-members cannot
    sixth = open_ticket("ticket 6")
    assert ticket_of(creator, sixth["id"])["status"] == "unassigned"
    response = creator.post("/api/v1/tickets/{}/accept".format(sixth["id"]))
    assert response.status_code == 403 and response.json()["error"]["code"] == "NOT_GROUP_MEMBER"
    accepted = post_ok(middle, "/api/v1/tickets/{}/accept".format(sixth["id"]))
    assert (accepted["status"], accepted["assignee_id"]) == ("assigned", middle.user["id"])
    assert low.post("/api/v1/tickets/{}/accept".format(sixth["id"])).status_code == 409

    # transfer: to a full member is refused; after raising their capacity it goes through, with the reason
    body = {"user_id": low.user["id"], "reason": "needs the printer expert"}
    response = middle.post("/api/v1/tickets/{}/transfer".format(sixth["id"]), body)
    assert response.status_code == 409 and response.json()["error"]["code"] == "MEMBER_AT_CAPACITY"
    assert low.post("/api/v1/tickets/{}/transfer".format(sixth["id"]), body).status_code == 403
    members = [
        {"user_id": high.user["id"], "priority": 3},
        {"user_id": middle.user["id"], "priority": 2},
        {"user_id": low.user["id"], "priority": 1, "capacity": 2},
    ]
    response = admin.patch("/api/v1/support-groups/{}".format(group_id), {"members": members})
    assert response.status_code == 200, response.text
    group = response.json()
    assert {m["user_id"]: (m["capacity"], m["available"]) for m in group["members"]}[middle.user["id"]] == (1, False)
    moved = post_ok(middle, "/api/v1/tickets/{}/transfer".format(sixth["id"]), body)
    assert (moved["status"], moved["assignee_id"]) == ("assigned", low.user["id"])

    history = creator.get("/api/v1/tickets/{}/history".format(sixth["id"])).json()["items"]
    assert [(h["action"], h["to_assignee_id"]) for h in history] == [
        ("created", None),
        ("accepted", middle.user["id"]),
        ("transferred", low.user["id"]),
    ]
    assert history[2]["reason"] == "needs the printer expert" and history[2]["from_assignee_id"] == middle.user["id"]
    assert desk["outsider"].get("/api/v1/tickets/{}/history".format(sixth["id"])).status_code == 404

    # lists and filters
    mine = low.get("/api/v1/tickets", params={"assignee_id": low.user["id"], "status": "assigned"}).json()
    assert {t["id"] for t in mine["items"]} == {fifth["id"], sixth["id"]} and mine["total"] == 2
    assert desk["outsider"].get("/api/v1/tickets", params={"group_id": group_id}).json()["total"] == 0

    # KPI for today: received, completed (on time: no deadline), open
    today = datetime.datetime.now(datetime.UTC).date()
    period = {"from": str(today - datetime.timedelta(days=1)), "to": str(today + datetime.timedelta(days=1))}
    report = admin.get("/api/v1/tickets/kpi", params=period)
    assert report.status_code == 200, report.text
    rows = {row["user_id"]: row for row in report.json()["items"]}
    assert {k: rows[high.user["id"]][k] for k in ("received", "completed", "completed_on_time", "open")} == {
        "received": 2,
        "completed": 1,
        "completed_on_time": 1,
        "open": 1,
    }
    assert {k: rows[middle.user["id"]][k] for k in ("received", "completed", "open")} == {
        "received": 2,
        "completed": 1,
        "open": 0,
    }
    assert {k: rows[low.user["id"]][k] for k in ("received", "completed", "open")} == {
        "received": 3,
        "completed": 1,
        "open": 2,
    }
    assert 0 <= rows[high.user["id"]]["avg_hours_to_complete"] < 1
    own = low.get("/api/v1/tickets/kpi", params=period).json()["items"]
    assert [row["user_id"] for row in own] == [low.user["id"]]
    assert low.get("/api/v1/tickets/kpi", params=dict(period, user_id=high.user["id"])).status_code == 403
    assert admin.get("/api/v1/tickets/kpi", params={"from": "2026-01-02", "to": "2026-01-01"}).status_code == 400
    # a department manager sees the KPI of the department's members
    manager = new_user()
    department = new_department(manager_ids=[manager.user["id"]])
    assert (
        admin.patch("/api/v1/users/{}".format(low.user["id"]), {"department_id": department["id"]}).status_code == 200
    )
    managed = manager.get("/api/v1/tickets/kpi", params=period)
    assert managed.status_code == 200, managed.text
    assert {row["user_id"]: row for row in managed.json()["items"]}[low.user["id"]] == rows[low.user["id"]]
    response = manager.get("/api/v1/tickets/kpi", params=dict(period, user_id=high.user["id"]))
    assert response.status_code == 403 and response.json()["error"]["code"] == "KPI_NOT_ALLOWED"


def test_tickets_for_customers_need_the_customer_to_be_visible(desk, new_user):
    owner, stranger = new_user(), new_user()
    response = owner.post("/api/v1/customers", {"name": "Công ty " + unique(), "phone": "0901234567"})
    assert response.status_code == 201, response.text
    customer = response.json()
    body = {"title": "Máy in kẹt giấy", "type_id": desk["type"]["id"]}
    ticket = post_ok(owner, "/api/v1/customers/{}/tickets".format(customer["id"]), body, 201)
    assert ticket["customer_id"] == customer["id"]
    assert ticket["customer"]["code"] == customer["code"] and ticket["customer"]["name"] == customer["name"]
    from_screen = post_ok(owner, "/api/v1/tickets", dict(body, customer_id=customer["id"]), 201)
    assert from_screen["customer"]["id"] == customer["id"]
    for response in (
        stranger.post("/api/v1/customers/{}/tickets".format(customer["id"]), body),
        stranger.post("/api/v1/tickets", dict(body, customer_id=customer["id"])),
    ):
        assert response.status_code == 404, response.text
    # the stranger's own waiting ticket cannot be moved onto that customer either
    mine = post_ok(stranger, "/api/v1/tickets", body, 201)
    response = stranger.patch("/api/v1/tickets/{}".format(mine["id"]), {"customer_id": customer["id"]})
    assert response.status_code == 404, response.text
    # the owner can attach a waiting ticket to the customer (a fresh group with nobody in it keeps it waiting)
    waiting = post_ok(owner, "/api/v1/tickets", {"title": "later", "type_id": desk["idle_type"]["id"]}, 201)
    response = owner.patch("/api/v1/tickets/{}".format(waiting["id"]), {"customer_id": customer["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["customer"]["code"] == customer["code"]
    response = owner.patch("/api/v1/tickets/{}".format(waiting["id"]), {"customer_id": None})
    assert response.status_code == 200 and response.json()["customer"] is None, response.text
    # a customer id in the body of the customer route is refused (the path decides)
    response = owner.post("/api/v1/customers/{}/tickets".format(customer["id"]), dict(body, customer_id=1))
    assert response.status_code == 400


def test_the_support_group_sees_a_tickets_customer_only_if_allowed_to(admin, new_user):
    """A customer is never shown to whom cannot see it, tickets' snapshots included."""
    owner, agent = new_user(), new_user()
    ticket_type = post_ok(admin, "/api/v1/ticket-types", {"name": unique("Billing ")}, 201)
    post_ok(
        admin,
        "/api/v1/support-groups",
        {
            "name": unique("Billing desk "),
            "ticket_type_ids": [ticket_type["id"]],
            "members": [{"user_id": agent.user["id"], "priority": 1}],
        },
        201,
    )
    customer = post_ok(owner, "/api/v1/customers", {"name": "Công ty " + unique()}, 201)
    ticket = post_ok(
        owner,
        "/api/v1/customers/{}/tickets".format(customer["id"]),
        {"title": "Hóa đơn sai", "type_id": ticket_type["id"]},
        201,
    )
    assert (ticket["customer"]["id"], ticket["customer_hidden"]) == (customer["id"], False)
    seen = wait_assigned(agent, ticket["id"], agent.user["id"])
    assert (seen["customer_id"], seen["customer"], seen["customer_hidden"]) == (None, None, True)
    listed = {t["id"]: t for t in agent.get("/api/v1/tickets", params={"page_size": 500}).json()["items"]}
    assert (listed[ticket["id"]]["customer"], listed[ticket["id"]]["customer_hidden"]) == (None, True)
    accepted = post_ok(agent, "/api/v1/tickets/{}/start".format(ticket["id"]))
    assert (accepted["customer"], accepted["customer_hidden"]) == (None, True)
    by_customer = agent.get("/api/v1/tickets", params={"customer_id": customer["id"]}).json()
    assert (by_customer["items"], by_customer["total"]) == ([], 0)  # not even that this customer has tickets
    assert ticket_of(admin, ticket["id"])["customer"]["id"] == customer["id"]
    assert ticket_of(owner, ticket["id"])["customer"]["id"] == customer["id"]
    shared = owner.post(
        "/api/v1/customers/bulk/share",
        {"customer_ids": [customer["id"]], "mode": "add", "user_ids": [agent.user["id"]]},
    )
    assert shared.status_code == 200, shared.text
    seen = ticket_of(agent, ticket["id"])
    assert (seen["customer"]["code"], seen["customer_hidden"]) == (customer["code"], False)
    assert agent.get("/api/v1/tickets", params={"customer_id": customer["id"]}).json()["total"] == 1


def test_a_member_who_leaves_the_group_hands_back_their_tickets(admin, new_user):
    leaving, staying, creator = new_user(), new_user(), new_user()
    ticket_type = post_ok(admin, "/api/v1/ticket-types", {"name": unique("Network ")}, 201)
    group = post_ok(
        admin,
        "/api/v1/support-groups",
        {
            "name": unique("Network desk "),
            "ticket_type_ids": [ticket_type["id"]],
            "members": [{"user_id": leaving.user["id"], "priority": 2}, {"user_id": staying.user["id"], "priority": 1}],
        },
        201,
    )
    first = post_ok(creator, "/api/v1/tickets", {"title": "VPN down", "type_id": ticket_type["id"]}, 201)
    wait_assigned(creator, first["id"], leaving.user["id"])
    post_ok(leaving, "/api/v1/tickets/{}/start".format(first["id"]))
    second = post_ok(creator, "/api/v1/tickets", {"title": "Wi-Fi slow", "type_id": ticket_type["id"]}, 201)
    wait_assigned(creator, second["id"], staying.user["id"])
    response = admin.patch(
        "/api/v1/support-groups/{}".format(group["id"]),
        {"members": [{"user_id": staying.user["id"], "priority": 1, "capacity": 2}]},
    )
    assert response.status_code == 200, response.text
    handed = wait_assigned(creator, first["id"], staying.user["id"])
    assert handed["started_at"] is None
    history = creator.get("/api/v1/tickets/{}/history".format(first["id"])).json()["items"]
    assert [(h["action"], h["from_assignee_id"], h["to_assignee_id"]) for h in history][-2:] == [
        ("unassigned", leaving.user["id"], None),
        ("assigned", None, staying.user["id"]),
    ]
    assert history[-2]["reason"] == "removed from the support group"
    assert (
        leaving.get("/api/v1/tickets/{}".format(first["id"])).status_code == 404
    )  # no longer theirs nor their group's
