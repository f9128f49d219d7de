"""Use cases of tickets: open, edit while waiting, work on them, transfer, history.

Who may see a ticket: admins, its creator, its assignee, and members of its
support group; everyone else gets 404.

A ticket's customer is asked of the customers service by tickets itself
(``customer_snapshot``, with the actor of the call: 404 for a customer the actor
cannot see), before the ticket's transaction opens; no caller hands tickets a
snapshot.  What a reader sees of that customer afterwards: :mod:`customer_view`.
"""

import logging

from sqlalchemy import and_, or_, select, true

from services.core.actor import require_actor
from services.core.contracts.customers import ContactSnapshot, CustomerSnapshot
from services.core.contracts.tickets import Ticket as TicketSchema
from services.core.contracts.tickets import TicketQuery, Transfer
from services.core.errors import ConcurrentChange, InvalidInput
from services.core.schemas import MAX_PAGE_SIZE, load, paginate
from services.tickets import customer_view, exceptions
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
    HELD_STATUSES,
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
contact_schema = ContactSnapshot()
EDITABLE = ("title", "content", "type_id", "deadline", "customer_id", "contact_id")


def _visible(actor):
    """SQL condition: tickets the actor may see."""
    if actor.is_admin:
        return true()
    return or_(
        Ticket.creator_id == actor.id,
        Ticket.assignee_id == actor.id,
        Ticket.group_id.in_(select(GroupMember.group_id).where(GroupMember.user_id == actor.id)),
    )


def _seen_by_work(actor):
    """SQL condition: tickets whose customer the actor sees because of the work (their creator, or
    their assignee while holding them), whoever that customer is (SPEC §1)."""
    return or_(
        Ticket.creator_id == actor.id,
        and_(Ticket.assignee_id == actor.id, Ticket.status.in_(HELD_STATUSES)),
    )


def _ticket(session, actor, ticket_id, lock=False):
    statement = select(Ticket).where(Ticket.id == ticket_id, _visible(actor))
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    ticket = session.scalar(statement)
    if ticket is None:
        raise exceptions.TicketNotFound()
    return ticket


def _locked_ticket(uow, ticket_id):
    """The ticket under its group's lock, then its row lock (always in this order)."""
    while True:
        group_id = _ticket(uow.session, uow.actor, ticket_id).group_id
        lock_group(uow.session, group_id)
        ticket = _ticket(uow.session, uow.actor, ticket_id, lock=True)
        if ticket.group_id == group_id:
            return ticket
        uow.rollback()  # moved to another group meanwhile: lock that one instead


def _group_of_type(session, type_id):
    ticket_type = session.get(TicketType, type_id)
    if ticket_type is None:
        raise exceptions.TicketTypeNotFound(fields={"type_id": ["No such ticket type."]})
    if ticket_type.group_id is None:
        raise exceptions.TicketTypeUnrouted(fields={"type_id": ["No support group handles this ticket type."]})
    return ticket_type.group_id


def _customer_snapshot(uow, customer_id, contact_id=None):
    """The customers service's snapshot of a customer the actor sees (its 404 otherwise), with the
    ticket's contact (one of that customer's contacts) if given; None without a customer.

    Asked before any transaction of ours opens (no lock is held while customers answers)."""
    if customer_id is None:
        if contact_id is not None:
            raise InvalidInput(fields={"contact_id": ["A contact needs the ticket's customer (customer_id)."]})
        return None
    snapshot = load(snapshot_schema, uow.services.customers.customer_snapshot(customer_id), unknown="exclude")
    snapshot["contact"] = _contact(uow, customer_id, contact_id) if contact_id is not None else None
    return snapshot


def _contact(uow, customer_id, contact_id):
    """The snapshot of contact ``contact_id`` of the customer, found in the customers service's
    list of that customer's contacts (404 when the actor cannot see the customer)."""
    page = 1
    while True:
        found = uow.services.customers.list_contacts(customer_id, {"page": page, "page_size": MAX_PAGE_SIZE})
        for contact in found["items"]:
            if contact["id"] == contact_id:
                return load(contact_schema, contact, unknown="exclude")
        if page * MAX_PAGE_SIZE >= found["total"]:
            raise exceptions.ContactNotFound(fields={"contact_id": ["Not a contact of this customer."]})
        page += 1


def _title(value):
    title = value.strip()
    if not title:
        raise InvalidInput(fields={"title": ["Must not be blank."]})
    return title


def _event(uow, event_type, ticket, **extra):
    uow.record_event(event_type, ticket_event(ticket, **extra))


def _shown(uow, ticket):
    """A ticket leaving the service, as the actor may see its customer (after the transaction)."""
    return customer_view.shown(uow, ticket)


# -- reading ----------------------------------------------------------------


