"""The customers use cases on a real PostgreSQL (the service's migrated test database).

Each use case runs on a fresh unit of work, as a worker would; the directory is a fake.
"""

import json
import time
import uuid

import pytest
from kombu import Connection, Queue
from nameko.rpc import rpc
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from services.core.actor import Actor
from services.core.errors import ConcurrentChange, DomainError, Forbidden, InvalidInput, NotFound, RuleViolation
from services.core.unit_of_work import UnitOfWork
from services.customers import bulk, exceptions, groups, history, ownership, profiles, rating, related, sharing
from services.customers.models import (
    Activity,
    ActivityType,
    Customer,
    Record,
    activity_shares,
    customer_shares,
    group_members,
    record_shares,
)
from services.customers.service import CustomersService
from services.customers.totals import Totals, data_changed
from services.customers.visibility import visible_customer_ids
from tests.unit.test_customers_rules import GROUP_CASES, SHARE_CASES

pytestmark = pytest.mark.infra

SALES, SUPPORT = 10, 20
ADMIN = Actor(id=1, roles=("admin",))
OWNER = Actor(id=2, department_id=SALES)
COLLEAGUE = Actor(id=3, department_id=SALES)
MANAGER = Actor(id=4, department_id=SUPPORT, managed_department_ids=(SALES,))
OUTSIDER = Actor(id=5, department_id=SUPPORT)
INACTIVE = 6
TARGETS = [7, 8, 9]  # in SUPPORT


class FakeDirectory:
    users = {
        1: (True, None),
        2: (True, SALES),
        3: (True, SALES),
        4: (True, SUPPORT),
        5: (True, SUPPORT),
        INACTIVE: (False, SUPPORT),
        7: (True, SUPPORT),
        8: (True, SUPPORT),
        9: (True, SUPPORT),
    }
    departments = (9, SALES, SUPPORT)

    def active_members(self, user_ids=(), department_ids=()):
        known = [u for u in user_ids if u in self.users]
        departments = [d for d in department_ids if d in self.departments]
        return {
            "users": [{"id": u, "active": self.users[u][0], "department_id": self.users[u][1]} for u in known],
            "missing_user_ids": [u for u in user_ids if u not in self.users],
            "missing_department_ids": [d for d in department_ids if d not in self.departments],
            "department_members": {
                str(d): sorted(u for u, (active, dept) in self.users.items() if active and dept == d)
                for d in departments
            },
        }


DIRECTORY = FakeDirectory()


@pytest.fixture
def new_session(db_session):
    return lambda: db_session("customers")


@pytest.fixture
def make_session(databases, db_session):
    db_session("customers")  # emptied after the test
    return sessionmaker(databases.engine("customers"), expire_on_commit=False)


@pytest.fixture
def run(make_session):
    """``run(use_case, actor, *args)``: the use case on a unit of work of that actor, as a worker
    runs it (``directory=`` another fake directory)."""

    totals = Totals()  # one instance's totals, kept across the test's changes

    def run(use_case, actor, *args, directory=DIRECTORY):
        uow = UnitOfWork(make_session, actor, {"directory": directory}, data_changed)  # as the service's
        if use_case is profiles.list_customers:
            args = (totals,) + args
        return use_case(uow, *args)

    return run


@pytest.fixture
def make_customer(run):
    def make(actor=OWNER, **fields):
        return run(profiles.create_customer, actor, dict({"name": "Customer"}, **fields))["id"]

    return make


def share_table(session, customer_id):
    rows = session.execute(select(customer_shares).where(customer_shares.c.customer_id == customer_id)).all()
    return {(row.target_kind, row.target_id): row.level for row in rows}


def stored_and_computed_scores(session):
    stored = dict(session.execute(select(Customer.id, Customer.score)).all())
    computed = dict(session.execute(rating.computed_scores()).all())
    return stored, computed


# -- the mode tables, through SQL ------------------------------------------------------------


@pytest.mark.parametrize("mode, current, chosen, expected", GROUP_CASES)
def test_bulk_groups_follow_the_mode_table(new_session, run, make_customer, mode, current, chosen, expected):
    ids = {}
    for number in (1, 2, 3):
        ids[number] = run(groups.create_group, ADMIN, {"name": "G{}".format(number), "points": number})["id"]
    customer_id = make_customer(group_ids=[ids[n] for n in current])
    untouched = make_customer(group_ids=[ids[1]])
    result = run(
        groups.bulk_groups, OWNER, {"customer_ids": [customer_id], "mode": mode, "group_ids": [ids[n] for n in chosen]}
    )
    session = new_session()
    after = set(session.scalars(select(group_members.c.group_id).where(group_members.c.customer_id == customer_id)))
    assert after == {ids[n] for n in expected}
    assert result["matched"] == 1 and result["changed"] == (1 if set(expected) != set(current) else 0)
    groups_of_untouched = session.scalars(
        select(group_members.c.group_id).where(group_members.c.customer_id == untouched)
    )
    assert set(groups_of_untouched) == {ids[1]}
    stored, computed = stored_and_computed_scores(session)
    assert stored == computed
    assert stored[customer_id] == sum(expected)  # group n is worth n points


