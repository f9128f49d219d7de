"""Shares of customers and of their related records, and bulk sharing (``add`` / ``transfer`` / ``remove``).

One mechanism serves the three share tables (customers, activities, records): for the
objects of the selection, one statement deletes the shares the mode drops, re-levels
the chosen targets already there and inserts the missing ones.  For customers the
same statement writes a history entry for every share it removed, re-levelled or added.
"""

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    bindparam,
    delete,
    distinct,
    func,
    literal,
    null,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from services.core.actor import require_actor
from services.core.contracts.customers import BulkShare
from services.core.schemas import load
from services.customers import bulk, directory_answers, history
from services.customers.models import Activity, Record, activity_shares, customer_shares, record_shares
from services.customers.modes import SHARE_MODES

OTHER_LEVEL = {"view": "edit", "edit": "view"}
RECORD_KIND_OF = {
    "contracts": "contract",
    "quotes": "quote",
    "opportunities": "opportunity",
    "orders": "order",
    "documents": "document",
}


def dump_share(row):
    """``{"user_id"|"department_id": id, "level"}`` of a share row."""
    return {row.target_kind + "_id": row.target_id, "level": row.level}


def shares_of(session, shares, object_column, object_ids):
    """Dumped shares of each object: {object id: [share, ...]}."""
    result = {object_id: [] for object_id in object_ids}
    if object_ids:
        rows = session.execute(
            select(shares.c[object_column].label("object_id"), shares.c.target_kind, shares.c.target_id, shares.c.level)
            .where(shares.c[object_column].in_(list(object_ids)))
            .order_by(shares.c.target_kind.desc(), shares.c.target_id)
        ).all()
        for row in rows:
            result[row.object_id].append(dump_share(row))
    return result


def targets_of(user_ids, department_ids):
    return [("user", user_id) for user_id in dict.fromkeys(user_ids)] + [
        ("department", department_id) for department_id in dict.fromkeys(department_ids)
    ]


def bulk_share(uow, data):
    actor = require_actor(uow.actor)
    data = load(BulkShare(), data)
    mode = SHARE_MODES[data["mode"]]
    if mode.sets_chosen:  # asked before the transaction opens
        directory_answers.check_share_targets(uow.services.directory, data["user_ids"], data["department_ids"])
    targets = targets_of(data["user_ids"], data["department_ids"])
    with uow:
        result = _change_shares(uow.session, actor, data, mode, targets)
        uow.commit()
    return result


def _change_shares(session, actor, data, mode, targets):
    level = data["level"]
    selection = bulk.select_requested(session, actor, data)
    change_id = history.start_change(
        session,
        actor,
        "share_" + mode.name,
        {
            "user_ids": data["user_ids"],
            "department_ids": data["department_ids"],
            "level": level if mode.sets_chosen else None,
            "include": data["include"],
        },
    )
    changes = share_changes(customer_shares, "customer_id", bulk.editable_ids(), mode, targets, level)
    entries = history.write_entries(change_id, changes, changes.c.object_id).cte("entries")
    changed = session.scalar(select(func.count(distinct(entries.c.customer_id))))
    related_changed = sum(
        change_related_shares(session, include, mode, targets, level) for include in dict.fromkeys(data["include"])
    )
    history.finish_change(session, change_id, selection.matched, changed)
    return selection.result(changed, related_changed=related_changed)


def change_related_shares(session, include, mode, targets, level):
    """The same change on the customers' existing activities or records of one kind; returns shares changed."""
    if include == "activities":
        objects = select(Activity.id).where(Activity.customer_id.in_(bulk.editable_ids()))
        changes = share_changes(activity_shares, "activity_id", objects, mode, targets, level)
    else:
        objects = select(Record.id).where(
            Record.customer_id.in_(bulk.editable_ids()), Record.kind == RECORD_KIND_OF[include]
        )
        changes = share_changes(record_shares, "record_id", objects, mode, targets, level)
    return session.scalar(select(func.count()).select_from(changes))


def share_changes(shares, object_column, objects, mode, targets, level):
    """A subquery whose evaluation applies ``mode`` to the shares of ``objects`` (a select of ids).

    One row per share changed: object_id and, as in the history, from (kind, id, level)
    to (kind, id, level), nothing on the side where the share does not exist.
    """
    obj = shares.c[object_column]
    is_chosen = tuple_(shares.c.target_kind, shares.c.target_id).in_(targets)
    share_columns = (obj.label("object_id"), shares.c.target_kind, shares.c.target_id, shares.c.level)
    removed = delete(shares).where(obj.in_(objects), mode.removes(is_chosen)).returning(*share_columns).cte("removed")
    changes = [_change(removed.c.object_id, _share(removed), _nothing())]
    if mode.sets_chosen:
        relevelled = (
            update(shares)
            .where(obj.in_(objects), is_chosen, shares.c.level != level)
            .values(level=level)
            .returning(*share_columns)
            .cte("relevelled")
        )
        chosen = (
            func.unnest(
                bindparam("target_kinds", [kind for kind, _ in targets], type_=ARRAY(String)),
                bindparam("target_ids", [target_id for _, target_id in targets], type_=ARRAY(Integer)),
            )
            .table_valued("target_kind", "target_id")
            .render_derived(name="chosen")
        )
        object_ids = objects.subquery("objects")
        added = (
            insert(shares)
            .from_select(
                [object_column, "target_kind", "target_id", "level"],
                select(object_ids.c[0], chosen.c.target_kind, chosen.c.target_id, literal(level))
                .select_from(object_ids)
                .join(chosen, true()),
            )
            .on_conflict_do_nothing()
            .returning(*share_columns)
            .cte("added")
        )
        changes += [
            _change(relevelled.c.object_id, _share(relevelled, literal(OTHER_LEVEL[level])), _share(relevelled)),
            _change(added.c.object_id, _nothing(), _share(added)),
        ]
    return union_all(*changes).subquery("changes") if len(changes) > 1 else changes[0].subquery("changes")


def _share(rows, level=None):
    return rows.c.target_kind, rows.c.target_id, rows.c.level if level is None else level


def _nothing():
    """The side of a change where the share does not exist."""
    return null().cast(String), null().cast(Integer), null().cast(String)


def _change(object_id, before, after):
    return select(object_id, *[value.label(name) for value, name in zip(before + after, history.SIDES)])
