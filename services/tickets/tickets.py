"""Use cases of tickets: open, edit while waiting, work on them, transfer, history.

Who may see a ticket: admins, its creator, its assignee, and members of its
support group; everyone else gets 404.
"""

import logging

from sqlalchemy import or_, select, true

from services.core.actor import require_actor
from services.core.contracts.tickets import CustomerSnapshot, TicketQuery, Transfer
from services.core.contracts.tickets import Ticket as TicketSchema
from services.core.errors import InvalidInput
from services.core.outbox import record_event
from services.core.schemas import load, paginate
from services.tickets import exceptions
from services.tickets.assignment import (
    dump_history,
    dump_ticket,
    give_ticket,
    lock_group,
    member_of,
    now,
    open_tickets,
    record_change,
    ticket_event,
)
from services.tickets.models import (
    ASSIGNED,
    CANCELLED,
    DONE,
    FINISHED_STATUSES,
    IN_PROGRESS,
    ON_HOLD,
    UNASSIGNED,
    GroupMember,
    Ticket,
    TicketHistory,
    TicketType,
)

log = logging.getLogger(__name__)

ticket_schema = TicketSchema()
snapshot_schema = CustomerSnapshot()
EDITABLE = ("title", "content", "type_id", "deadline", "customer_id")


def _visible(actor):
    """SQL condition: tickets the actor may see."""
    if actor.is_admin:
        return true()
    return or_(
        Ticket.creator_id == actor.id,
        Ticket.assignee_id == actor.id,
        Ticket.group_id.in_(select(GroupMember.group_id).where(GroupMember.user_id == actor.id)),
    )


def _ticket(session, actor, ticket_id, lock=False):
    statement = select(Ticket).where(Ticket.id == ticket_id, _visible(actor))
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    ticket = session.scalar(statement)
    if ticket is None:
        raise exceptions.TicketNotFound()
    return ticket


def _locked_ticket(session, actor, ticket_id):
    """The ticket under its group's lock, then its row lock (always in this order)."""
    while True:
        group_id = _ticket(session, actor, ticket_id).group_id
        lock_group(session, group_id)
        ticket = _ticket(session, actor, ticket_id, lock=True)
        if ticket.group_id == group_id:
            return ticket
        session.rollback()  # moved to another group meanwhile: lock that one instead


def _group_of_type(session, type_id):
    ticket_type = session.get(TicketType, type_id)
    if ticket_type is None:
        raise exceptions.TicketTypeNotFound(fields={"type_id": ["No such ticket type."]})
    if ticket_type.group_id is None:
        raise exceptions.TicketTypeUnrouted(fields={"type_id": ["No support group handles this ticket type."]})
    return ticket_type.group_id


def _snapshot(data, customer):
    """The customer of a new/edited ticket: only with the customers service's snapshot."""
    if customer is None:
        if data.get("customer_id") is not None:
            raise exceptions.CustomerNotChecked(
                fields={
                    "customer_id": [
                        "Open the ticket through the customers service, which checks that you can see this customer."
                    ]
                }
            )
        return None
    customer = load(snapshot_schema, customer)
    if data.get("customer_id") not in (None, customer["id"]):
        raise exceptions.CustomerNotChecked(fields={"customer_id": ["Does not match the customer of the snapshot."]})
    return customer


def _title(value):
    title = value.strip()
    if not title:
        raise InvalidInput(fields={"title": ["Must not be blank."]})
    return title


def _event(session, actor, event_type, ticket, **extra):
    record_event(session, event_type, ticket_event(ticket, **extra), actor)


# -- reading ----------------------------------------------------------------


def list_tickets(session, actor, query):
    require_actor(actor)
    query = load(TicketQuery(), query)
    statement = select(Ticket).where(_visible(actor)).order_by(Ticket.id.desc())
    for name in ("status", "assignee_id", "group_id", "customer_id", "type_id"):
        if name in query:
            statement = statement.where(getattr(Ticket, name) == query[name])
    return paginate(session, statement, query["page"], query["page_size"], dump_ticket)