@pytest.mark.parametrize("mode, current, chosen, expected", SHARE_CASES)
def test_bulk_share_follows_the_mode_table(new_session, run, make_customer, mode, current, chosen, expected):
    customer_id = make_customer()
    session = new_session()
    for (kind, target_id), level in current.items():
        session.execute(
            customer_shares.insert().values(customer_id=customer_id, target_kind=kind, target_id=target_id, level=level)
        )
    session.commit()
    levels = set(chosen.values())
    result = run(
        sharing.bulk_share,
        OWNER,
        {
            "customer_ids": [customer_id],
            "mode": mode,
            "level": levels.pop() if levels else "view",
            "user_ids": [i for k, i in chosen if k == "user"],
            "department_ids": [i for k, i in chosen if k == "department"],
        },
    )
    assert share_table(new_session(), customer_id) == expected
    assert result["changed"] == (1 if expected != current else 0)


# -- the rating score --------------------------------------------------------------------------


def test_the_score_follows_groups_and_done_activities(new_session, run, make_customer):
    g10 = run(groups.create_group, ADMIN, {"name": "Ten", "points": 10})["id"]
    g20 = run(groups.create_group, ADMIN, {"name": "Twenty", "points": 20})["id"]
    call = run(related.create_activity_type, ADMIN, {"name": "Call", "points": 5})["id"]
    meeting = run(related.create_activity_type, ADMIN, {"name": "Meeting", "points": 8})["id"]
    customer_id = make_customer(group_ids=[g10, g20])
    other = make_customer(group_ids=[g20])
    first = run(related.create_activity, OWNER, customer_id, {"type_id": call, "title": "a", "status": "done"})
    second = run(related.create_activity, OWNER, customer_id, {"type_id": call, "title": "b"})
    run(related.update_activity, OWNER, second["id"], {"status": "done"})
    assert run(profiles.get_customer, OWNER, customer_id)["score"] == 40  # the SPEC example

    steps = [
        lambda: run(related.update_activity, OWNER, first["id"], {"type_id": meeting}),
        lambda: run(related.update_activity, OWNER, second["id"], {"status": "cancelled"}),
        lambda: run(related.update_activity_type, ADMIN, meeting, {"points": 11}),
        lambda: run(groups.update_group, ADMIN, g20, {"points": 25}),
        lambda: run(
            groups.bulk_groups, OWNER, {"customer_ids": [other, customer_id], "mode": "remove", "group_ids": [g10]}
        ),
        lambda: run(groups.delete_group, ADMIN, g20),
        lambda: run(profiles.update_customer, OWNER, other, {"group_ids": [g10]}),
    ]
    for step in steps:
        step()
        stored, computed = stored_and_computed_scores(new_session())
        assert stored == computed
    assert stored == {customer_id: 11, other: 10}


def test_thresholds_change_stars_without_touching_customers(new_session, run, make_customer):
    group = run(groups.create_group, ADMIN, {"name": "G", "points": 40})["id"]
    customer_id = make_customer(group_ids=[group])
    before = new_session().scalar(select(Customer.updated_at).where(Customer.id == customer_id))
    run(rating.set_settings, ADMIN, {"thresholds": [10, 20, 30, 40, 50]})
    assert run(profiles.get_customer, OWNER, customer_id)["stars"] == 4
    run(rating.set_settings, ADMIN, {"thresholds": [50, 60, 70, 80, 90]})
    assert run(profiles.get_customer, OWNER, customer_id)["stars"] == 0
    assert new_session().scalar(select(Customer.updated_at).where(Customer.id == customer_id)) == before
    with pytest.raises(DomainError) as error:
        run(rating.set_settings, OWNER, {"thresholds": [1, 2, 3, 4, 5]})
    assert error.value.kind == "forbidden"


# -- visibility --------------------------------------------------------------------------------


def test_the_visibility_rule(new_session, run, make_customer):
    mine = make_customer()
    shared_with_user = make_customer()
    shared_with_department = make_customer(actor=ADMIN)  # owned by the admin, no department
    run(
        sharing.bulk_share,
        OWNER,
        {"customer_ids": [shared_with_user], "mode": "add", "user_ids": [OUTSIDER.id]},
    )
    run(
        sharing.bulk_share,
        ADMIN,
        {"customer_ids": [shared_with_department], "mode": "add", "department_ids": [SUPPORT]},
    )
    everything = [mine, shared_with_user, shared_with_department, 999999]
    seen = {
        actor: set(visible_customer_ids(new_session(), actor, everything))
        for actor in (ADMIN, OWNER, COLLEAGUE, MANAGER, OUTSIDER)
    }
    assert seen[ADMIN] == {mine, shared_with_user, shared_with_department}
    assert seen[OWNER] == {mine, shared_with_user}
    assert seen[COLLEAGUE] == set()  # same department, not a manager
    assert seen[MANAGER] == {mine, shared_with_user, shared_with_department}  # SALES manager + SUPPORT member
    assert seen[OUTSIDER] == {shared_with_user, shared_with_department}
    with pytest.raises(exceptions.CustomerNotFound):
        run(profiles.get_customer, COLLEAGUE, mine)


