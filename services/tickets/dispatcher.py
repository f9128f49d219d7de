"""The dispatcher: gives a support group's waiting tickets to its free members.

It runs on ``ticket_created`` and on every event that may free a member
(a ticket completed, cancelled, held or transferred away, a member available
again, members added or capacities raised), and as a periodic sweep in case an
event was lost.  Each run is one transaction under the group's lock
(:func:`services.tickets.assignment.lock_group`) that reads the members and
their open tickets, asks :mod:`services.tickets.assignee_choice` for the plan
and applies it, so several instances of the service can dispatch side by side.
"""

import datetime
import logging

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from services.core.consumer import first_delivery
from services.core.errors import ConcurrentChange
from services.tickets import assignee_choice
from services.tickets.assignment import give_ticket, lock_group, now, open_tickets_by_member
from services.tickets.models import UNASSIGNED, GroupMember, Ticket

log = logging.getLogger(__name__)

DISPATCHER = "dispatcher"


def dispatch_group(session, group_id):
    """Assign what can be assigned in one group now; commits; returns ``[(ticket_id, user_id)]``."""
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
        session.commit()  # releases the lock
        return []
    waiting = session.execute(
        select(Ticket.id, Ticket.created_at, Ticket.deadline)
        .where(Ticket.group_id == group_id, Ticket.status == UNASSIGNED)
        .order_by(Ticket.deadline.asc().nulls_last(), Ticket.created_at, Ticket.id)
        .limit(slots)
    ).all()
    if not waiting:
        session.commit()
        return []
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
    session.commit()
    if plan:
        log.info("group %s: assigned %s", group_id, ", ".join("#{}→{}".format(t, u) for t, u in plan))
    return plan


def dispatch_group_retrying(session, group_id, attempts=3):
    """:func:`dispatch_group`, retried when the database breaks the transaction (deadlock, lost connection)."""
    for attempt in range(1, attempts + 1):
        try:
            return dispatch_group(session, group_id)
        except (DBAPIError, ConcurrentChange):
            session.rollback()
            if attempt == attempts:
                raise
            log.warning("dispatch of group %s failed (attempt %s); retrying", group_id, attempt, exc_info=True)


def on_event(session, event, consumer="tickets.dispatch"):
    """Dispatch the group of an event that may free a member or add a waiting ticket, once per event.

    The delivery record commits with the dispatch; a failed run is caught by the sweep.
    """
    if not first_delivery(session, consumer, event["id"]):
        session.rollback()
        return
    dispatch_group_retrying(session, event["data"]["group_id"])


def groups_with_waiting_tickets(session):
    groups = session.scalars(select(Ticket.group_id).where(Ticket.status == UNASSIGNED).distinct()).all()
    session.rollback()
    return sorted(groups)


def sweep(session):
    """Dispatch every group that has waiting tickets (the safety net behind the events)."""
    assigned = 0
    for group_id in groups_with_waiting_tickets(session):
        assigned += len(dispatch_group_retrying(session, group_id))
    if assigned:
        log.info("sweep assigned %s waiting tickets that no event had dispatched", assigned)
    return assigned
