"""Giving a ticket to somebody, and the record of every change of a ticket.

Every change of who holds a ticket (and every change that frees a member)
happens under the support group's lock, :func:`lock_group`: a transaction-level
advisory lock on the group, always the first lock such a transaction takes.
Dispatcher runs on several instances, accepts, transfers and resumes are
therefore serialised per group, so a member's open tickets are counted and
raised by one transaction at a time: nobody goes past capacity and no ticket is
given twice.
"""

import datetime

from sqlalchemy import func, select

from services.core.contracts.tickets import Ticket as TicketSchema
from services.core.contracts.tickets import TicketHistoryEntry
from services.core.db import advisory_lock
from services.core.outbox import record_event
from services.tickets.models import (
    ASSIGNED,
    HELD_STATUSES,
    OPEN_STATUSES,
    UNASSIGNED,
    GroupMember,
    Ticket,
    TicketHistory,
)

# first key of the two-key advisory lock: "a tickets support group"
GROUP_LOCK = 7301

ticket_schema = TicketSchema()
history_schema = TicketHistoryEntry()


def now():
    return datetime.datetime.now(datetime.UTC)


def lock_group(session, group_id):
    """Wait for, then hold until commit/rollback, the lock of one support group."""
    advisory_lock(session, GROUP_LOCK, group_id)


def dump_ticket(ticket):
    return ticket_schema.dump(ticket)


def ticket_event(ticket, **extra):
    """Data of every ticket event: the ticket as the API shows it (``id``, ``group_id``,
    ``assignee_id``, ``title``, ``deadline``...) plus what the event adds."""
    data = dump_ticket(ticket)
    data.update(extra)
    return data


def dump_history(entry):
    return history_schema.dump(entry)


def open_tickets(session, group_id, user_id):
    """How many open tickets (``assigned``, ``in_progress``) of the group the user holds."""
    return session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.group_id == group_id, Ticket.assignee_id == user_id, Ticket.status.in_(OPEN_STATUSES))
    )


def open_tickets_by_member(session, group_id):
    rows = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.group_id == group_id, Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee_id)
    ).all()
    return {user_id: count for user_id, count in rows}


def record_change(session, ticket, action, actor_id, from_status, from_assignee_id, at, reason=None, changes=None):
    session.add(
        TicketHistory(
            ticket_id=ticket.id,
            at=at,
            actor_id=actor_id,
            action=action,
            from_status=from_status,
            to_status=ticket.status,
            from_assignee_id=from_assignee_id,
            to_assignee_id=ticket.assignee_id,
            reason=reason,
            changes=changes,
        )
    )


def give_ticket(session, ticket, member, action, actor=None, at=None, reason=None):
    """Make ``member`` (a GroupMember row) the holder of ``ticket``, status ``assigned``.

    The caller holds the group's lock and has checked the member's capacity.
    Records the history entry and the ``ticket_assigned`` event.
    """
    at = at or now()
    from_status, from_assignee_id = ticket.status, ticket.assignee_id
    ticket.status = ASSIGNED
    ticket.assignee_id = member.user_id
    ticket.assigned_at = at
    ticket.started_at = None
    ticket.updated_at = at
    member.last_assigned_at = at
    record_change(session, ticket, action, actor.id if actor else None, from_status, from_assignee_id, at, reason)
    session.flush()
    record_event(
        session, "ticket_assigned", ticket_event(ticket, previous_assignee_id=from_assignee_id, how=action), actor
    )


def take_back(session, group_id, user_ids, actor, reason):
    """The unfinished tickets (assigned, in progress, on hold) that ``user_ids`` hold in the group
    go back to waiting, for the dispatcher to give to others; returns how many.

    The caller holds the group's lock.
    """
    tickets = session.scalars(
        select(Ticket)
        .where(
            Ticket.group_id == group_id,
            Ticket.assignee_id.in_(list(user_ids)),
            Ticket.status.in_(HELD_STATUSES),
        )
        .order_by(Ticket.id)
        .with_for_update()
    ).all()
    at = now()
    for ticket in tickets:
        from_status, from_assignee_id = ticket.status, ticket.assignee_id
        ticket.status, ticket.assignee_id = UNASSIGNED, None
        ticket.assigned_at = ticket.started_at = None
        ticket.updated_at = at
        record_change(session, ticket, "unassigned", actor.id, from_status, from_assignee_id, at, reason=reason)
    session.flush()
    return len(tickets)


def member_of(session, group_id, user_id):
    return session.get(GroupMember, (group_id, user_id))
