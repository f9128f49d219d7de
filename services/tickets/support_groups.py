"""Use cases of ticket types and support groups (admins manage them)."""

import logging

from sqlalchemy import func, select

from services.core.actor import require_actor, require_admin
from services.core.contracts.tickets import Availability, SupportGroupQuery, TicketTypeQuery
from services.core.contracts.tickets import SupportGroup as SupportGroupSchema
from services.core.contracts.tickets import TicketType as TicketTypeSchema
from services.core.db import flush_unique
from services.core.schemas import load, paginate
from services.tickets import exceptions
from services.tickets.assignment import lock_group, open_tickets_by_member, take_back
from services.tickets.models import GroupMember, SupportGroup, TicketType

log = logging.getLogger(__name__)

ticket_type_schema = TicketTypeSchema()
group_schema = SupportGroupSchema()
members_schema = SupportGroupSchema(only=("members",))


# -- ticket types -------------------------------------------------------------


def list_ticket_types(uow, query):
    require_actor(uow.actor)
    query = load(TicketTypeQuery(), query)
    statement = select(TicketType).order_by(TicketType.id)
    if query.get("q"):
        statement = statement.where(func.lower(TicketType.name).like("%{}%".format(query["q"].lower())))
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], ticket_type_schema.dump)


def create_ticket_type(uow, data):
    require_admin(uow.actor)
    data = load(ticket_type_schema, data)
    with uow:
        ticket_type = TicketType(name=data["name"].strip())
        uow.session.add(ticket_type)
        flush_unique(uow.session, exceptions.TicketTypeNameTaken)
        uow.commit()
    return ticket_type_schema.dump(ticket_type)


# -- support groups -------------------------------------------------------------


def dump_group(session, group):
    data = group_schema.dump(group)
    counts = open_tickets_by_member(session, group.id)
    for member, row in zip(data["members"], group.members):
        member["available"] = row.available
        member["open_tickets"] = counts.get(row.user_id, 0)
    return data


def _group(session, group_id):
    group = session.get(SupportGroup, group_id)
    if group is None:
        raise exceptions.SupportGroupNotFound()
    return group


def list_groups(uow, query):
    require_actor(uow.actor)
    query = load(SupportGroupQuery(), query)
    statement = select(SupportGroup).order_by(SupportGroup.id)
    if query.get("q"):
        statement = statement.where(func.lower(SupportGroup.name).like("%{}%".format(query["q"].lower())))
    if "user_id" in query:
        statement = statement.where(SupportGroup.members.any(GroupMember.user_id == query["user_id"]))
    with uow:
        session = uow.session
        return paginate(session, statement, query["page"], query["page_size"], lambda g: dump_group(session, g))


def get_group(uow, group_id):
    require_actor(uow.actor)
    with uow:
        return dump_group(uow.session, _group(uow.session, group_id))


def _check_users(uow, members):
    """Members must be existing, active directory users (asked before our transaction opens)."""
    user_ids = sorted({member["user_id"] for member in members})
    if not user_ids:
        return
    found = uow.services.directory.active_members(user_ids, [])
    active = {user["id"] for user in found["users"] if user["active"]}
    refused = [user_id for user_id in user_ids if user_id not in active]
    if refused:
        raise exceptions.InvalidMembers(
            fields={"members": ["No such active user: {}.".format(", ".join(str(user_id) for user_id in refused))]}
        )


def _ticket_types(session, type_ids, group_id=None):
    type_ids = sorted(set(type_ids))
    types = (
        session.scalars(select(TicketType).where(TicketType.id.in_(type_ids)).with_for_update()).all()
        if type_ids
        else []
    )
    missing = set(type_ids) - {t.id for t in types}
    if missing:
        raise exceptions.TicketTypeNotFound(
            fields={"ticket_type_ids": ["No such ticket type: {}.".format(", ".join(str(i) for i in sorted(missing)))]}
        )
    taken = [t.id for t in types if t.group_id is not None and t.group_id != group_id]
    if taken:
        raise exceptions.TicketTypeOwned(
            fields={
                "ticket_type_ids": ["Already in another support group: {}.".format(", ".join(str(i) for i in taken))]
            }
        )
    return list(types)