def list_tickets(uow, query):
    """The tickets the actor sees.  Listed by a customer the actor cannot see, only the tickets they
    see that customer on by their work: the list does not tell that this customer has others."""
    actor = require_actor(uow.actor)
    query = load(TicketQuery(), query)
    statement = select(Ticket).where(_visible(actor)).order_by(Ticket.id.desc())
    for name in ("status", "assignee_id", "group_id", "customer_id", "type_id"):
        if name in query:
            statement = statement.where(getattr(Ticket, name) == query[name])
    if "customer_id" in query and not customer_view.sees_customer(uow, query["customer_id"]):
        statement = statement.where(_seen_by_work(actor))
    with uow:
        found = paginate(uow.session, statement, query["page"], query["page_size"], dump_ticket)
    return customer_view.shown(uow, found)


def get_ticket(uow, ticket_id):
    actor = require_actor(uow.actor)
    with uow:
        ticket = dump_ticket(_ticket(uow.session, actor, ticket_id))
    return _shown(uow, ticket)


def ticket_history(uow, ticket_id):
    actor = require_actor(uow.actor)
    with uow:
        ticket = dump_ticket(_ticket(uow.session, actor, ticket_id))
        entries = uow.session.scalars(
            select(TicketHistory).where(TicketHistory.ticket_id == ticket_id).order_by(TicketHistory.id)
        ).all()
        history = {"items": [dump_history(entry) for entry in entries]}
    return customer_view.shown_history(uow, ticket, history)


# -- opening and editing ----------------------------------------------------


def create_ticket(uow, data):
    """Open a ticket; it waits ``unassigned`` until the dispatcher gives it to a free member.

    With a ``customer_id``, the customers service is asked for that customer's snapshot first
    (404 when the creator cannot see it)."""
    actor = require_actor(uow.actor)
    data = load(ticket_schema, data)
    snapshot = _customer_snapshot(uow, data["customer_id"], data["contact_id"])
    with uow:
        at = now()
        ticket = Ticket(
            title=_title(data["title"]),
            content=data["content"],
            type_id=data["type_id"],
            group_id=_group_of_type(uow.session, data["type_id"]),
            deadline=data["deadline"],
            customer_id=snapshot["id"] if snapshot else None,
            contact_id=data["contact_id"] if snapshot else None,
            customer=snapshot,
            creator_id=actor.id,
            status=UNASSIGNED,
            created_at=at,
            updated_at=at,
        )
        uow.session.add(ticket)
        uow.session.flush()
        record_change(uow.session, ticket, "created", actor.id, None, None, at)
        _event(uow, "ticket_created", ticket)
        uow.commit()
    log.info("ticket %s opened by %s in group %s", ticket.id, actor.id, ticket.group_id)
    return _shown(uow, dump_ticket(ticket))


def update_ticket(uow, ticket_id, data):
    """Edit deadline, customer (and its contact), type, title, content; only while the ticket waits.

    A new customer or contact is asked of the customers service first (404 when the editor cannot
    see the customer); a new customer without ``contact_id`` leaves the ticket without contact."""
    actor = require_actor(uow.actor)
    data = load(ticket_schema, data, partial=True)
    snapshot = contact = customer_asked = None
    if "customer_id" in data:
        snapshot = _customer_snapshot(uow, data["customer_id"], data.get("contact_id"))
    elif data.get("contact_id") is not None:  # a contact of the ticket's current customer
        with uow:
            customer_asked = _ticket(uow.session, actor, ticket_id).customer_id
        contact = _customer_snapshot(uow, customer_asked, data["contact_id"])["contact"]
    with uow:
        ticket = _locked_ticket(uow, ticket_id)
        if not actor.is_admin and ticket.creator_id != actor.id:
            raise exceptions.NotTicketEditor()
        if ticket.status != UNASSIGNED:
            raise exceptions.TicketNotEditable()
        before = ticket_schema.dump(ticket)
        if "customer_id" in data:
            ticket.customer_id = snapshot["id"] if snapshot else None
            ticket.contact_id = data.get("contact_id") if snapshot else None
            ticket.customer = snapshot
        elif "contact_id" in data:
            if contact is not None and ticket.customer_id != customer_asked:
                raise ConcurrentChange()  # its customer changed while we asked about the contact
            ticket.contact_id = data["contact_id"]
            ticket.customer = dict(ticket.customer, contact=contact) if ticket.customer else None
        if "type_id" in data:
            ticket.group_id = _group_of_type(uow.session, data["type_id"])
            ticket.type_id = data["type_id"]
        for name in ("title", "content", "deadline"):
            if name in data:
                setattr(ticket, name, _title(data[name]) if name == "title" else data[name])
        after = ticket_schema.dump(ticket)
        changes = {
            name: {"from": before.get(name), "to": after.get(name)}
            for name in EDITABLE
            if before.get(name) != after.get(name)
        }
        if changes:
            at = now()
            ticket.updated_at = at
            record_change(uow.session, ticket, "edited", actor.id, ticket.status, None, at, changes=changes)
            uow.session.flush()
            _event(uow, "ticket_updated", ticket, changes=sorted(changes))
        uow.commit()
    return _shown(uow, dump_ticket(ticket))


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


