"""The tickets service with real RabbitMQ and PostgreSQL: customer path, errors of the services it
calls relayed, dispatcher safety net, KPI of a scripted week, and three instances dispatching a
burst side by side."""

import datetime
import time

import eventlet
import pytest
from nameko.events import event_handler
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook
from sqlalchemy import func, select, text

from services.core.actor import Actor, CurrentActor
from services.core.errors import Forbidden, NotFound
from services.tickets.models import OPEN_STATUSES, GroupMember, Ticket, TicketHistory
from services.tickets.service import TicketsService

pytestmark = pytest.mark.infra

ADMIN = Actor(id=1, username="admin", roles=("admin",)).to_context()
STAFF = Actor(id=501, username="staff").to_context()
UNKNOWN_USER = 999999
DEPARTMENTS = {7: [21, 22]}  # department 7: employees 21 and 22
HIDDEN_CUSTOMER = 404
SECRET_DEPARTMENT = 403  # the directory refuses to tell its members
SECRET_USER = 4031  # the directory refuses to tell about this user
FORBIDDEN_CUSTOMER = 4030  # the customers service refuses to answer about it


class FakeDirectory:
    """Every user id is an active user except UNKNOWN_USER."""

    name = "directory"

    @rpc(expected_exceptions=(Forbidden,))
    def active_members(self, user_ids=(), department_ids=()):
        if SECRET_DEPARTMENT in department_ids or SECRET_USER in user_ids:
            raise Forbidden("You may not list this department.", code="DEPARTMENT_FORBIDDEN")
        users = [{"id": i, "active": True, "department_id": None} for i in user_ids if i != UNKNOWN_USER]
        return {
            "users": users,
            "missing_user_ids": [i for i in user_ids if i == UNKNOWN_USER],
            "missing_department_ids": [],
            "department_members": {str(d): DEPARTMENTS.get(d, []) for d in department_ids},
        }


SNAPSHOT_ASKED_BY = []


class FakeCustomers:
    """The customers side of the contract: a snapshot of a customer the caller sees, which
    customers the caller sees; never calls tickets."""

    name = "customers"
    actor = CurrentActor()

    @rpc(expected_exceptions=(NotFound,))
    def customer_snapshot(self, customer_id):
        SNAPSHOT_ASKED_BY.append(self.actor.id)
        if customer_id == HIDDEN_CUSTOMER:
            raise NotFound("Customer not found.", code="CUSTOMER_NOT_FOUND")
        return {
            "id": customer_id,
            "code": "KH{:05d}".format(customer_id),
            "name": "Công ty An Phát",
            "phone": "0901234567",
            "email": "an@example.com",
        }

    @rpc(expected_exceptions=(NotFound,))
    def list_contacts(self, customer_id, query=None):
        if customer_id == HIDDEN_CUSTOMER:
            raise NotFound("Customer not found.", code="CUSTOMER_NOT_FOUND")
        contacts = [
            {"id": customer_id * 10 + n, "customer_id": customer_id, "name": "Chị Lan {}".format(n), "phone": None}
            for n in range(3)
        ]
        page, size = query["page"], query["page_size"]
        return {"items": contacts[(page - 1) * size : page * size], "total": 3, "page": page, "page_size": size}

    @rpc(expected_exceptions=(Forbidden,))
    def visible_customer_ids(self, customer_ids):
        if FORBIDDEN_CUSTOMER in customer_ids:
            raise Forbidden("You may not ask about this customer.", code="CUSTOMER_FORBIDDEN")
        return [customer_id for customer_id in customer_ids if customer_id != HIDDEN_CUSTOMER]


ASSIGNED_EVENTS = []


class FakeNotifications:
    """Subscribes to ticket_assigned as the notifications service does."""

    name = "notifications"

    @event_handler("tickets", "ticket_assigned")
    def on_ticket_assigned(self, event):
        ASSIGNED_EVENTS.append((event["data"]["id"], event["data"]["assignee_id"]))