def _group_changed(uow, group, frees_members):
    uow.record_event("support_group_changed", {"group_id": group.id, "frees_members": frees_members})


def create_group(uow, data):
    actor = require_admin(uow.actor)
    data = load(group_schema, data)
    _check_users(uow, data["members"])
    with uow:
        session = uow.session
        group = SupportGroup(name=data["name"].strip())
        session.add(group)
        flush_unique(session, exceptions.SupportGroupNameTaken)
        for ticket_type in _ticket_types(session, data["ticket_type_ids"], group.id):
            ticket_type.group_id = group.id
        for member in data["members"]:
            session.add(
                GroupMember(
                    group_id=group.id,
                    user_id=member["user_id"],
                    priority=member["priority"],
                    capacity=member["capacity"],
                    available=True,
                )
            )
        session.flush()
        _group_changed(uow, group, bool(data["members"]))
        uow.commit()
        session.refresh(group)
        log.info("support group %s %r created by %s", group.id, group.name, actor.id)
        return dump_group(session, group)


def update_group(uow, group_id, data):
    """Rename, set the owned ticket types, and/or replace the members (availability of those kept is kept).

    The unfinished tickets of a member who leaves go back to waiting and to the other members."""
    actor = require_admin(uow.actor)
    raw, data = data, load(group_schema, data, partial=True)
    if "members" in data:
        # each member is complete (user_id required, defaults applied) even in a partial update
        data["members"] = load(members_schema, {"members": raw["members"]})["members"]
        _check_users(uow, data["members"])
    with uow:
        return _update_group(uow, actor, group_id, data)


def _update_group(uow, actor, group_id, data):
    session = uow.session
    lock_group(session, group_id)
    group = _group(session, group_id)
    frees_members = False
    if "name" in data:
        group.name = data["name"].strip()
        flush_unique(session, exceptions.SupportGroupNameTaken)
    if "ticket_type_ids" in data:
        wanted = _ticket_types(session, data["ticket_type_ids"], group.id)
        for ticket_type in group.ticket_types:
            if ticket_type not in wanted:
                ticket_type.group_id = None
        for ticket_type in wanted:
            ticket_type.group_id = group.id
    if "members" in data:
        current = {member.user_id: member for member in group.members}
        kept = []
        for member in data["members"]:
            row = current.get(member["user_id"])
            if row is None:
                row = GroupMember(group_id=group.id, user_id=member["user_id"], available=True)
                frees_members = True
            elif member["capacity"] > row.capacity:
                frees_members = True
            row.priority, row.capacity = member["priority"], member["capacity"]
            kept.append(row)
        removed = set(current) - {row.user_id for row in kept}
        if removed and take_back(session, group.id, removed, actor, "removed from the support group"):
            frees_members = True  # their tickets wait again: the dispatcher gives them to the others
        group.members = kept
    session.flush()
    _group_changed(uow, group, frees_members)
    uow.commit()
    session.refresh(group)
    return dump_group(session, group)


def set_availability(uow, group_id, user_id, data):
    """A member marks themself away or back (an admin may do it for anyone)."""
    actor = require_actor(uow.actor)
    data = load(Availability(), data)
    if not actor.is_admin and actor.id != user_id:
        raise exceptions.NotGroupMember(
            "Only the member themself or an admin can change their availability.", code="NOT_THE_MEMBER"
        )
    with uow:
        lock_group(uow.session, group_id)
        _group(uow.session, group_id)
        member = uow.session.get(GroupMember, (group_id, user_id))
        if member is None:
            raise exceptions.MemberNotFound()
        changed = member.available != data["available"]
        member.available = data["available"]
        if changed:
            uow.record_event(
                "member_availability_changed",
                {"group_id": group_id, "user_id": user_id, "available": member.available},
            )
        uow.commit()
    log.info("member %s of group %s is now %s", user_id, group_id, "available" if member.available else "away")
    return {"group_id": group_id, "user_id": user_id, "available": member.available}