def _move(uow, ticket, status, action, event_type, reason=None):
    """Change the status of the locked ticket (history, event) and commit."""
    at = now()
    from_status = ticket.status
    ticket.status = status
    ticket.updated_at = at
    if status == IN_PROGRESS and ticket.started_at is None:
        ticket.started_at = at
    if status in FINISHED_STATUSES:
        ticket.completed_at = at
    record_change(uow.session, ticket, action, uow.actor.id, from_status, ticket.assignee_id, at, reason=reason)
    uow.session.flush()
    _event(uow, event_type, ticket, previous_status=from_status)
    uow.commit()
    log.info("ticket %s: %s by %s (%s -> %s)", ticket.id, action, uow.actor.id, from_status, status)
    return dump_ticket(ticket)


def accept_ticket(uow, ticket_id):
    """A member takes a waiting ticket of their group (within their capacity)."""
    actor = require_actor(uow.actor)
    with uow:
        ticket = _locked_ticket(uow, ticket_id)
        member = member_of(uow.session, ticket.group_id, actor.id)
        if member is None:
            raise exceptions.NotGroupMember()
        _require_status(ticket, (UNASSIGNED,), "accept")
        _has_room(uow.session, ticket, member)
        give_ticket(uow.session, ticket, member, "accepted", actor)
        uow.commit()
    log.info("ticket %s accepted by %s", ticket.id, actor.id)
    return _shown(uow, dump_ticket(ticket))


def start_ticket(uow, ticket_id):
    """Start an assigned ticket, or resume a held one.

    The assignee may always resume their own held ticket, even when that puts them over their
    capacity (SPEC §3): holding a ticket frees a place the dispatcher may fill meanwhile, and the
    held ticket must not be stuck behind it.  Over capacity, the dispatcher gives them nothing new
    until they are below it again (:func:`assignee_choice.free_slots`)."""
    actor = require_actor(uow.actor)
    with uow:
        ticket = _locked_ticket(uow, ticket_id)
        _require_holder(actor, ticket)
        _require_status(ticket, (ASSIGNED, ON_HOLD), "start")
        started = _move(uow, ticket, IN_PROGRESS, "started", "ticket_started")
    return _shown(uow, started)


def hold_ticket(uow, ticket_id):
    actor = require_actor(uow.actor)
    with uow:
        ticket = _locked_ticket(uow, ticket_id)
        _require_holder(actor, ticket)
        _require_status(ticket, (ASSIGNED, IN_PROGRESS), "hold")
        held = _move(uow, ticket, ON_HOLD, "held", "ticket_held")
    return _shown(uow, held)


def complete_ticket(uow, ticket_id):
    actor = require_actor(uow.actor)
    with uow:
        ticket = _locked_ticket(uow, ticket_id)
        _require_holder(actor, ticket)
        _require_status(ticket, (ASSIGNED, IN_PROGRESS, ON_HOLD), "complete")
        completed = _move(uow, ticket, DONE, "completed", "ticket_completed")
    return _shown(uow, completed)


def cancel_ticket(uow, ticket_id):
    """The creator, the assignee or an admin cancels a ticket that is not finished."""
    actor = require_actor(uow.actor)
    with uow:
        ticket = _locked_ticket(uow, ticket_id)
        if not actor.is_admin and actor.id not in (ticket.creator_id, ticket.assignee_id):
            raise exceptions.NotTicketHolder("Only the ticket's creator, its assignee or an admin can cancel it.")
        _require_status(ticket, (UNASSIGNED, ASSIGNED, IN_PROGRESS, ON_HOLD), "cancel")
        cancelled = _move(uow, ticket, CANCELLED, "cancelled", "ticket_cancelled")
    return _shown(uow, cancelled)


def transfer_ticket(uow, ticket_id, data):
    """The holder (or an admin) hands the ticket to another member of the group, with a reason."""
    actor = require_actor(uow.actor)
    data = load(Transfer(), data)
    with uow:
        ticket = _locked_ticket(uow, ticket_id)
        _require_holder(actor, ticket)
        _require_status(ticket, (ASSIGNED, IN_PROGRESS, ON_HOLD), "transfer")
        if data["user_id"] == ticket.assignee_id:
            raise exceptions.WrongTicketStatus("The ticket is already held by this user.", code="ALREADY_ASSIGNEE")
        member = member_of(uow.session, ticket.group_id, data["user_id"])
        if member is None:
            raise exceptions.MemberNotFound(fields={"user_id": ["Not a member of the ticket's support group."]})
        _has_room(uow.session, ticket, member)
        previous = ticket.assignee_id
        give_ticket(uow.session, ticket, member, "transferred", actor, reason=data["reason"])
        _event(uow, "ticket_transferred", ticket, previous_assignee_id=previous, reason=data["reason"])
        uow.commit()
    log.info("ticket %s transferred by %s from %s to %s", ticket.id, actor.id, previous, member.user_id)
    return _shown(uow, dump_ticket(ticket))