@pytest.fixture(autouse=True)
def clear_events():
    ASSIGNED_EVENTS.clear()
    SNAPSHOT_ASKED_BY.clear()


def wait_until(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        eventlet.sleep(0.1)
    return False


# ``config`` (and ``service_config``) before the containers in every signature: fixtures are torn
# down in reverse, so the containers stop before their database is emptied.
@pytest.fixture
def config(service_config):
    return service_config("tickets")


@pytest.fixture
def session(config, db_session):
    """After ``config``: closed (its transaction ended) before the test database is emptied."""
    return db_session("tickets")


@pytest.fixture
def start(container_factory):
    """``start(cls, config)``: a running container; tickets instances are stopped gracefully after the test.

    container_factory only kills containers; a killed worker can leave a transaction
    behind that deadlocks with the truncation of the test database.
    """
    started = []

    def run(cls, config):
        container = container_factory(cls, config)
        container.start()
        started.append(container)
        return container

    yield run
    stopping = [eventlet.spawn(container.stop) for container in started if container.service_cls is TicketsService]
    for thread in stopping:
        thread.wait()


@pytest.fixture
def tickets(config, start):
    start(FakeDirectory, config)
    start(FakeNotifications, config)
    return start(TicketsService, config)


def call(container, method, *args, actor=ADMIN):
    with entrypoint_hook(container, method, context_data={"actor": actor}) as hook:
        return hook(*args)


def setup_group(container, members, name="Support"):
    ticket_type = call(container, "create_ticket_type", {"name": name + " type"})
    group = call(
        container,
        "create_support_group",
        {
            "name": name,
            "ticket_type_ids": [ticket_type["id"]],
            "members": [{"user_id": u, "priority": p, "capacity": c} for u, p, c in members],
        },
    )
    return ticket_type, group


def test_tickets_asks_customers_for_the_snapshot_with_the_callers_actor(config, start, tickets):
    ticket_type, _ = setup_group(tickets, [])
    start(FakeCustomers, config)
    body = {"title": "Máy in hỏng", "type_id": ticket_type["id"]}
    created = call(tickets, "create_ticket", dict(body, customer_id=7), actor=STAFF)
    assert created["customer_id"] == 7 and created["customer_hidden"] is False
    assert created["customer"]["code"] == "KH00007" and created["customer"]["name"] == "Công ty An Phát"
    assert created["creator_id"] == STAFF["id"]
    assert SNAPSHOT_ASKED_BY == [STAFF["id"]]  # the actor travelled with the question
    # a customer the creator cannot see: the customers service's 404, relayed; nothing created
    with pytest.raises(NotFound) as raised:
        call(tickets, "create_ticket", dict(body, customer_id=HIDDEN_CUSTOMER), actor=STAFF)
    assert raised.value.code == "CUSTOMER_NOT_FOUND"
    assert call(tickets, "list_tickets", {})["total"] == 1
    # a snapshot sent by the caller is refused: tickets asks for it itself
    from services.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        call(tickets, "create_ticket", dict(body, customer={"id": 7, "code": "FAKE", "name": "x"}), actor=STAFF)
    # changing the customer of a waiting ticket asks again; a hidden one is the same 404
    waiting = call(tickets, "create_ticket", body, actor=STAFF)
    moved = call(tickets, "update_ticket", waiting["id"], {"customer_id": 8}, actor=STAFF)
    assert (moved["customer_id"], moved["customer"]["code"]) == (8, "KH00008")
    with pytest.raises(NotFound):
        call(tickets, "update_ticket", waiting["id"], {"customer_id": HIDDEN_CUSTOMER}, actor=STAFF)
    assert call(tickets, "get_ticket", waiting["id"], actor=STAFF)["customer_id"] == 8


def test_a_ticket_keeps_a_contact_of_its_customer(config, start, tickets):
    from services.core.errors import InvalidInput
    from services.tickets.exceptions import ContactNotFound

    ticket_type, _ = setup_group(tickets, [])
    start(FakeCustomers, config)
    body = {"title": "Gọi lại", "type_id": ticket_type["id"], "customer_id": 7}
    created = call(tickets, "create_ticket", dict(body, contact_id=72), actor=STAFF)
    assert created["contact_id"] == 72
    assert created["customer"]["contact"] == {
        "id": 72,
        "name": "Chị Lan 2",
        "phone": None,
        "email": None,
        "position": None,
    }
    with pytest.raises(ContactNotFound):  # a contact of another customer
        call(tickets, "create_ticket", dict(body, contact_id=81), actor=STAFF)
    with pytest.raises(InvalidInput) as raised:  # a contact without a customer
        call(tickets, "create_ticket", {"title": "x", "type_id": ticket_type["id"], "contact_id": 72}, actor=STAFF)
    assert "contact_id" in raised.value.fields
    # the contact alone changes on the ticket's customer; a new customer leaves it without contact
    changed = call(tickets, "update_ticket", created["id"], {"contact_id": 70}, actor=STAFF)
    assert (changed["contact_id"], changed["customer"]["contact"]["name"]) == (70, "Chị Lan 0")
    moved = call(tickets, "update_ticket", created["id"], {"customer_id": 8}, actor=STAFF)
    assert (moved["customer_id"], moved["contact_id"], moved["customer"]["contact"]) == (8, None, None)
    history = call(tickets, "ticket_history", created["id"], actor=STAFF)["items"]
    assert [entry["changes"] for entry in history[1:]] == [
        {"contact_id": {"from": 72, "to": 70}},
        {"customer_id": {"from": 7, "to": 8}, "contact_id": {"from": 70, "to": None}},
    ]


def test_errors_of_the_services_tickets_calls_are_relayed(config, start, tickets):
    """A 403/404 of the directory or of customers reaches the caller as that kind, never a 500."""
    ticket_type, group = setup_group(tickets, [(11, 1, 1)])
    member = Actor(id=11).to_context()
    call(tickets, "set_member_availability", group["id"], 11, {"available": False}, actor=member)
    start(FakeCustomers, config)
    manager = Actor(id=30, managed_department_ids=(SECRET_DEPARTMENT,)).to_context()
    with pytest.raises(Forbidden) as raised:  # kpi -> directory.active_members
        call(tickets, "employee_kpi", {"from": "2026-11-02", "to": "2026-11-09"}, actor=manager)
    assert raised.value.code == "DEPARTMENT_FORBIDDEN"
    with pytest.raises(Forbidden):  # support groups -> directory.active_members
        call(tickets, "create_support_group", {"name": "Secret", "members": [{"user_id": SECRET_USER}]})
    # customer view -> customers.visible_customer_ids (a member of the group reads a waiting ticket)
    body = {"title": "t", "type_id": ticket_type["id"], "customer_id": FORBIDDEN_CUSTOMER}
    ticket = call(tickets, "create_ticket", body)
    with pytest.raises(Forbidden) as raised:
        call(tickets, "get_ticket", ticket["id"], actor=member)
    assert raised.value.code == "CUSTOMER_FORBIDDEN"


def test_members_must_be_active_users_and_only_admins_manage_groups(tickets):
    from services.tickets.exceptions import InvalidMembers, TicketTypeOwned

    with pytest.raises(InvalidMembers):
        call(tickets, "create_support_group", {"name": "G", "members": [{"user_id": UNKNOWN_USER, "priority": 1}]})
    with pytest.raises(Forbidden) as raised:
        call(tickets, "create_support_group", {"name": "G"}, actor=STAFF)
    assert (raised.value.code, raised.value.message) == ("ROLE_REQUIRED", "This action needs the role: admin.")
    ticket_type, group = setup_group(tickets, [(11, 1, 1)])
    with pytest.raises(TicketTypeOwned):
        call(tickets, "create_support_group", {"name": "Other", "ticket_type_ids": [ticket_type["id"]]})
    assert group["members"] == [{"user_id": 11, "priority": 1, "capacity": 1, "available": True, "open_tickets": 0}]


def test_replacing_members_keeps_availability_and_dispatches_to_new_room(tickets):
    ticket_type, group = setup_group(tickets, [(11, 2, 1), (12, 1, 1)])
    call(tickets, "set_member_availability", group["id"], 12, {"available": False}, actor=Actor(id=12).to_context())
    members = [{"user_id": 12, "priority": 5, "capacity": 2}, {"user_id": 13, "priority": 1}]
    updated = call(tickets, "update_support_group", group["id"], {"members": members, "name": "Renamed"})
    assert updated["name"] == "Renamed"
    assert [(m["user_id"], m["priority"], m["capacity"], m["available"]) for m in updated["members"]] == [
        (12, 5, 2, False),
        (13, 1, 1, True),
    ]
    assert call(tickets, "get_support_group", group["id"]) == updated


def test_changing_the_type_of_a_waiting_ticket_moves_it_to_the_other_group(config, session, tickets):
    empty_type, empty_group = setup_group(tickets, [], name="Nobody")
    busy_type, busy_group = setup_group(tickets, [(11, 1, 1)], name="Somebody")
    creator = Actor(id=40).to_context()
    ticket = call(tickets, "create_ticket", {"title": "wrong desk", "type_id": empty_type["id"]}, actor=creator)
    assert (ticket["group_id"], ticket["status"]) == (empty_group["id"], "unassigned")
    from services.tickets.exceptions import TicketNotFound

    with pytest.raises(TicketNotFound):  # 11 is no member of the ticket's group: cannot even see it
        call(tickets, "update_ticket", ticket["id"], {"title": "mine now"}, actor=Actor(id=11).to_context())
    moved = call(tickets, "update_ticket", ticket["id"], {"type_id": busy_type["id"]}, actor=creator)
    assert moved["group_id"] == busy_group["id"]

    def assigned():
        session.rollback()
        return session.get(Ticket, ticket["id"], populate_existing=True).assignee_id == 11

    assert wait_until(assigned)
    history = call(tickets, "ticket_history", ticket["id"], actor=creator)["items"]
    assert [h["action"] for h in history] == ["created", "edited", "assigned"]
    assert history[1]["changes"] == {"type_id": {"from": empty_type["id"], "to": busy_type["id"]}}
    from services.tickets.exceptions import TicketNotEditable

    with pytest.raises(TicketNotEditable):
        call(tickets, "update_ticket", ticket["id"], {"title": "too late"}, actor=creator)


def test_sweep_assigns_a_ticket_whose_event_was_lost(session, tickets):
    ticket_type, group = setup_group(tickets, [(11, 1, 1)])

    def group_event_handled():
        session.rollback()
        return (
            session.scalar(text("SELECT count(*) FROM outbox")) == 0
            and session.scalar(text("SELECT count(*) FROM processed_events")) == 1
        )

    assert wait_until(group_event_handled)
    # a waiting ticket written without any event: only the periodic sweep can find it
    ticket_id = session.scalar(
        text(
            "INSERT INTO tickets (title, content, type_id, group_id, creator_id, status) "
            "VALUES ('lost', '', :type_id, :group_id, 1, 'unassigned') RETURNING id"
        ),
        {"type_id": ticket_type["id"], "group_id": group["id"]},
    )
    session.commit()

    def assigned():
        session.rollback()
        return session.get(Ticket, ticket_id, populate_existing=True).assignee_id == 11

    assert wait_until(assigned, timeout=30)


def dead_letter(config, timeout=15):
    """The next message of the dead letters queue of this test's vhost (None after ``timeout``)."""
    from kombu import Connection

    from services.core.events import DEAD_LETTER_QUEUE

    deadline = time.time() + timeout
    with Connection(config["AMQP_URI"]) as connection:
        while time.time() < deadline:
            message = connection.default_channel.basic_get(DEAD_LETTER_QUEUE.name, no_ack=True)
            if message is not None:
                return message
            eventlet.sleep(0.1)
    return None


def test_one_unreadable_ticket_does_not_stop_its_group(config, session, tickets):
    """A deadline stored out of Python's range (year 0 in UTC) cannot be read: its own event goes to
    the dead letters, and the group's other tickets are still given out, behind and around it."""
    import json

    from services.core.outbox import record_event

    ticket_type, group = setup_group(tickets, [(11, 1, 2)])
    bad_id = session.scalar(
        text(
            "INSERT INTO tickets (title, content, type_id, group_id, creator_id, status, deadline) "
            "VALUES ('poison', '', :type_id, :group_id, 1, 'unassigned', '0001-01-01T00:00:00+01:00') RETURNING id"
        ),
        {"type_id": ticket_type["id"], "group_id": group["id"]},
    )
    record_event(session, "ticket_created", {"id": bad_id, "group_id": group["id"]})
    session.commit()
    message = dead_letter(config)
    assert message is not None, "the unreadable ticket's event should end in the dead letters"
    assert message.headers["x-crm-handler"] == "tickets.dispatch"
    assert json.loads(message.body)["data"]["id"] == bad_id
    first = call(tickets, "create_ticket", {"title": "fine", "type_id": ticket_type["id"]}, actor=STAFF)
    second = call(tickets, "create_ticket", {"title": "fine too", "type_id": ticket_type["id"]}, actor=STAFF)

    def both_assigned():
        session.rollback()
        rows = session.execute(
            select(Ticket.id, Ticket.assignee_id).where(Ticket.id.in_([first["id"], second["id"]]))
        ).all()
        return sorted(rows) == sorted([(first["id"], 11), (second["id"], 11)])

    assert wait_until(both_assigned, timeout=30)
    session.rollback()
    assert session.scalar(text("SELECT status FROM tickets WHERE id = :id"), {"id": bad_id}) == "unassigned"


def at(day, hour):
    return datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC) + datetime.timedelta(days=day, hours=hour)


