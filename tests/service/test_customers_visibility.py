"""The visibility rule of SPEC §1 in every shape the customers service writes it in SQL, against a
reference written from the SPEC's words, over worlds of random owners and shares.

The rule has a shape for scans (lists, bulk selections, many ids: the actor's shares hashed once),
one for a single customer or record looked up by id (its own shares probed by primary key), and the
list's union of branches with its count.  Each must give exactly what the reference gives, for
every kind of actor: admin, owner, colleague, manager of a department (with and without one of
their own), member of a department that shares are made to, a user without a department.
"""

import random

import pytest
from sqlalchemy import event, exists, insert, select, update

from services.core.actor import Actor
from services.core.unit_of_work import UnitOfWork
from services.customers import exceptions, profiles, rating, related
from services.customers.models import (
    Customer,
    CustomerGroup,
    Setting,
    customer_shares,
    customer_table,
    group_members,
    record_shares,
)
from services.customers.models import Record as RecordModel
from services.customers.totals import Totals, data_changed
from services.customers.visibility import editable, visible, visible_customer_ids

pytestmark = pytest.mark.infra

SALES, SUPPORT, OTHER = 10, 20, 30
ACTORS = [
    Actor(id=1, roles=("admin",)),
    Actor(id=2, department_id=SALES),
    Actor(id=3, department_id=SALES),
    Actor(id=4, department_id=SUPPORT, managed_department_ids=(SALES,)),
    Actor(id=5, department_id=SUPPORT),
    Actor(id=6),  # no department
    Actor(id=7, managed_department_ids=(SUPPORT, OTHER)),  # manages, belongs to none
    Actor(id=8, department_id=OTHER, managed_department_ids=(OTHER,)),
]
OWNERS = [(1, None), (2, SALES), (3, SALES), (5, SUPPORT), (6, None), (8, OTHER)]
TARGETS = [("user", actor.id) for actor in ACTORS] + [("department", d) for d in (SALES, SUPPORT, OTHER)]


def world(session, seed, customers=40):
    """Random customers (owners, shares) and records of them (owners, shares); returns the reference."""
    rng = random.Random(seed)
    reference = {"customers": {}, "records": {}}
    for number in range(1, customers + 1):
        owner_id, department_id = rng.choice(OWNERS)
        shares = {target: rng.choice(("view", "edit")) for target in rng.sample(TARGETS, rng.choice((0, 0, 1, 2, 3)))}
        if number % 5 == 0:  # seen two ways by the same user: shared with them and with their department
            shares.update({("user", 3): rng.choice(("view", "edit")), ("department", SALES): "view"})
        if number % 7 == 0:  # shared with its own owner (left over from a transfer)
            shares[("user", owner_id)] = "view"
        customer_id = session.scalar(
            insert(customer_table)
            .values(
                code="V{}-{}".format(seed, number),
                name="Customer {}".format(number),
                kind="person",
                owner_id=owner_id,
                owner_department_id=department_id,
                score=number,
            )
            .returning(customer_table.c.id)
        )
        for (kind, target_id), level in shares.items():
            session.execute(
                insert(customer_shares).values(
                    customer_id=customer_id, target_kind=kind, target_id=target_id, level=level
                )
            )
        reference["customers"][customer_id] = (owner_id, department_id, shares)
        if rng.random() < 0.5:
            record_owner = rng.choice(OWNERS)[0]
            record_shares_ = {
                target: rng.choice(("view", "edit")) for target in rng.sample(TARGETS, rng.choice((0, 1)))
            }
            record_id = session.scalar(
                insert(RecordModel.__table__)
                .values(customer_id=customer_id, kind="contract", title="R", status="open", owner_id=record_owner)
                .returning(RecordModel.__table__.c.id)
            )
            for (kind, target_id), level in record_shares_.items():
                session.execute(
                    insert(record_shares).values(
                        record_id=record_id, target_kind=kind, target_id=target_id, level=level
                    )
                )
            reference["records"][record_id] = (customer_id, record_owner, record_shares_)
    session.commit()
    return reference


