"""KPI per employee over a period ``[from, to)``.

- received: tickets given to the employee in the period (dispatched, accepted or transferred to them);
- completed: tickets the employee completed in the period;
- completed_on_time: of those, completed by their deadline (a ticket without deadline is on time);
- open: tickets the employee holds now, ``assigned`` or ``in_progress``;
- avg_hours_to_complete: mean time from the employee receiving a ticket to completing it, for the
  tickets completed in the period (null when none).

Admins see every employee (members of a support group, or anyone with figures); a department
manager sees themself and the active members of the departments they manage (asked of the
directory); anyone else sees themself.
"""

from sqlalchemy import distinct, extract, func, or_, select, true

from services.core.actor import require_actor
from services.core.business_time import local
from services.core.contracts.tickets import Kpi, KpiQuery
from services.core.schemas import load
from services.tickets import exceptions
from services.tickets.models import DONE, OPEN_STATUSES, GroupMember, Ticket, TicketHistory

RECEIVING_ACTIONS = ("assigned", "accepted", "transferred")

kpi_schema = Kpi()


def _allowed_employees(uow):
    """Whose KPI a non-admin may see: themself and the members of the departments they manage
    (asked of the directory before our transaction opens)."""
    actor = uow.actor
    allowed = {actor.id}
    if actor.managed_department_ids:
        found = uow.services.directory.active_members([], list(actor.managed_department_ids))
        for members in found["department_members"].values():
            allowed.update(members)
    return allowed


def employee_kpi(uow, query):
    actor = require_actor(uow.actor)
    query = load(KpiQuery(), query)
    wanted = query.get("user_id")
    if not actor.is_admin:
        allowed = _allowed_employees(uow)
        if wanted and set(wanted) - allowed:
            raise exceptions.KpiNotAllowed()
        wanted = sorted(wanted or allowed)
    with uow:
        return _figures(uow.session, query["start"], query["end"], wanted)


def _figures(session, start, end, wanted):
    """The KPI rows of ``wanted`` (None: everyone with figures or in a support group)."""

    def only_wanted(column):
        return column.in_(wanted) if wanted else true()

    received = dict(
        session.execute(
            select(TicketHistory.to_assignee_id, func.count(distinct(TicketHistory.ticket_id)))
            .where(
                TicketHistory.action.in_(RECEIVING_ACTIONS),
                TicketHistory.at >= start,
                TicketHistory.at < end,
                TicketHistory.to_assignee_id.is_not(None),
                only_wanted(TicketHistory.to_assignee_id),
            )
            .group_by(TicketHistory.to_assignee_id)
        ).all()
    )
    on_time = or_(Ticket.deadline.is_(None), Ticket.completed_at <= Ticket.deadline)
    hours = extract("epoch", Ticket.completed_at - Ticket.assigned_at) / 3600.0
    completed = {
        row.user_id: row
        for row in session.execute(
            select(
                Ticket.assignee_id.label("user_id"),
                func.count().label("completed"),
                func.count().filter(on_time).label("on_time"),
                func.avg(hours).label("avg_hours"),
            )
            .where(
                Ticket.status == DONE,
                Ticket.completed_at >= start,
                Ticket.completed_at < end,
                only_wanted(Ticket.assignee_id),
            )
            .group_by(Ticket.assignee_id)
        )
    }
    open_now = dict(
        session.execute(
            select(Ticket.assignee_id, func.count())
            .where(Ticket.status.in_(OPEN_STATUSES), only_wanted(Ticket.assignee_id))
            .group_by(Ticket.assignee_id)
        ).all()
    )
    if wanted:
        user_ids = set(wanted)
    else:
        user_ids = (
            set(received)
            | set(completed)
            | set(open_now)
            | set(session.scalars(select(GroupMember.user_id).distinct()).all())
        )
    items = []
    for user_id in sorted(user_ids):
        done = completed.get(user_id)
        items.append(
            {
                "user_id": user_id,
                "received": received.get(user_id, 0),
                "completed": done.completed if done else 0,
                "completed_on_time": done.on_time if done else 0,
                "open": open_now.get(user_id, 0),
                "avg_hours_to_complete": round(float(done.avg_hours), 2)
                if done and done.avg_hours is not None
                else None,
            }
        )
    return kpi_schema.dump({"start": local(start).isoformat(), "end": local(end).isoformat(), "items": items})