def test_kpi_of_a_scripted_week(session, tickets):
    """Monday 2 to Monday 9 November 2026, employees 21 and 22."""
    ticket_type, group = setup_group(tickets, [(21, 2, 3), (22, 1, 3)])

    def ticket(status, assignee, assigned, completed=None, deadline=None, history=()):
        row = Ticket(
            title="t",
            content="",
            type_id=ticket_type["id"],
            group_id=group["id"],
            creator_id=1,
            status=status,
            assignee_id=assignee,
            assigned_at=assigned,
            completed_at=completed,
            deadline=deadline,
            created_at=assigned or at(0, 0),
        )
        session.add(row)
        session.flush()
        for action, to_assignee, when in history:
            session.add(
                TicketHistory(
                    ticket_id=row.id,
                    at=when,
                    actor_id=None,
                    action=action,
                    from_status="unassigned",
                    to_status="assigned",
                    to_assignee_id=to_assignee,
                )
            )
        return row

    # 21: received three in the week, completed two (one on time after 4h, one late after 8h), one open
    ticket("done", 21, at(0, 9), at(0, 13), deadline=at(1, 0), history=[("assigned", 21, at(0, 9))])
    ticket("done", 21, at(1, 9), at(1, 17), deadline=at(1, 12), history=[("assigned", 21, at(1, 9))])
    ticket("in_progress", 21, at(2, 9), history=[("accepted", 21, at(2, 9))])
    # received the week before, completed in the week without a deadline (on time), 10h
    ticket("done", 21, at(-1, 14), at(0, 0), history=[("assigned", 21, at(-1, 14))])
    # 22: one transferred to them in the week and completed after the week; one completed before the week
    ticket("done", 22, at(4, 10), at(7, 10), history=[("assigned", 21, at(4, 8)), ("transferred", 22, at(4, 10))])
    ticket("done", 22, at(-3, 0), at(-2, 0), history=[("assigned", 22, at(-3, 0))])
    ticket("assigned", 22, at(5, 0), history=[("assigned", 22, at(5, 0))])
    session.commit()

    # the week in UTC (a date-only bound would be a whole day in the business time zone)
    report = call(tickets, "employee_kpi", {"from": "2026-11-02T00:00:00Z", "to": "2026-11-09T00:00:00Z"})
    rows = {row["user_id"]: row for row in report["items"]}
    assert rows[21] == {
        "user_id": 21,
        "received": 4,
        "completed": 3,
        "completed_on_time": 2,
        "open": 1,
        "avg_hours_to_complete": round((4 + 8 + 10) / 3, 2),
    }
    assert rows[22] == {
        "user_id": 22,
        "received": 2,
        "completed": 0,
        "completed_on_time": 0,
        "open": 1,
        "avg_hours_to_complete": None,
    }
    # 21 received at(4, 8) the ticket later transferred: counted as received (4 = three + that one)
    mine = call(tickets, "employee_kpi", {"from": "2026-11-02", "to": "2026-11-09"}, actor=Actor(id=22).to_context())
    assert [row["user_id"] for row in mine["items"]] == [22]
    from services.tickets.exceptions import KpiNotAllowed

    with pytest.raises(KpiNotAllowed):
        call(
            tickets,
            "employee_kpi",
            {"from": "2026-11-02", "to": "2026-11-09", "user_id": [21]},
            actor=Actor(id=22).to_context(),
        )
    # the manager of department 7 sees themself and its members
    manager = Actor(id=30, managed_department_ids=(7,)).to_context()
    managed = call(tickets, "employee_kpi", {"from": "2026-11-02", "to": "2026-11-09"}, actor=manager)
    assert [row["user_id"] for row in managed["items"]] == [21, 22, 30]
    assert managed["items"][0] == rows[21]
    with pytest.raises(KpiNotAllowed):
        call(tickets, "employee_kpi", {"from": "2026-11-02", "to": "2026-11-09", "user_id": [99]}, actor=manager)


