"""Customer groups and the bulk ``move`` / ``add`` / ``remove`` of customers between them."""

from sqlalchemy import delete, false, func, select, true, union_all, update
from sqlalchemy.dialects.postgresql import insert

from services.core.actor import require_actor, require_admin
from services.core.contracts.common import PageQuery
from services.core.contracts.customers import BulkGroups
from services.core.contracts.customers import CustomerGroup as GroupSchema
from services.core.db import flush_unique
from services.core.schemas import load, paginate
from services.customers import bulk, exceptions, rating
from services.customers.models import CustomerGroup, customer_table, group_members
from services.customers.modes import GROUP_MODES
from services.customers.sql import int_array

group_schema = GroupSchema()
groups_table = CustomerGroup.__table__


def list_groups(uow, query):
    require_actor(uow.actor)
    query = load(PageQuery(), query)
    with uow:
        return paginate(
            uow.session,
            select(CustomerGroup).order_by(CustomerGroup.id),
            query["page"],
            query["page_size"],
            group_schema.dump,
        )


def create_group(uow, data):
    require_admin(uow.actor)
    data = load(group_schema, data)
    with uow:
        group = CustomerGroup(name=data["name"], points=data["points"])
        uow.session.add(group)
        flush_unique(uow.session, exceptions.GroupNameTaken)
        body = group_schema.dump(group)
        uow.commit()
    return body


def _locked_group(session, group_id):
    group = session.scalar(select(CustomerGroup).where(CustomerGroup.id == group_id).with_for_update())
    if group is None:
        raise exceptions.GroupNotFound()
    return group


def update_group(uow, group_id, data):
    require_admin(uow.actor)
    data = load(group_schema, data, partial=True)
    with uow:
        session = uow.session
        group = _locked_group(session, group_id)
        if "points" in data:
            rating.group_points_changed(session, group.id, data["points"] - group.points)
        for key, value in data.items():
            setattr(group, key, value)
        flush_unique(session, exceptions.GroupNameTaken)
        body = group_schema.dump(group)
        uow.commit()
    return body


def delete_group(uow, group_id):
    require_admin(uow.actor)
    with uow:
        session = uow.session
        group = _locked_group(session, group_id)
        rating.group_points_changed(session, group.id, -group.points)
        session.delete(group)  # memberships go with it (ON DELETE CASCADE)
        uow.commit()


def bulk_groups(uow, data):
    actor = require_actor(uow.actor)
    data = load(BulkGroups(), data)
    with uow:
        selection = bulk.select_requested(uow.session, actor, data)
        changed = change_groups(uow.session, GROUP_MODES[data["mode"]], data["group_ids"])
        uow.commit()
    return selection.result(changed)


def change_groups(session, mode, group_ids):
    """Apply ``mode`` with ``group_ids`` to the editable customers of the selection.

    One statement: the memberships it removes and adds give each changed customer's
    score delta.  Returns how many customers changed.
    """
    group_ids = list(dict.fromkeys(group_ids))
    points = rating.lock_group_points(session)  # all groups: a move removes any of them
    missing = sorted(set(group_ids) - set(points))
    if missing:
        raise exceptions.GroupNotFound(fields={"group_ids": ["No such group: {}.".format(missing)]})
    members = group_members
    is_chosen = members.c.group_id.in_(group_ids) if group_ids else false()
    removed = (
        delete(members)
        .where(members.c.customer_id.in_(bulk.editable_ids()), mode.removes(is_chosen))
        .returning(members.c.customer_id, members.c.group_id)
        .cte("removed")
    )
    changes = [
        select(removed.c.customer_id, (-groups_table.c.points).label("points")).join(
            groups_table, groups_table.c.id == removed.c.group_id
        )
    ]
    if mode.sets_chosen and group_ids:
        chosen = func.unnest(int_array("group_ids", group_ids)).table_valued("group_id").render_derived(name="chosen")
        added = (
            insert(members)
            .from_select(
                ["customer_id", "group_id"],
                select(bulk.selection.c.customer_id, chosen.c.group_id)
                .join_from(bulk.selection, chosen, true())
                .where(bulk.selection.c.editable),
            )
            .on_conflict_do_nothing()
            .returning(members.c.customer_id, members.c.group_id)
            .cte("added")
        )
        changes.append(
            select(added.c.customer_id, groups_table.c.points.label("points")).join(
                groups_table, groups_table.c.id == added.c.group_id
            )
        )
    change = union_all(*changes).subquery("change") if len(changes) > 1 else changes[0].subquery("change")
    delta = (
        select(change.c.customer_id, func.sum(change.c.points).label("delta"))
        .group_by(change.c.customer_id)
        .order_by(change.c.customer_id)  # the update below then writes customers in id order
        .cte("delta")
    )
    touched = (
        update(customer_table)
        .where(customer_table.c.id == delta.c.customer_id)
        .values(score=customer_table.c.score + delta.c.delta, updated_at=func.now())
        .returning(customer_table.c.id)
        .cte("touched")
    )
    return session.scalar(select(func.count()).select_from(touched))