def _shared(actor, shares, levels):
    targets = {("user", actor.id)} | ({("department", actor.department_id)} if actor.department_id else set())
    return any(target in targets and level in levels for target, level in shares.items())


def may_see(actor, customer, levels=("view", "edit")):
    """SPEC §1 in its own words: the owner; users and departments it is shared with; managers of the
    owner's department; admins (``levels=("edit",)``: may change it)."""
    owner_id, department_id, shares = customer
    return (
        actor.is_admin
        or owner_id == actor.id
        or (department_id is not None and department_id in actor.managed_department_ids)
        or _shared(actor, shares, levels)
    )


def may_see_record(actor, reference, record, levels=("view", "edit")):
    customer_id, owner_id, shares = record
    return (
        may_see(actor, reference["customers"][customer_id], levels)
        or actor.is_admin
        or owner_id == actor.id
        or _shared(actor, shares, levels)
    )


@pytest.fixture
def session(db_session):
    return db_session("customers")


def uow(session, actor):
    return UnitOfWork(lambda: type(session)(session.get_bind()), actor, {})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_shape_of_the_rule_gives_what_the_spec_says(session, seed):
    reference = world(session, seed)
    ids = sorted(reference["customers"])
    scores = dict(session.execute(select(Customer.id, Customer.score)).all())
    totals = Totals()  # one instance's: each actor's total is its own
    for actor in ACTORS:
        expected = {i for i in ids if may_see(actor, reference["customers"][i])}
        expected_editable = {i for i in ids if may_see(actor, reference["customers"][i], ("edit",))}
        # scans: many ids, and every customer
        assert set(visible_customer_ids(session, actor, ids)) == expected, actor
        assert set(session.scalars(select(Customer.id).where(visible(actor)))) == expected, actor
        assert set(session.scalars(select(Customer.id).where(editable(actor)))) == expected_editable, actor
        # one customer by id: the detail, and the tests of an update
        for customer_id in ids:
            one = select(exists().where(Customer.id == customer_id, visible(actor, one=True)))
            one_editable = select(exists().where(Customer.id == customer_id, editable(actor, one=True)))
            assert session.scalar(one) == (customer_id in expected), (actor, customer_id)
            assert session.scalar(one_editable) == (customer_id in expected_editable), (actor, customer_id)
            if customer_id in expected:
                assert profiles.get_customer(uow(session, actor), customer_id)["id"] == customer_id
            else:
                with pytest.raises(exceptions.CustomerNotFound):
                    profiles.get_customer(uow(session, actor), customer_id)
        # the list: its union of branches and their count, in pages
        listed, page = [], 1
        while True:
            answer = profiles.list_customers(uow(session, actor), totals, {"page": page, "page_size": 7})
            assert answer["total"] == len(expected), actor
            if not answer["items"]:
                break
            listed += [item["id"] for item in answer["items"]]
            page += 1
        assert listed == sorted(expected, reverse=True), actor
        # the list with a filter (one per stars value): its total counts the union of the filtered branches
        for stars in range(len(rating.DEFAULT_THRESHOLDS) + 1):
            starred = {i for i in expected if rating.stars(scores[i], rating.DEFAULT_THRESHOLDS) == stars}
            answer = profiles.list_customers(uow(session, actor), totals, {"stars": [stars], "page_size": 100})
            assert (answer["total"], {item["id"] for item in answer["items"]}) == (len(starred), starred), (
                actor,
                stars,
            )
        # related records, one by id
        for record_id, record in reference["records"].items():
            visible_record = may_see_record(actor, reference, record)
            try:
                related.RECORDS.visible_one(session, actor, record_id)
                found = True
            except related.RECORDS.not_found:
                found = False
            assert found == visible_record, (actor, record_id)
            if visible_record:
                try:
                    related.RECORDS.editable_one(session, actor, record_id, lock=False)
                    may_edit = True
                except related.RECORDS.cannot_edit:
                    may_edit = False
                assert may_edit == may_see_record(actor, reference, record, ("edit",)), (actor, record_id)
        session.rollback()


# -- what a read costs ------------------------------------------------------------------------