BURST = 500

# -- three instances, one burst -----------------------------------------------------

GROUPS = [  # (user_id, priority, capacity) per group
    [(101, 3, 2), (102, 2, 1), (103, 1, 1)],
    [(201, 1, 3), (202, 1, 3)],
    [(301, 5, 1), (302, 4, 1), (303, 3, 2), (304, 2, 1)],
    [(401, 1, 1)],
]


@pytest.mark.timeout(300)
def test_three_instances_dispatch_a_burst_of_500_tickets(service_config, db_session, start):
    config = service_config("tickets", max_workers=6)
    session = db_session("tickets")
    start(FakeDirectory, config)
    start(FakeNotifications, config)
    instances = [start(TicketsService, config) for _ in range(3)]
    type_ids = [setup_group(instances[0], members, name="G{}".format(i))[0]["id"] for i, members in enumerate(GROUPS)]
    capacity = {(g + 1, u): c for g, members in enumerate(GROUPS) for u, _, c in members}  # group ids are 1..4

    def create_some(numbers):
        """One client (its own standalone proxy: they are not shared between green threads)."""
        with ClusterRpcProxy(config, context_data={"actor": STAFF}) as cluster:
            return [
                cluster.tickets.create_ticket({"title": "burst {}".format(n), "type_id": type_ids[n % len(type_ids)]})
                for n in numbers
            ]

    completed = []

    def complete_some():
        """Members finish tickets while the burst goes on, freeing places concurrently."""
        with ClusterRpcProxy(config, context_data={"actor": ADMIN}) as cluster:
            while len(completed) < 60:
                session.rollback()
                held = session.scalars(select(Ticket.id).where(Ticket.status == "assigned").limit(5)).all()
                for ticket_id in held:
                    try:
                        cluster.tickets.complete_ticket(ticket_id)
                        completed.append(ticket_id)
                    except RemoteError:
                        pass
                eventlet.sleep(0.05)

    finisher = eventlet.spawn(complete_some)
    clients = 25
    pool = eventlet.GreenPool(clients)
    created = [t for batch in pool.imap(create_some, [range(i, BURST, clients) for i in range(clients)]) for t in batch]
    assert len({t["id"] for t in created}) == BURST
    finisher.wait()

    def settled():
        session.rollback()
        if session.scalar(text("SELECT count(*) FROM outbox")):
            return False
        return not groups_with_waiting_tickets_and_free_members(session, capacity)

    def complete_all_held():
        """Every holder finishes at once: many dispatchers of the same groups compete for the freed places."""
        session.rollback()
        held = session.scalars(select(Ticket.id).where(Ticket.status == "assigned")).all()

        def finish(ticket_ids):
            with ClusterRpcProxy(config, context_data={"actor": ADMIN}) as cluster:
                for ticket_id in ticket_ids:
                    cluster.tickets.complete_ticket(ticket_id)
            return len(ticket_ids)

        completed.extend(held)
        return sum(pool.imap(finish, [held[i::clients] for i in range(clients)]))

    for _ in range(3):
        assert wait_until(settled, timeout=120), groups_with_waiting_tickets_and_free_members(session, capacity)
        assert complete_all_held() > 0
    assert wait_until(settled, timeout=120), groups_with_waiting_tickets_and_free_members(session, capacity)
    eventlet.sleep(1)  # let in-flight handlers finish, then check the final state
    session.rollback()

    # every assignment respects capacity
    for (group_id, user_id), count in open_counts(session).items():
        assert count <= capacity[(group_id, user_id)], (group_id, user_id, count)
    # no ticket ever had two assignees at once: each history entry starts where the previous one ended
    entries = session.execute(select(TicketHistory).order_by(TicketHistory.ticket_id, TicketHistory.id)).scalars()
    previous = {}
    for entry in entries:
        if entry.ticket_id in previous:
            before = previous[entry.ticket_id]
            assert (entry.from_status, entry.from_assignee_id) == (before.to_status, before.to_assignee_id), entry.id
            if entry.action in ("assigned", "accepted"):  # only a waiting ticket is given out
                assert (entry.from_status, entry.from_assignee_id) == ("unassigned", None), entry.id
        else:
            assert entry.action == "created" and entry.to_assignee_id is None
        previous[entry.ticket_id] = entry
    # waiting tickets exist only where the group is full
    assert groups_with_waiting_tickets_and_free_members(session, capacity) == []
    assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "unassigned")) > 0
    assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "done")) == len(completed)
    # every assignment was announced once, through the outbox
    given = session.execute(
        select(TicketHistory.ticket_id, TicketHistory.to_assignee_id).where(TicketHistory.action == "assigned")
    ).all()
    assert wait_until(lambda: len(ASSIGNED_EVENTS) >= len(given), timeout=30)
    assert sorted(ASSIGNED_EVENTS) == sorted(tuple(row) for row in given)


def open_counts(session):
    rows = session.execute(
        select(Ticket.group_id, Ticket.assignee_id, func.count())
        .where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.group_id, Ticket.assignee_id)
    )
    return {(g, u): n for g, u, n in rows}


def groups_with_waiting_tickets_and_free_members(session, capacity):
    counts = open_counts(session)
    waiting = session.scalars(select(Ticket.group_id).where(Ticket.status == "unassigned").distinct()).all()
    members = session.scalars(select(GroupMember)).all()
    return sorted(
        {
            m.group_id
            for m in members
            if m.group_id in waiting and m.available and counts.get((m.group_id, m.user_id), 0) < m.capacity
        }
    )