@pytest.mark.parametrize("walk_limit", [profiles.PK_WALK_LIMIT, 0], ids=["walk ids", "filter then sort"])
def test_lists_hold_exactly_the_visible_customers_newest_first(
    new_session, run, make_customer, monkeypatch, walk_limit
):
    """The list's union of branches (own, shared with the user, with the department) gives what the
    visibility predicate gives, each customer once, in pages, with filters; for every kind of actor."""
    monkeypatch.setattr(profiles, "PK_WALK_LIMIT", walk_limit)
    vip = run(groups.create_group, ADMIN, {"name": "VIP", "points": 5})["id"]
    ids = [
        make_customer(actor=actor, name="Customer {}".format(index), group_ids=[vip] if index % 2 else [])
        for index, actor in enumerate([OWNER, OWNER, OUTSIDER, OUTSIDER, ADMIN, ADMIN, COLLEAGUE, OWNER] * 2)
    ]
    run(sharing.bulk_share, ADMIN, {"customer_ids": ids[0:6], "mode": "add", "user_ids": [OUTSIDER.id]})
    run(
        sharing.bulk_share,
        ADMIN,
        {"customer_ids": ids[4:10], "mode": "add", "department_ids": [SUPPORT], "level": "edit"},
    )
    members = set(ids[1::2])
    for actor in (ADMIN, OWNER, COLLEAGUE, MANAGER, OUTSIDER):
        visible_ids = sorted(visible_customer_ids(new_session(), actor, ids), reverse=True)
        for query, expected in (
            ({}, visible_ids),
            ({"group_id": vip}, [i for i in visible_ids if i in members]),
            ({"q": "customer 1"}, [i for i in visible_ids if ids.index(i) in (1, 10, 11, 12, 13, 14, 15)]),
        ):
            listed, page, total = [], 1, None
            while True:
                answer = run(profiles.list_customers, actor, dict(query, page=page, page_size=3))
                total = answer["total"]
                if not answer["items"]:
                    break
                listed += [item["id"] for item in answer["items"]]
                page += 1
            assert (listed, total) == (expected, len(expected)), (actor, query)
    assert len(sorted(visible_customer_ids(new_session(), OUTSIDER, ids))) == 12  # own 4 + shared 8, overlapping


# -- ownership transfer ---------------------------------------------------------------------------


def test_customers_follow_their_owner_to_the_department_of_now(new_session, run, make_customer):
    """On user_department_changed the customers take the user's department as the directory has it
    now (an older event arriving late must not win), once per event."""
    ids = [make_customer() for _ in range(3)]
    other = make_customer(actor=COLLEAGUE)
    moved_to_support = FakeDirectory()
    moved_to_support.users = {**FakeDirectory.users, OWNER.id: (True, SUPPORT)}
    late_event = {"id": "event-1", "data": {"user_id": OWNER.id, "department_id": 9}}  # an earlier move, stale
    assert run(ownership.follow_owner_department, None, late_event, directory=moved_to_support) == 3
    departments = dict(new_session().execute(select(Customer.id, Customer.owner_department_id)).all())
    assert departments == {**{customer_id: SUPPORT for customer_id in ids}, other: SALES}
    assert set(visible_customer_ids(new_session(), MANAGER, ids + [other])) == {other}  # manages SALES only
    moved_to_support.users[OWNER.id] = (True, SALES)
    assert run(ownership.follow_owner_department, None, late_event, directory=moved_to_support) == 0  # already applied
    assert new_session().scalar(select(Customer.owner_department_id).where(Customer.id == ids[0])) == SUPPORT


class MovingDirectory(FakeDirectory):
    """A directory where the user moves again while each follower is writing: the department it
    answers is the next one of ``moves`` at each question (the last one repeats)."""

    def __init__(self, user_id, moves):
        self.user_id, self.moves, self.asked = user_id, list(moves), 0

    def active_members(self, user_ids=(), department_ids=()):
        department = self.moves[min(self.asked, len(self.moves) - 1)]
        self.asked += 1
        self.users = {**FakeDirectory.users, self.user_id: (True, department)}
        return super().active_members(user_ids, department_ids)


def test_a_move_while_following_is_followed_too(new_session, run, make_customer):
    """The directory is asked with no transaction open: a move between its answer and our write is
    caught by asking again, and the event counts as applied only once the answer holds."""
    ids = [make_customer() for _ in range(2)]
    event = {"id": "event-2", "data": {"user_id": OWNER.id, "department_id": SUPPORT}}
    directory = MovingDirectory(OWNER.id, [SUPPORT, 9])
    assert run(ownership.follow_owner_department, None, event, directory=directory) == 4  # 2 to SUPPORT, 2 to 9
    departments = dict(new_session().execute(select(Customer.id, Customer.owner_department_id)).all())
    assert departments == {customer_id: 9 for customer_id in ids} and directory.asked == 3
    restless = MovingDirectory(OWNER.id, [SALES, SUPPORT] * ownership.FOLLOW_ROUNDS)
    again = {"id": "event-3", "data": {"user_id": OWNER.id, "department_id": SALES}}
    with pytest.raises(ConcurrentChange):
        run(ownership.follow_owner_department, None, again, directory=restless)
    assert set(new_session().scalars(select(Customer.owner_department_id))) == {SALES}  # the last write
    # not counted as applied: its next delivery follows the department of now, once
    assert run(ownership.follow_owner_department, None, again, directory=MovingDirectory(OWNER.id, [SUPPORT])) == 2
    assert run(ownership.follow_owner_department, None, again, directory=MovingDirectory(OWNER.id, [9])) == 0
    assert set(new_session().scalars(select(Customer.owner_department_id))) == {SUPPORT}