def get_ticket(session, actor, ticket_id):
    require_actor(actor)
    return dump_ticket(_ticket(session, actor, ticket_id))


def ticket_history(session, actor, ticket_id):
    require_actor(actor)
    _ticket(session, actor, ticket_id)
    entries = session.scalars(
        select(TicketHistory).where(TicketHistory.ticket_id == ticket_id).order_by(TicketHistory.id)
    ).all()
    return {"items": [dump_history(entry) for entry in entries]}


# -- opening and editing ----------------------------------------------------


def create_ticket(session, actor, data, customer=None):
    """Open a ticket; it waits ``unassigned`` until the dispatcher gives it to a free member.

    ``customer`` is the snapshot the customers service sends after checking
    that the actor can see the customer; a ``customer_id`` without it is refused.
    """
    require_actor(actor)
    data = load(ticket_schema, data)
    snapshot = _snapshot(data, customer)
    at = now()
    ticket = Ticket(
        title=_title(data["title"]),
        content=data["content"],
        type_id=data["type_id"],
        group_id=_group_of_type(session, data["type_id"]),
        deadline=data["deadline"],
        customer_id=snapshot["id"] if snapshot else None,
        customer=snapshot,
        creator_id=actor.id,
        status=UNASSIGNED,
        created_at=at,
        updated_at=at,
    )
    session.add(ticket)
    session.flush()
    record_change(session, ticket, "created", actor.id, None, None, at)
    _event(session, actor, "ticket_created", ticket)
    session.commit()
    log.info("ticket %s opened by %s in group %s", ticket.id, actor.id, ticket.group_id)
    return dump_ticket(ticket)


def update_ticket(session, actor, ticket_id, data, customer=None):
    """Edit deadline, customer, type, title, content; only while the ticket waits."""
    require_actor(actor)
    data = load(ticket_schema, data, partial=True)
    if "customer_id" in data:
        snapshot = _snapshot(data, customer) if data["customer_id"] is not None else None
    ticket = _locked_ticket(session, actor, ticket_id)
    if not actor.is_admin and ticket.creator_id != actor.id:
        raise exceptions.NotTicketEditor()
    if ticket.status != UNASSIGNED:
        raise exceptions.TicketNotEditable()
    changes = {}
    for name in EDITABLE:
        if name not in data:
            continue
        before = ticket_schema.dump(ticket).get(name)
        if name == "customer_id":
            ticket.customer_id, ticket.customer = (snapshot["id"], snapshot) if snapshot else (None, None)
        elif name == "type_id":
            ticket.group_id = _group_of_type(session, data["type_id"])
            ticket.type_id = data["type_id"]
        else:
            setattr(ticket, name, _title(data[name]) if name == "title" else data[name])
        after = ticket_schema.dump(ticket).get(name)
        if before != after:
            changes[name] = {"from": before, "to": after}
    if changes:
        at = now()
        ticket.updated_at = at
        record_change(session, ticket, "edited", actor.id, ticket.status, None, at, changes=changes)
        session.flush()
        _event(session, actor, "ticket_updated", ticket, changes=sorted(changes))
    session.commit()
    return dump_ticket(ticket)


# -- working on a ticket ----------------------------------------------------


def _require_holder(actor, ticket):
    if not actor.is_admin and ticket.assignee_id != actor.id:
        raise exceptions.NotTicketHolder()


def _require_status(ticket, allowed, action):
    if ticket.status not in allowed:
        raise exceptions.WrongTicketStatus(
            "Cannot {} a ticket that is {} (allowed when: {}).".format(action, ticket.status, ", ".join(allowed))
        )


def _has_room(session, ticket, member):
    if open_tickets(session, ticket.group_id, member.user_id) >= member.capacity:
        raise exceptions.MemberAtCapacity()