@pytest.fixture
def statements(session):
    """The statements the customers database receives, as a list (cleared by the test when it wants)."""
    seen = []
    engine = session.get_bind()

    def note(connection, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_the_detail_is_one_statement_and_a_list_page_one_while_its_total_is_kept(session, statements):
    reference = world(session, 4, customers=30)
    owner = ACTORS[1]
    mine = [i for i, (owner_id, _, _) in reference["customers"].items() if owner_id == owner.id]
    group_ids = [
        session.scalar(insert(CustomerGroup.__table__).values(name=name, points=0).returning(CustomerGroup.id))
        for name in ("A", "B", "C")
    ]
    session.execute(insert(group_members), [{"customer_id": mine[0], "group_id": g} for g in reversed(group_ids[1:])])
    session.commit()
    statements.clear()
    answer = profiles.get_customer(uow(session, owner), mine[0])
    assert len(statements) == 1, statements
    assert (answer["id"], answer["group_ids"]) == (mine[0], group_ids[1:])
    totals = Totals()

    def listed(query, expected_statements):
        statements.clear()
        answer = profiles.list_customers(uow(session, owner), totals, dict(query, page_size=5))
        assert len(statements) == expected_statements, statements
        return answer["total"], [item["id"] for item in answer["items"]]

    seen = sorted((i for i, customer in reference["customers"].items() if may_see(owner, customer)), reverse=True)
    stars = {"stars": [rating.stars(1, rating.DEFAULT_THRESHOLDS)]}
    starred = profiles.list_customers(uow(session, owner), Totals(), dict(stars, page_size=5))["total"]
    # first: the generation, the total, the page (and the thresholds before the total)
    assert listed({}, 3) == (len(seen), seen[:5])
    assert listed(stars, 4)[0] == starred
    # the total kept at this generation: the page alone (reading the generation too)
    assert listed({}, 1) == (len(seen), seen[:5])
    assert listed({"page": 2}, 1) == (len(seen), seen[5:10])
    assert listed(stars, 2)[0] == starred
    # a change through the service moved the generation: the page, then the total again
    new = session.scalar(
        insert(customer_table)
        .values(
            code="NEW", name="New", kind="person", owner_id=owner.id, owner_department_id=owner.department_id, score=1
        )
        .returning(customer_table.c.id)
    )
    data_changed(session)
    session.commit()
    seen.insert(0, new)
    assert listed({}, 2) == (len(seen), seen[:5])
    assert listed({}, 1) == (len(seen), seen[:5])
    assert listed(stars, 4)[0] == starred + 1  # the thresholds again before the total
    assert listed({"page": 99}, 1) == (len(seen), [])


def test_a_change_of_the_thresholds_shows_at_once_wherever_it_was_made(session):
    """No instance keeps the thresholds: the statement that needs them reads them, so a change
    written by any instance (here: straight into the database) is in the next answer of every one."""
    reference = world(session, 5, customers=5)
    owner_id, _, _ = reference["customers"][max(reference["customers"])]
    actor = next(actor for actor in ACTORS if actor.id == owner_id)
    customer_id = max(i for i, (o, _, _) in reference["customers"].items() if o == owner_id)
    session.execute(update(Customer).where(Customer.id == customer_id).values(score=45))
    session.commit()
    assert profiles.get_customer(uow(session, actor), customer_id)["stars"] == rating.stars(
        45, rating.DEFAULT_THRESHOLDS
    )
    for thresholds, stars in (([10, 20, 30, 40, 50], 4), ([50, 60, 70, 80, 90], 0), ([1, 2, 3, 4, 45], 5)):
        session.merge(Setting(key=rating.SETTING_KEY, value={"thresholds": thresholds}))
        session.commit()
        assert profiles.get_customer(uow(session, actor), customer_id)["stars"] == stars
        listed = profiles.list_customers(uow(session, actor), Totals(), {"page_size": 100})["items"]
        assert {item["id"]: item["stars"] for item in listed}[customer_id] == stars
        filtered = profiles.list_customers(uow(session, actor), Totals(), {"page_size": 100, "stars": [stars]})["items"]
        assert customer_id in [item["id"] for item in filtered]