def test_transfer_splits_in_order_and_moves_open_activities_and_shares_old_records(new_session, run, make_customer):
    call = run(related.create_activity_type, ADMIN, {"name": "Call", "points": 1})["id"]
    ids = [make_customer() for _ in range(10)]
    order = ids[::-1]
    statuses = {}
    for status in ("not_started", "in_progress", "done", "cancelled"):
        statuses[status] = run(
            related.create_activity, OWNER, order[0], {"type_id": call, "title": status, "status": status}
        )["id"]
    contract = run(related.create_record, OWNER, order[0], {"kind": "contract", "title": "c"})["id"]
    document = run(related.create_record, OWNER, order[0], {"kind": "document", "title": "d"})["id"]

    result = run(
        ownership.transfer_owner,
        OWNER,
        {
            "customer_ids": order,
            "user_ids": TARGETS,
            "split_evenly": True,
            "transfer_activities": ["not_started"],
            "share_related": ["contracts"],
        },
    )

    assert result["assignments"] == {"7": order[:4], "8": order[4:7], "9": order[7:]}
    assert (result["matched"], result["changed"], result["skipped"]) == (10, 10, 0)
    session = new_session()
    owners = dict(session.execute(select(Customer.id, Customer.owner_id)).all())
    departments = set(session.scalars(select(Customer.owner_department_id)))
    assert [owners[i] for i in order] == [7] * 4 + [8] * 3 + [9] * 3 and departments == {SUPPORT}
    activity_owners = dict(session.execute(select(Activity.title, Activity.owner_id)).all())
    assert activity_owners == {"not_started": 7, "in_progress": OWNER.id, "done": OWNER.id, "cancelled": OWNER.id}
    shared = set(session.execute(select(record_shares.c.record_id, record_shares.c.target_id, record_shares.c.level)))
    assert shared == {(contract, 7, "edit")}
    assert document not in {row[0] for row in shared}
    # the old owner lost them; history and events say who, from whom, to whom
    assert run(profiles.list_customers, OWNER, {})["total"] == 0
    entries = run(history.list_history, ADMIN, {"customer_id": order[0]})["items"]
    assert [(e["action"], e["actor_id"], e["from"], e["to"]) for e in entries] == [
        ("owner_transfer", OWNER.id, {"user_id": OWNER.id, "level": "owner"}, {"user_id": 7, "level": "owner"})
    ]
    events = session.execute(text("SELECT payload FROM outbox WHERE event_type = 'owner_changed'")).scalars().all()
    assert sorted(
        (e["data"]["from_owner_id"], e["data"]["to_owner_id"], sorted(e["data"]["customer_ids"])) for e in events
    ) == [(OWNER.id, 7, sorted(order[:4])), (OWNER.id, 8, sorted(order[4:7])), (OWNER.id, 9, sorted(order[7:]))]
    assert {e["data"]["change_id"] for e in events} == {entries[0]["change_id"]}


def test_transfer_to_departments_means_their_active_members(new_session, run, make_customer):
    ids = [make_customer() for _ in range(5)]
    result = run(
        ownership.transfer_owner,
        OWNER,
        {"customer_ids": ids, "department_ids": [SUPPORT], "split_evenly": True},
    )
    active_support = [4, 5, 7, 8, 9]  # user 6 is inactive
    assert result["assignments"] == {str(user): [customer] for user, customer in zip(active_support, ids)}


@pytest.mark.parametrize(
    "request_, error",
    [
        ({"user_ids": [INACTIVE]}, exceptions.InactiveUser),
        ({"user_ids": [404404]}, exceptions.UserNotFound),
        ({"department_ids": [404]}, exceptions.DepartmentNotFound),
        ({"user_ids": [7, 8]}, exceptions.SplitRequired),
    ],
)
def test_transfer_refuses_bad_targets_and_changes_nothing(new_session, run, make_customer, request_, error):
    customer_id = make_customer()
    with pytest.raises(error):
        run(ownership.transfer_owner, OWNER, dict(request_, customer_ids=[customer_id]))
    assert new_session().scalar(select(Customer.owner_id).where(Customer.id == customer_id)) == OWNER.id
    assert run(history.list_history, ADMIN, {})["total"] == 0


