"""Audit history of ownership and sharing changes: who, when, which customers, from, to.

A call that changes owners or shares writes one ``history_changes`` row (the actor,
the action and its options) and, in the same statement that changes the customers,
one ``history_entries`` row per changed owner or share of a customer: from whom to whom.
"""

from sqlalchemy import exists, insert, literal, select, update

from services.core.actor import require_actor
from services.core.contracts.customers import HistoryEntry, HistoryQuery
from services.core.schemas import load, paginate
from services.customers.models import HistoryChange, customer_table, history_entries
from services.customers.visibility import visible

changes = HistoryChange.__table__
entry_schema = HistoryEntry()
SIDES = ("from_kind", "from_id", "from_level", "to_kind", "to_id", "to_level")  # from whom -> to whom


def start_change(session, actor, action, details):
    """Record the change itself; returns its id for the entries."""
    return session.scalar(
        insert(changes)
        .values(action=action, actor_id=actor.id, details=details, matched=0, changed=0)
        .returning(changes.c.id)
    )


def finish_change(session, change_id, matched, changed):
    session.execute(update(changes).where(changes.c.id == change_id).values(matched=matched, changed=changed))


def write_entries(change_id, rows, customer_id):
    """INSERT of the entries of ``change_id`` from ``rows`` (a subquery with the SIDES columns).

    Returns the customer id of each entry.
    """
    return (
        insert(history_entries)
        .from_select(
            ["change_id", "customer_id", *SIDES],
            select(literal(change_id), customer_id, *[rows.c[name] for name in SIDES]),
        )
        .returning(history_entries.c.customer_id)
    )


def _side(kind, target_id, level):
    return None if kind is None else {kind + "_id": target_id, "level": level}


def dump_entry(row):
    return entry_schema.dump(
        {
            "change_id": row.change_id,
            "action": row.action,
            "actor_id": row.actor_id,
            "created_at": row.created_at,
            "customer_id": row.customer_id,
            "details": row.details,
            "from": _side(row.from_kind, row.from_id, row.from_level),
            "to": _side(row.to_kind, row.to_id, row.to_level),
        }
    )


def list_history(uow, query):
    actor = require_actor(uow.actor)
    query = load(HistoryQuery(), query)
    statement = (
        select(
            changes.c.id.label("change_id"),
            changes.c.action,
            changes.c.actor_id,
            changes.c.created_at,
            history_entries.c.customer_id,
            changes.c.details,
            *[history_entries.c[name] for name in SIDES],
        )
        .join_from(history_entries, changes, changes.c.id == history_entries.c.change_id)
        .order_by(changes.c.id.desc(), history_entries.c.customer_id, *[history_entries.c[name] for name in SIDES])
    )
    if not actor.is_admin:
        statement = statement.where(
            exists().where(customer_table.c.id == history_entries.c.customer_id, visible(actor))
        )
    if "customer_id" in query:
        statement = statement.where(history_entries.c.customer_id == query["customer_id"])
    if "actor_id" in query:
        statement = statement.where(changes.c.actor_id == query["actor_id"])
    if "action" in query:
        statement = statement.where(changes.c.action == query["action"])
    if "since" in query:
        statement = statement.where(changes.c.created_at >= query["since"])
    if "until" in query:
        statement = statement.where(changes.c.created_at < query["until"])
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], dump_entry, rows=True)
