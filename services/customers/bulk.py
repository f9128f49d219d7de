"""The selection of a bulk action: the given customers the actor may see, or every customer the
actor may see that matches a filter (newest first, as the list shows them).

It lives in a temporary table of the call's transaction (dropped at commit or rollback),
so that the few set-based statements of the action join it instead of re-reading
100,000 ids.  Customers the actor cannot see are not in it (they do not exist for the
actor); those the actor sees but may not edit are in it with ``editable`` false, are
left unchanged and reported as skipped.  The order of the request (which a split
follows) is kept in Python: the table is filled by one scan, ``id = ANY(ids)``.
"""

from dataclasses import dataclass

from sqlalchemy import Boolean, Column, Integer, MetaData, Table, func, insert, select

from services.core.contracts.customers import MAX_BULK
from services.core.db import discard_after_use
from services.customers import exceptions, filters, rating
from services.customers.models import customer_table
from services.customers.visibility import among, editable, visible

selection = Table(
    "bulk_selection",
    MetaData(),
    Column("customer_id", Integer, nullable=False),
    Column("owner_id", Integer, nullable=False),
    Column("owner_department_id", Integer),
    Column("editable", Boolean, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


@dataclass
class Selection:
    given: list  # the requested ids, each once, in the request's order
    matched: int
    skipped_ids: list

    def result(self, changed, **extra):
        """The answer of a bulk action (``BulkResult``)."""
        return dict(
            matched=self.matched, changed=changed, skipped=len(self.skipped_ids), skipped_ids=self.skipped_ids, **extra
        )

    def in_order(self, ids):
        """``ids`` (a subset of the request) in the request's order."""
        ids = set(ids)
        return [customer_id for customer_id in self.given if customer_id in ids]


def editable_ids():
    """SQL: the customers of the selection the action changes."""
    return select(selection.c.customer_id).where(selection.c.editable)


def select_requested(session, actor, data, lock=False):
    """The selection of a bulk request (``Selection`` contract): its ``customer_ids``, or every
    customer the actor may see that matches its ``filter``, newest first.

    The transaction's database connection is not lent again afterwards (a bulk action leaves its
    server process slower for the requests that follow: :func:`services.core.db.discard_after_use`).
    """
    discard_after_use(session)
    if "filter" in data:
        return select_matching(session, actor, filters.matching(data["filter"], rating.thresholds(session)), lock)
    return select_customers(session, actor, data["customer_ids"], lock)


def select_customers(session, actor, customer_ids, lock=False):
    """Fill the selection table for this transaction; ``lock`` locks the customers' rows."""
    given = list(dict.fromkeys(customer_ids))
    matched = _fill(session, actor, among(given), lock=lock)
    return _selection(session, actor, given, matched)


def select_matching(session, actor, matching, lock=False):
    """Fill the selection table with the customers the actor may see that meet ``matching``
    (conditions on customers), at most MAX_BULK of them (more: SelectionTooLarge)."""
    matched = _fill(session, actor, *matching, lock=lock, limit=MAX_BULK + 1)
    if matched > MAX_BULK:
        raise exceptions.SelectionTooLarge(
            fields={
                "filter": [
                    "More than {:,} customers match; a bulk action takes at most {:,}.".format(MAX_BULK, MAX_BULK)
                ]
            }
        )
    given = session.connection().scalars(select(selection.c.customer_id).order_by(selection.c.customer_id.desc())).all()
    return _selection(session, actor, given, matched)


def _fill(session, actor, *conditions, lock=False, limit=None):
    """Insert the visible customers meeting ``conditions`` into the selection; returns how many.

    In the order of their ids (the newest first when ``limit`` takes the newest), not in the table's:
    the action's statements read the selection in the order it was written and write memberships,
    shares and history entries in it, and after a bulk update the table's order is that update's.
    In key order those writes stay on a few index pages at a time: a share of 100,000 customers
    right after a move took 1.33 s instead of 1.6 s (bench/README.md).  Rows it locks are locked
    in the same order by every action."""
    connection = session.connection()
    selection.create(connection)
    query = select(
        customer_table.c.id, customer_table.c.owner_id, customer_table.c.owner_department_id, editable(actor)
    ).where(visible(actor), *conditions)
    if limit is not None:
        query = query.order_by(customer_table.c.id.desc()).limit(limit)
    else:
        query = query.order_by(customer_table.c.id)
    if lock:
        query = query.with_for_update(of=customer_table)
    connection.execute(
        insert(selection).from_select(["customer_id", "owner_id", "owner_department_id", "editable"], query)
    )
    return connection.scalar(select(func.count()).select_from(selection))


def _selection(session, actor, given, matched):
    result = Selection(given=given, matched=matched, skipped_ids=[])
    if matched and not actor.is_admin:
        result.skipped_ids = result.in_order(
            session.connection().scalars(select(selection.c.customer_id).where(~selection.c.editable))
        )
    return result


def editable_in_order(session, selected):
    """The ids of the selection that the action changes, in the request's order."""
    return selected.in_order(session.scalars(editable_ids()))