def test_bulk_actions_on_every_visible_customer_matching_a_filter(new_session, run, make_customer, monkeypatch):
    vip = run(groups.create_group, ADMIN, {"name": "VIP", "points": 5})["id"]
    gold = run(groups.create_group, ADMIN, {"name": "Gold", "points": 1})["id"]
    mine = [make_customer(name="Mine {}".format(i), group_ids=[vip]) for i in range(5)]
    not_in_vip = make_customer(name="Mine too")
    hidden = make_customer(actor=COLLEAGUE, name="Not mine", group_ids=[vip])  # OWNER cannot see it
    result = run(groups.bulk_groups, OWNER, {"filter": {"group_id": vip}, "mode": "add", "group_ids": [gold]})
    assert (result["matched"], result["changed"]) == (5, 5)
    members = set(new_session().scalars(select(group_members.c.customer_id).where(group_members.c.group_id == gold)))
    assert members == set(mine)
    # a split follows the list's order: newest first
    result = run(
        ownership.transfer_owner,
        OWNER,
        {"filter": {"group_id": gold, "q": "mine"}, "user_ids": [7, 8], "split_evenly": True},
    )
    newest_first = mine[::-1]
    assert result["assignments"] == {"7": newest_first[:3], "8": newest_first[3:]}
    owners = dict(new_session().execute(select(Customer.id, Customer.owner_id)).all())
    assert (owners[not_in_vip], owners[hidden]) == (OWNER.id, COLLEAGUE.id)
    # more matches than a call takes: refused, nothing changed
    monkeypatch.setattr(bulk, "MAX_BULK", 1)
    with pytest.raises(exceptions.SelectionTooLarge):
        run(sharing.bulk_share, ADMIN, {"filter": {}, "mode": "add", "user_ids": [7]})
    assert share_table(new_session(), hidden) == {}
    result = run(sharing.bulk_share, COLLEAGUE, {"filter": {"q": "not mine"}, "mode": "add", "user_ids": [7]})
    assert (result["matched"], share_table(new_session(), hidden)) == (1, {("user", 7): "view"})


@pytest.mark.parametrize("selection", [{}, {"customer_ids": [1], "filter": {}}, {"filter": {"stars": [9]}}])
def test_a_bulk_action_takes_ids_or_a_filter(run, selection):
    with pytest.raises(InvalidInput):
        run(groups.bulk_groups, ADMIN, dict(selection, mode="move", group_ids=[]))


def test_only_editable_customers_change_and_the_others_are_reported(new_session, run, make_customer):
    editable = make_customer(actor=ADMIN)
    view_only = make_customer(actor=ADMIN)
    hidden = make_customer(actor=ADMIN)
    run(
        sharing.bulk_share,
        ADMIN,
        {"customer_ids": [editable], "mode": "add", "user_ids": [OWNER.id], "level": "edit"},
    )
    run(
        sharing.bulk_share,
        ADMIN,
        {"customer_ids": [view_only], "mode": "add", "user_ids": [OWNER.id], "level": "view"},
    )
    selection = [hidden, view_only, editable]
    result = run(ownership.transfer_owner, OWNER, {"customer_ids": selection, "user_ids": [7]})
    assert (result["matched"], result["changed"], result["skipped"], result["skipped_ids"]) == (2, 1, 1, [view_only])
    assert result["assignments"] == {"7": [editable]}
    owners = dict(new_session().execute(select(Customer.id, Customer.owner_id)).all())
    assert owners == {editable: 7, view_only: ADMIN.id, hidden: ADMIN.id}
    group = run(groups.create_group, ADMIN, {"name": "G", "points": 1})["id"]
    result = run(groups.bulk_groups, COLLEAGUE, {"customer_ids": selection, "mode": "add", "group_ids": [group]})
    assert (result["matched"], result["changed"]) == (0, 0)  # sees none of them


