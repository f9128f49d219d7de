"""The dispatcher: gives a support group's waiting tickets to its free members.

It runs on ``ticket_created`` and on every event that may free a member
(a ticket completed, cancelled, held or transferred away, a member available
again, members added or capacities raised), and as a periodic sweep in case an
event was lost.  Each run is one transaction under the group's lock
(:func:`services.tickets.assignment.lock_group`) that reads the members and
their open tickets, asks :mod:`services.tickets.assignee_choice` for the plan
and applies it, so several instances of the service can dispatch side by side.

One bad row never stops a group: a waiting ticket whose row cannot be read (a date beyond what
Python's ``datetime`` holds, stored before the API range-checked it) is left waiting and the
others are dispatched; the event about that ticket itself ends in the dead letters
(:class:`~services.tickets.exceptions.UnreadableTicket`), for an operator to see.
"""

import datetime
import logging

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from services.core.consumer import first_delivery
from services.core.errors import ConcurrentChange
from services.tickets import assignee_choice, exceptions
from services.tickets.assignment import give_ticket, lock_group, now, open_tickets_by_member
from services.tickets.models import UNASSIGNED, GroupMember, Ticket

log = logging.getLogger(__name__)

CONSUMER = "tickets.dispatch"

# what a row that the database holds but Python cannot represent raises when it is read
UNREADABLE = (ValueError, OverflowError)


def _queue(group_id):
    """The group's waiting tickets, earliest deadline first (none last), then oldest."""
    return (
        select(Ticket.id, Ticket.created_at, Ticket.deadline)
        .where(Ticket.group_id == group_id, Ticket.status == UNASSIGNED)
        .order_by(Ticket.deadline.asc().nulls_last(), Ticket.created_at, Ticket.id)
    )


def waiting_tickets(session, group_id, wanted):
    """Up to ``wanted`` readable waiting tickets of the group, in queue order, and the ids of the
    waiting tickets whose row cannot be read (those are skipped, the next ones taken instead)."""
    queue = _queue(group_id)
    try:
        return session.execute(queue.limit(wanted)).all(), []
    except UNREADABLE:
        log.warning("group %s has waiting tickets that cannot be read; reading them one by one", group_id)
    found, unreadable = [], []
    for ticket_id in session.scalars(select(queue.subquery().c.id)).all():
        try:
            found.append(session.execute(queue.where(Ticket.id == ticket_id)).one())
        except UNREADABLE as exc:
            log.error("ticket %s cannot be read (%s): left waiting, not dispatched", ticket_id, exc)
            unreadable.append(ticket_id)
            continue
        if len(found) == wanted:
            break
    return found, unreadable


def dispatch_group(uow, group_id):
    """Assign what can be assigned in one group now, in the open block of ``uow``; commits.

    Returns ``(plan, unreadable)``: ``[(ticket_id, user_id)]`` given out, and the ids of waiting
    tickets skipped because their row cannot be read."""
    session = uow.session
    lock_group(session, group_id)
    rows = session.scalars(select(GroupMember).where(GroupMember.group_id == group_id)).all()
    counts = open_tickets_by_member(session, group_id)
    members = [
        assignee_choice.Member(
            user_id=row.user_id,
            priority=row.priority,
            capacity=row.capacity,
            available=row.available,
            open_tickets=counts.get(row.user_id, 0),
            last_assigned_at=row.last_assigned_at,
        )
        for row in rows
    ]
    slots = assignee_choice.free_slots(members)
    if not slots:
        uow.commit()  # releases the lock
        return [], []
    waiting, unreadable = waiting_tickets(session, group_id, slots)
    if not waiting:
        uow.commit()
        return [], unreadable
    at = now()
    plan = assignee_choice.plan_assignments(
        members,
        [assignee_choice.WaitingTicket(id=w.id, created_at=w.created_at, deadline=w.deadline) for w in waiting],
        at,
    )
    tickets = {
        t.id: t
        for t in session.scalars(
            select(Ticket).where(Ticket.id.in_([ticket_id for ticket_id, _ in plan])).with_for_update()
        )
    }
    by_user = {row.user_id: row for row in rows}
    for position, (ticket_id, user_id) in enumerate(plan):
        ticket = tickets[ticket_id]
        if ticket.status != UNASSIGNED:  # cannot happen under the lock; never give a ticket twice
            log.error("ticket %s changed under the group lock (status %s); skipped", ticket_id, ticket.status)
            continue
        give_ticket(session, ticket, by_user[user_id], "assigned", at=at + datetime.timedelta(microseconds=position))
    uow.commit()
    if plan:
        log.info("group %s: assigned %s", group_id, ", ".join("#{}→{}".format(t, u) for t, u in plan))
    return plan, unreadable


def dispatch_group_retrying(uow, group_id, event_id=None, attempts=3):
    """:func:`dispatch_group` in its own transaction, retried when the database breaks it (deadlock,
    lost connection).  With ``event_id``, once per event: the delivery record commits with the
    dispatch (None when the event was already applied)."""
    for attempt in range(1, attempts + 1):
        try:
            with uow:
                if event_id is not None and not first_delivery(uow.session, CONSUMER, event_id):
                    return None
                return dispatch_group(uow, group_id)
        except (DBAPIError, ConcurrentChange):
            if attempt == attempts:
                raise
            log.warning("dispatch of group %s failed (attempt %s); retrying", group_id, attempt, exc_info=True)


def on_event(uow, event):
    """Dispatch the group of an event that may free a member or add a waiting ticket, once per event.

    A failed run is caught by the sweep.  When the event's own ticket cannot be read, the others
    are dispatched and the event goes to the dead letters."""
    data = event["data"]
    outcome = dispatch_group_retrying(uow, data["group_id"], event_id=event["id"])
    if outcome is None:
        return
    _, unreadable = outcome
    ticket_id = data.get("id")  # ticket events carry the ticket; group events do not
    if ticket_id is not None and ticket_id in unreadable:
        raise exceptions.UnreadableTicket(
            "Ticket {} cannot be read (a date out of range); it stays waiting.".format(ticket_id)
        )


def groups_with_waiting_tickets(uow):
    with uow:
        groups = uow.session.scalars(select(Ticket.group_id).where(Ticket.status == UNASSIGNED).distinct()).all()
    return sorted(groups)


def sweep(uow):
    """Dispatch every group that has waiting tickets (the safety net behind the events); a group
    that fails is logged and the next one dispatched."""
    assigned = 0
    for group_id in groups_with_waiting_tickets(uow):
        try:
            plan, _ = dispatch_group_retrying(uow, group_id)
        except Exception:
            log.exception("sweep: dispatching group %s failed; going on with the others", group_id)
            continue
        assigned += len(plan)
    if assigned:
        log.info("sweep assigned %s waiting tickets that no event had dispatched", assigned)
    return assigned
