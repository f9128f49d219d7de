"""Bulk transfer of ownership, to one owner or split evenly between several."""

from sqlalchemy import Column, Integer, MetaData, Table, and_, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.core.actor import require_actor
from services.core.consumer import first_delivery
from services.core.contracts.customers import BulkTransferOwner
from services.core.db import advisory_lock
from services.core.errors import ConcurrentChange
from services.core.schemas import load
from services.customers import bulk, directory_answers, exceptions, history
from services.customers.models import Activity, Record, customer_table, record_shares
from services.customers.sharing import RECORD_KIND_OF
from services.customers.sql import int_array

EVENT_BLOCK = 10_000  # customers per owner_changed event
OWNER_LOCK = 7401  # first key of the advisory lock "the customers of one owner follow their department"

# Who each transferred customer goes to; a temporary table of the call's transaction.
plan = Table(
    "transfer_plan",
    MetaData(),
    Column("customer_id", Integer, nullable=False),
    Column("from_owner_id", Integer, nullable=False),
    Column("to_owner_id", Integer, nullable=False),
    Column("to_department_id", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def split_evenly(items, count):
    """Cut ``items`` in order into ``count`` contiguous blocks whose sizes differ by at most one,
    the first blocks taking the larger sizes (10 items, 3 blocks -> 4, 3, 3)."""
    size, larger = divmod(len(items), count)
    blocks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < larger else 0)
        blocks.append(items[start:end])
        start = end
    return blocks


def transfer_owner(uow, data):
    require_actor(uow.actor)
    data = load(BulkTransferOwner(), data)
    owners = directory_answers.new_owners(uow.services.directory, data["user_ids"], data["department_ids"])
    if len(owners) > 1 and not data["split_evenly"]:
        raise exceptions.SplitRequired(
            fields={"split_evenly": ["{} new owners: set split_evenly.".format(len(owners))]}
        )
    with uow:
        result = _transfer(uow, owners, data)
        uow.commit()
    return result


def _transfer(uow, owners, data):
    session, actor = uow.session, uow.actor
    selection = bulk.select_requested(session, actor, data, lock=True)
    blocks = split_evenly(bulk.editable_in_order(session, selection), len(owners))
    change_id = history.start_change(
        session,
        actor,
        "owner_transfer",
        {
            key: data[key]
            for key in ("user_ids", "department_ids", "split_evenly", "transfer_activities", "share_related")
        },
    )
    _fill_plan(session, owners, blocks)
    moved = _move_customers(session, change_id)
    activities = _move_open_activities(session, data["transfer_activities"])
    records = _share_related(session, data["share_related"])
    _announce(uow, change_id, moved)
    history.finish_change(session, change_id, selection.matched, len(moved))
    assignments = {}
    for owner, block in zip(owners, blocks):
        assignments.setdefault(str(owner.user_id), []).extend(block)
    return selection.result(
        len(moved), assignments=assignments, activities_transferred=activities, records_shared=records
    )


def _fill_plan(session, owners, blocks):
    customer_ids, owner_ids, department_ids = [], [], []
    for owner, block in zip(owners, blocks):
        customer_ids.extend(block)
        owner_ids.extend([owner.user_id] * len(block))
        department_ids.extend([owner.department_id] * len(block))
    connection = session.connection()
    plan.create(connection)
    given = (
        func.unnest(
            int_array("customer_ids", customer_ids),
            int_array("owner_ids", owner_ids),
            int_array("department_ids", department_ids),
        )
        .table_valued("customer_id", "owner_id", "department_id")
        .render_derived(name="given")
    )
    connection.execute(
        insert(plan).from_select(
            ["customer_id", "from_owner_id", "to_owner_id", "to_department_id"],
            select(given.c.customer_id, bulk.selection.c.owner_id, given.c.owner_id, given.c.department_id).join_from(
                given, bulk.selection, bulk.selection.c.customer_id == given.c.customer_id
            ),
        )
    )


def _move_customers(session, change_id):
    """Give each planned customer its new owner; returns [(id, from owner, to owner)] of those that changed hands.

    Customers already owned by their planned owner only get their owner's department refreshed.
    """
    moved = (
        update(customer_table)
        .where(
            customer_table.c.id == plan.c.customer_id,
            (customer_table.c.owner_id != plan.c.to_owner_id)
            | customer_table.c.owner_department_id.is_distinct_from(plan.c.to_department_id),
        )
        .values(owner_id=plan.c.to_owner_id, owner_department_id=plan.c.to_department_id, updated_at=func.now())
        .returning(customer_table.c.id, plan.c.from_owner_id, plan.c.to_owner_id)
        .cte("moved")
    )
    changed = (
        select(
            moved,
            literal("user").label("from_kind"),
            moved.c.from_owner_id.label("from_id"),
            literal("owner").label("from_level"),
            literal("user").label("to_kind"),
            moved.c.to_owner_id.label("to_id"),
            literal("owner").label("to_level"),
        )
        .where(moved.c.from_owner_id != moved.c.to_owner_id)
        .subquery("changed")
    )
    entries = history.write_entries(change_id, changed, changed.c.id).cte("entries")
    rows = session.execute(
        select(changed.c.id, changed.c.from_owner_id, changed.c.to_owner_id).add_cte(entries).order_by(changed.c.id)
    )
    return [tuple(row) for row in rows]


def _announce(uow, change_id, moved):
    """Events ``owner_changed``: per (old owner, new owner), the customers, in blocks of EVENT_BLOCK."""
    by_owners = {}
    for customer_id, from_owner, to_owner in moved:
        by_owners.setdefault((from_owner, to_owner), []).append(customer_id)
    for (from_owner, to_owner), customer_ids in by_owners.items():
        for start in range(0, len(customer_ids), EVENT_BLOCK):
            uow.record_event(
                "owner_changed",
                {
                    "change_id": change_id,
                    "from_owner_id": from_owner,
                    "to_owner_id": to_owner,
                    "customer_ids": customer_ids[start : start + EVENT_BLOCK],
                },
            )


def _changing_hands():
    return plan.c.from_owner_id != plan.c.to_owner_id


def _move_open_activities(session, statuses):
    """The customers' activities in those statuses go to the customer's new owner."""
    if not statuses:
        return 0
    result = session.execute(
        update(Activity.__table__)
        .where(
            Activity.customer_id == plan.c.customer_id,
            _changing_hands(),
            Activity.status.in_(statuses),
            Activity.owner_id != plan.c.to_owner_id,
        )
        .values(owner_id=plan.c.to_owner_id, updated_at=func.now())
    )
    return result.rowcount


def _share_related(session, kinds):
    """The customers' existing records of those kinds are shared (edit) with the new owner."""
    if not kinds:
        return 0
    records = Record.__table__
    rows = (
        select(records.c.id, literal("user"), plan.c.to_owner_id, literal("edit"))
        .join_from(records, plan, and_(records.c.customer_id == plan.c.customer_id, _changing_hands()))
        .where(records.c.kind.in_([RECORD_KIND_OF[kind] for kind in kinds]), records.c.owner_id != plan.c.to_owner_id)
    )
    statement = pg_insert(record_shares).from_select(["record_id", "target_kind", "target_id", "level"], rows)
    statement = statement.on_conflict_do_update(
        index_elements=["record_id", "target_kind", "target_id"],
        set_={"level": "edit"},
        where=record_shares.c.level != "edit",
    )
    return session.execute(statement).rowcount


FOLLOW_ROUNDS = 5  # the user moved again after each of our writes: give the event back (retried later)
FOLLOWER = "customers.follow_owner_department"
_NOTHING = object()


def follow_owner_department(uow, event):
    """The directory moved a user to another department: their customers' ``owner_department_id``
    follows, so the managers of the new department see them and those of the old one no longer do.

    The department written is the directory's of now, not the event's: events of two quick moves
    may arrive in any order, and the last write must be the user's department of now.  The
    directory is asked with no transaction open, so a follower writes (under a per-user lock),
    then asks again: if the user moved meanwhile, it writes again.  The event counts as applied
    (idempotent consumer) once the directory's answer is what was written; a user who keeps
    moving gives the event back (ConcurrentChange: retried later).
    """
    user_id = int(event["data"]["user_id"])
    with uow:  # left without commit: only asks whether the event was applied already
        if not first_delivery(uow.session, FOLLOWER, event["id"]):
            return 0
    moved, written = 0, _NOTHING
    for _ in range(FOLLOW_ROUNDS):
        department_id = directory_answers.department_of(uow.services.directory, user_id)
        if department_id == written:
            with uow:
                if first_delivery(uow.session, FOLLOWER, event["id"]):
                    uow.commit()
            return moved
        with uow:
            advisory_lock(uow.session, OWNER_LOCK, user_id)
            moved += uow.session.execute(
                update(customer_table)
                .where(
                    customer_table.c.owner_id == user_id,
                    customer_table.c.owner_department_id.is_distinct_from(department_id),
                )
                .values(owner_department_id=department_id, updated_at=func.now())
            ).rowcount
            uow.commit()
        written = department_id
    raise ConcurrentChange("User {} keeps changing department; their customers follow later.".format(user_id))