def test_a_bulk_call_is_all_or_nothing(new_session, run, make_customer, monkeypatch):
    ids = [make_customer() for _ in range(3)]

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(history, "finish_change", fail)
    calls = [
        (ownership.transfer_owner, {"customer_ids": ids, "user_ids": [7], "transfer_activities": ["not_started"]}),
        (sharing.bulk_share, {"customer_ids": ids, "mode": "add", "user_ids": [7], "include": ["activities"]}),
    ]
    for use_case, request_ in calls:
        with pytest.raises(RuntimeError):
            run(use_case, OWNER, request_)
    session = new_session()
    assert set(session.scalars(select(Customer.owner_id))) == {OWNER.id}
    assert session.execute(select(customer_shares)).all() == []
    assert session.execute(text("SELECT count(*) FROM history_changes")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM outbox WHERE event_type = 'owner_changed'")).scalar() == 0


def test_sharing_includes_related_records_and_is_recorded(new_session, run, make_customer):
    call = run(related.create_activity_type, ADMIN, {"name": "Call", "points": 1})["id"]
    customer_id = make_customer()
    activity = run(related.create_activity, OWNER, customer_id, {"type_id": call, "title": "a"})
    quote = run(related.create_record, OWNER, customer_id, {"kind": "quote", "title": "q"})
    order = run(related.create_record, OWNER, customer_id, {"kind": "order", "title": "o"})
    run(
        sharing.bulk_share,
        OWNER,
        {
            "customer_ids": [customer_id],
            "mode": "add",
            "user_ids": [COLLEAGUE.id],
            "level": "edit",
            "include": ["activities", "quotes"],
        },
    )
    session = new_session()
    shared_activities = session.execute(select(activity_shares.c.activity_id, activity_shares.c.level)).all()
    assert shared_activities == [(activity["id"], "edit")]
    assert session.execute(select(record_shares.c.record_id)).scalars().all() == [quote["id"]]
    assert run(related.get_record, COLLEAGUE, order["id"])["shares"] == []  # seen through the customer
    run(
        sharing.bulk_share,
        OWNER,
        {"customer_ids": [customer_id], "mode": "transfer", "department_ids": [SUPPORT], "include": ["quotes"]},
    )
    entries = run(history.list_history, ADMIN, {"action": "share_transfer"})["items"]
    assert sorted((e["from"] is None, e["to"] is None) for e in entries) == [(False, True), (True, False)]
    assert {e["customer_id"] for e in entries} == {customer_id}
    assert share_table(new_session(), customer_id) == {("department", SUPPORT): "view"}
    quote_shares = new_session().execute(select(record_shares.c.target_kind, record_shares.c.target_id)).all()
    assert quote_shares == [("department", SUPPORT)]
    # the colleague lost the customer but keeps the activity, which is still shared with them
    assert run(related.get_activity, COLLEAGUE, activity["id"])["shares"] == [
        {"user_id": COLLEAGUE.id, "level": "edit"}
    ]
    with pytest.raises(exceptions.RecordNotFound):
        run(related.get_record, COLLEAGUE, order["id"])
    with pytest.raises(exceptions.CustomerNotFound):
        run(profiles.get_customer, COLLEAGUE, customer_id)


def test_edit_share_lets_update_view_share_does_not(new_session, run, make_customer):
    customer_id = make_customer()
    run(
        sharing.bulk_share,
        OWNER,
        {"customer_ids": [customer_id], "mode": "add", "user_ids": [OUTSIDER.id], "level": "view"},
    )
    with pytest.raises(exceptions.CannotEditCustomer):
        run(profiles.update_customer, OUTSIDER, customer_id, {"name": "Renamed"})
    run(
        sharing.bulk_share,
        OWNER,
        {"customer_ids": [customer_id], "mode": "add", "user_ids": [OUTSIDER.id], "level": "edit"},
    )
    assert run(profiles.update_customer, OUTSIDER, customer_id, {"name": "Renamed"})["name"] == "Renamed"
    events = new_session().execute(text("SELECT event_type, payload, context FROM outbox ORDER BY id")).all()
    assert [event.event_type for event in events] == ["customer_created", "customer_updated"]
    updated = events[1]
    assert (updated.payload["data"]["id"], updated.payload["data"]["changed"]) == (customer_id, ["name"])
    assert updated.context["actor"]["id"] == OUTSIDER.id  # the actor travels with the event
    with pytest.raises(exceptions.CannotDeleteCustomer):
        run(profiles.delete_customer, OUTSIDER, customer_id)


def test_codes_are_generated_and_unique(new_session, run, make_customer):
    first = run(profiles.get_customer, OWNER, make_customer())
    assert first["code"] == "KH{:06d}".format(first["id"])
    taken = "KH{:06d}".format(first["id"] + 1)  # the number the next generated code would use
    make_customer(code=taken)
    generated = run(profiles.get_customer, OWNER, make_customer())
    assert generated["code"] not in (taken, first["code"])
    with pytest.raises(exceptions.CustomerCodeTaken):
        make_customer(code=taken)


# -- no lock is held while the directory is asked ---------------------------------------------------


class LockProbingDirectory(FakeDirectory):
    """The fake directory, which first checks from a connection of its own that the rows given
    are not locked by anybody (``FOR UPDATE NOWAIT``: a FOR SHARE or FOR UPDATE held by the use
    case that asks would make it fail), as a slow directory would find them for a concurrent
    change waiting behind the lock."""

    def __init__(self, engine):
        self.engine, self.rows, self.asked = engine, [], 0

    def active_members(self, user_ids=(), department_ids=()):
        with self.engine.connect() as connection:
            for model, row_id in self.rows:
                connection.execute(select(model.id).where(model.id == row_id).with_for_update(nowait=True))
            connection.rollback()
        self.asked += 1
        return super().active_members(user_ids, department_ids)


def test_activities_and_records_ask_the_directory_before_taking_locks(databases, run, make_customer):
    """Giving an activity or a record to someone else asks the directory; the activity's row lock
    and the activity type's FOR SHARE are taken only after the answer."""
    directory = LockProbingDirectory(databases.engine("customers"))
    call = run(related.create_activity_type, ADMIN, {"name": "Call", "points": 5})["id"]
    customer_id = make_customer()
    directory.rows = [(ActivityType, call), (Customer, customer_id)]
    activity = run(
        related.create_activity,
        OWNER,
        customer_id,
        {"type_id": call, "title": "a", "status": "done", "owner_id": 7},
        directory=directory,
    )
    directory.rows = [(Activity, activity["id"]), (ActivityType, call), (Customer, customer_id)]
    changed = run(
        related.update_activity, OWNER, activity["id"], {"owner_id": 8, "status": "done"}, directory=directory
    )
    record = run(
        related.create_record, OWNER, customer_id, {"kind": "quote", "title": "q", "owner_id": 7}, directory=directory
    )
    directory.rows = [(Record, record["id"]), (Customer, customer_id)]
    record = run(related.update_record, OWNER, record["id"], {"owner_id": 9}, directory=directory)
    assert directory.asked == 4
    assert (activity["owner_id"], changed["owner_id"], record["owner_id"]) == (7, 8, 9)
    assert run(profiles.get_customer, OWNER, customer_id)["score"] == 5  # counted once
    # the checks that came before the directory's answer still come first
    with pytest.raises(exceptions.ActivityTypeNotFound):
        run(related.create_activity, OWNER, customer_id, {"type_id": 404, "title": "b", "owner_id": 404404})
    with pytest.raises(exceptions.CustomerNotFound):
        run(related.create_record, OUTSIDER, customer_id, {"kind": "quote", "title": "q", "owner_id": 404404})
    with pytest.raises(exceptions.UserNotFound):
        run(related.update_activity, OWNER, activity["id"], {"owner_id": 404404, "type_id": 404})


# -- the service over RabbitMQ -------------------------------------------------------------------


class FakeDirectoryService:
    """The directory on the bus: answers as FakeDirectory, or raises ``refusal`` when one is set."""

    name = "directory"
    refusal = None
    calls = []

    @rpc
    def active_members(self, user_ids=(), department_ids=()):
        FakeDirectoryService.calls.append((list(user_ids), list(department_ids)))
        if FakeDirectoryService.refusal is not None:
            raise FakeDirectoryService.refusal
        return DIRECTORY.active_members(user_ids, department_ids)


class FakeNotifications:
    name = "notifications"
    refusal = None

    @rpc
    def open_batch(self, plan):
        if FakeNotifications.refusal is not None:
            raise FakeNotifications.refusal
        return {"batch_id": 5, "recipients": len(plan["recipients"]), "segments": 1, "skipped": 0}


@pytest.fixture
def customers_service(container_factory, service_config):
    """The customers service and, on the same bus, fakes of the services it calls."""
    config = service_config("customers")
    FakeDirectoryService.refusal, FakeDirectoryService.calls = None, []
    FakeNotifications.refusal = None
    for fake in (FakeDirectoryService, FakeNotifications):
        container_factory(fake, config).start()
    container = container_factory(CustomersService, config)
    container.start()
    return container


def call_as(container, actor, method, *args):
    with entrypoint_hook(container, method, context_data={"actor": actor.to_context()}) as entrypoint:
        return entrypoint(*args)


def test_customer_snapshot_is_for_whom_sees_the_customer(container_factory, service_config, make_customer):
    """What tickets asks for a ticket's customer (customers never calls tickets)."""
    container = container_factory(CustomersService, service_config("customers"))
    container.start()
    customer_id = make_customer(
        phone="0901234567", email="an@example.com", code="AP01", name="An Phát", address="12 Lê Lợi"
    )
    with entrypoint_hook(container, "customer_snapshot", context_data={"actor": OWNER.to_context()}) as snapshot:
        assert snapshot(customer_id) == {
            "id": customer_id,
            "code": "AP01",
            "name": "An Phát",
            "phone": "0901234567",
            "email": "an@example.com",
            "address": "12 Lê Lợi",
        }
    with entrypoint_hook(container, "customer_snapshot", context_data={"actor": OUTSIDER.to_context()}) as snapshot:
        with pytest.raises(exceptions.CustomerNotFound):
            snapshot(customer_id)


def test_bulk_share_asks_the_directory_over_rpc(customers_service, make_customer):
    customer_id = make_customer()
    with pytest.raises(RuleViolation):
        call_as(
            customers_service,
            OWNER,
            "bulk_share",
            {"customer_ids": [customer_id], "mode": "add", "user_ids": [INACTIVE]},
        )
    with pytest.raises(InvalidInput):
        call_as(
            customers_service, OWNER, "bulk_share", {"customer_ids": [customer_id], "mode": "share", "user_ids": [3]}
        )
    request_ = {"customer_ids": [customer_id], "mode": "add", "user_ids": [3]}
    assert call_as(customers_service, OWNER, "bulk_share", request_)["changed"] == 1
    assert FakeDirectoryService.calls[-1] == ([3], [])


@pytest.mark.parametrize(
    "refusal",
    [
        NotFound("No such department.", code="DEPARTMENT_NOT_FOUND"),
        Forbidden("You may not ask this.", code="ROLE_REQUIRED"),
    ],
    ids=["404", "403"],
)
def test_a_refusal_of_the_directory_reaches_the_caller_as_that_kind(customers_service, make_customer, refusal):
    """Every kind of call to the directory (share targets, new owners, the owner of a record):
    its 404 or 403 is raised here as the same kind and code (the gateway answers that status),
    and nothing is changed."""
    customer_id = make_customer()
    FakeDirectoryService.refusal = refusal
    calls = [
        ("bulk_share", {"customer_ids": [customer_id], "mode": "add", "user_ids": [3]}),
        ("transfer_owner", {"customer_ids": [customer_id], "user_ids": [7]}),
        ("create_record", customer_id, {"kind": "quote", "title": "q", "owner_id": 7}),
    ]
    for method, *args in calls:
        with pytest.raises(type(refusal)) as raised:
            call_as(customers_service, OWNER, method, *args)
        assert (raised.value.code, raised.value.message) == (refusal.code, refusal.message), method
    assert len(FakeDirectoryService.calls) == len(calls)
    assert call_as(customers_service, OWNER, "get_customer", customer_id)["owner_id"] == OWNER.id
    assert call_as(customers_service, OWNER, "list_records", customer_id, {})["total"] == 0


def _requested(queue):
    """The types of the ``*_requested`` events relayed to ``queue`` so far (within a second: the relay
    polls, and deletes what it published from the outbox, so the outbox alone cannot tell)."""
    types, deadline = [], time.monotonic() + 1.0
    while time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.05)
            continue
        types.append(json.loads(message.body)["type"])
    return [kind for kind in types if kind.endswith("_requested")]