def _move(session, actor, ticket, status, action, event_type, reason=None):
    at = now()
    from_status = ticket.status
    ticket.status = status
    ticket.updated_at = at
    if status == IN_PROGRESS and ticket.started_at is None:
        ticket.started_at = at
    if status in FINISHED_STATUSES:
        ticket.completed_at = at
    record_change(session, ticket, action, actor.id, from_status, ticket.assignee_id, at, reason=reason)
    session.flush()
    _event(session, actor, event_type, ticket, previous_status=from_status)
    session.commit()
    log.info("ticket %s: %s by %s (%s -> %s)", ticket.id, action, actor.id, from_status, status)
    return dump_ticket(ticket)


def accept_ticket(session, actor, ticket_id):
    """A member takes a waiting ticket of their group (within their capacity)."""
    require_actor(actor)
    ticket = _locked_ticket(session, actor, ticket_id)
    member = member_of(session, ticket.group_id, actor.id)
    if member is None:
        raise exceptions.NotGroupMember()
    _require_status(ticket, (UNASSIGNED,), "accept")
    _has_room(session, ticket, member)
    give_ticket(session, ticket, member, "accepted", actor)
    session.commit()
    log.info("ticket %s accepted by %s", ticket.id, actor.id)
    return dump_ticket(ticket)


def start_ticket(session, actor, ticket_id):
    require_actor(actor)
    ticket = _locked_ticket(session, actor, ticket_id)
    _require_holder(actor, ticket)
    _require_status(ticket, (ASSIGNED, ON_HOLD), "start")
    if ticket.status == ON_HOLD:  # resuming makes the ticket open again: it counts against capacity
        member = member_of(session, ticket.group_id, ticket.assignee_id)
        if member is not None:
            _has_room(session, ticket, member)
    return _move(session, actor, ticket, IN_PROGRESS, "started", "ticket_started")


def hold_ticket(session, actor, ticket_id):
    require_actor(actor)
    ticket = _locked_ticket(session, actor, ticket_id)
    _require_holder(actor, ticket)
    _require_status(ticket, (ASSIGNED, IN_PROGRESS), "hold")
    return _move(session, actor, ticket, ON_HOLD, "held", "ticket_held")


def complete_ticket(session, actor, ticket_id):
    require_actor(actor)
    ticket = _locked_ticket(session, actor, ticket_id)
    _require_holder(actor, ticket)
    _require_status(ticket, (ASSIGNED, IN_PROGRESS, ON_HOLD), "complete")
    return _move(session, actor, ticket, DONE, "completed", "ticket_completed")


def cancel_ticket(session, actor, ticket_id):
    """The creator, the assignee or an admin cancels a ticket that is not finished."""
    require_actor(actor)
    ticket = _locked_ticket(session, actor, ticket_id)
    if not actor.is_admin and actor.id not in (ticket.creator_id, ticket.assignee_id):
        raise exceptions.NotTicketHolder("Only the ticket's creator, its assignee or an admin can cancel it.")
    _require_status(ticket, (UNASSIGNED, ASSIGNED, IN_PROGRESS, ON_HOLD), "cancel")
    return _move(session, actor, ticket, CANCELLED, "cancelled", "ticket_cancelled")


def transfer_ticket(session, actor, ticket_id, data):
    """The holder (or an admin) hands the ticket to another member of the group, with a reason."""
    require_actor(actor)
    data = load(Transfer(), data)
    ticket = _locked_ticket(session, actor, ticket_id)
    _require_holder(actor, ticket)
    _require_status(ticket, (ASSIGNED, IN_PROGRESS, ON_HOLD), "transfer")
    if data["user_id"] == ticket.assignee_id:
        raise exceptions.WrongTicketStatus("The ticket is already held by this user.", code="ALREADY_ASSIGNEE")
    member = member_of(session, ticket.group_id, data["user_id"])
    if member is None:
        raise exceptions.MemberNotFound(fields={"user_id": ["Not a member of the ticket's support group."]})
    _has_room(session, ticket, member)
    previous = ticket.assignee_id
    give_ticket(session, ticket, member, "transferred", actor, reason=data["reason"])
    _event(session, actor, "ticket_transferred", ticket, previous_assignee_id=previous, reason=data["reason"])
    session.commit()
    log.info("ticket %s transferred by %s from %s to %s", ticket.id, actor.id, previous, member.user_id)
    return dump_ticket(ticket)
