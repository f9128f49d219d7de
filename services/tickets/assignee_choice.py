"""Who gets which waiting ticket: the dispatch rules of SPEC §3, as pure functions.

A member is *free* when available (not marked away) and holding fewer open
tickets (``assigned``, ``in_progress``) of the group than their capacity.  The
waiting queue is served earliest deadline first (tickets without a deadline
last), then oldest.  Each ticket goes to the free member with the highest
priority; ties go to the one with fewer open tickets, then to the one idle
longest (never assigned first, then the earliest last assignment), then to the
lowest user id so that the choice is deterministic.

The dispatcher (:mod:`services.tickets.dispatcher`) loads the facts under the
group's lock and applies the plan these functions return.
"""

import datetime
from dataclasses import dataclass, replace

_NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)
_NO_DEADLINE = datetime.datetime.max.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Member:
    user_id: int
    priority: int
    capacity: int = 1
    available: bool = True
    open_tickets: int = 0
    last_assigned_at: datetime.datetime | None = None

    @property
    def free(self):
        return self.available and self.open_tickets < self.capacity

    @property
    def free_slots(self):
        return max(self.capacity - self.open_tickets, 0) if self.available else 0


@dataclass(frozen=True)
class WaitingTicket:
    id: int
    created_at: datetime.datetime
    deadline: datetime.datetime | None = None


def queue_key(ticket):
    """Sort key of the waiting queue: earliest deadline first (none last), then oldest."""
    return (ticket.deadline is None, ticket.deadline or _NO_DEADLINE, ticket.created_at, ticket.id)


def member_key(member):
    """Sort key of free members, best first."""
    return (-member.priority, member.open_tickets, member.last_assigned_at or _NEVER, member.user_id)


def choose_member(members):
    """The free member who gets the next ticket, or None when nobody is free."""
    free = [member for member in members if member.free]
    return min(free, key=member_key) if free else None


def plan_assignments(members, waiting, now):
    """``[(ticket_id, user_id)]``: the waiting tickets given out, in queue order.

    Each assignment counts against the member at once (one more open ticket,
    last assigned ``now``), so the next ticket of the batch sees the new state.
    """
    members = {member.user_id: member for member in members}
    plan = []
    for position, ticket in enumerate(sorted(waiting, key=queue_key)):
        chosen = choose_member(members.values())
        if chosen is None:
            break
        # later picks of this batch count as more recent, so equal members take turns
        assigned_at = now + datetime.timedelta(microseconds=position)
        members[chosen.user_id] = replace(chosen, open_tickets=chosen.open_tickets + 1, last_assigned_at=assigned_at)
        plan.append((ticket.id, chosen.user_id))
    return plan


def free_slots(members):
    """How many more tickets the group can take right now."""
    return sum(member.free_slots for member in members)