def test_a_refusal_of_notifications_reaches_the_caller_and_requests_nothing(customers_service, make_customer):
    customer_id = make_customer(phone="0901234567", email="an@example.com")
    sms = {"customer_ids": [customer_id], "brandname": "CRM", "content": "Hi {name}"}
    email = {"customer_ids": [customer_id], "subject": "Hi", "body": "Hello {name}"}
    exchange = get_event_exchange("customers", customers_service.config)
    with Connection(customers_service.config["AMQP_URI"]) as connection:
        queue = Queue("test-requested-" + uuid.uuid4().hex, exchange=exchange, routing_key="#", auto_delete=True).bind(
            connection.channel()
        )
        queue.declare()
        FakeNotifications.refusal = RuleViolation("Not at this hour.", code="OUTSIDE_ADVERTISING_HOURS")
        for method, request_ in (("bulk_sms", sms), ("bulk_email", email)):
            with pytest.raises(RuleViolation) as raised:
                call_as(customers_service, OWNER, method, request_)
            assert raised.value.code == "OUTSIDE_ADVERTISING_HOURS"
        assert _requested(queue) == []
        FakeNotifications.refusal = None
        assert call_as(customers_service, OWNER, "bulk_sms", sms)["batch_id"] == 5
        assert _requested(queue) == ["sms_requested"]


def test_the_totals_an_instance_keeps_follow_every_change_made_through_the_service(run, make_session, make_customer):
    """Two instances' totals: a change committed through any unit of work of the service moves the
    data generation, so each instance's next total counts it; a change written past the service
    (straight into the database) moves nothing, and the kept totals do not see it."""
    instances = [Totals(), Totals()]

    def totals(actor=OWNER, **query):
        answers = []
        for kept in instances:
            uow = UnitOfWork(make_session, actor, {"directory": DIRECTORY}, data_changed)
            answers.append(profiles.list_customers(uow, kept, dict(query, page_size=2))["total"])
        return answers

    first, second = make_customer(name="Alpha"), make_customer(name="Beta")
    assert totals() == [2, 2] and totals(q="Gamma") == [0, 0] and totals(COLLEAGUE) == [0, 0]
    third = make_customer(name="Gamma")
    assert totals() == [3, 3] and totals(q="Gamma") == [1, 1]
    run(profiles.update_customer, OWNER, first, {"name": "Gamma two"})
    assert totals(q="Gamma") == [2, 2]
    run(sharing.bulk_share, OWNER, {"customer_ids": [first, second], "mode": "add", "user_ids": [COLLEAGUE.id]})
    assert totals(COLLEAGUE) == [2, 2] and totals() == [3, 3]
    run(profiles.delete_customer, OWNER, third)
    assert totals() == [2, 2] and totals(q="Gamma") == [1, 1]

    with make_session() as session:  # past the service: no unit of work, no new generation
        session.execute(text("DELETE FROM customers WHERE id = :id"), {"id": second})
        session.commit()
    assert totals() == [2, 2]  # kept (LIST_TOTALS_SECONDS bounds how long)
    assert (
        profiles.list_customers(UnitOfWork(make_session, OWNER, {"directory": DIRECTORY}), Totals(), {"page_size": 2})[
            "total"
        ]
        == 1
    )
    make_customer(name="Delta")  # the next change through the service: every total is counted again
    assert totals() == [2, 2] and totals(COLLEAGUE) == [1, 1]


def test_every_advance_moves_the_generation_the_first_one_too(make_session):
    """A sequence not yet called has the last value its first nextval returns: the generation tells
    the two apart, so a total counted before the first change of a new database is not used after it."""
    with make_session() as session:
        session.execute(text("ALTER SEQUENCE customers_data_generation RESTART"))
        session.commit()
        connection = session.connection()
        seen = [Totals.generation(connection)]
        for _ in range(2):
            data_changed(session)
            session.commit()
            seen.append(Totals.generation(session.connection()))
    assert len(set(seen)) == 3, seen
