"""The choice of assignee and the waiting queue of the dispatcher, as pure functions."""

import datetime

from services.tickets.assignee_choice import (
    Member,
    WaitingTicket,
    choose_member,
    free_slots,
    plan_assignments,
    queue_key,
)

T0 = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=datetime.UTC)


def at(minutes):
    return T0 + datetime.timedelta(minutes=minutes)


def ticket(ticket_id, created=0, deadline=None):
    return WaitingTicket(id=ticket_id, created_at=at(created), deadline=None if deadline is None else at(deadline))


def test_highest_priority_free_member_gets_the_ticket():
    members = [Member(1, priority=1), Member(2, priority=3), Member(3, priority=2)]
    assert choose_member(members).user_id == 2


def test_busy_and_away_members_are_not_free():
    members = [
        Member(1, priority=9, open_tickets=1),  # full at capacity 1
        Member(2, priority=8, available=False),  # away
        Member(3, priority=1),
    ]
    assert choose_member(members).user_id == 3


def test_capacity_above_one_keeps_a_member_free():
    members = [Member(1, priority=5, capacity=3, open_tickets=2), Member(2, priority=1)]
    assert choose_member(members).user_id == 1
    assert choose_member([Member(1, priority=5, capacity=3, open_tickets=3)]) is None


def test_nobody_free_gives_none():
    assert choose_member([Member(1, priority=1, open_tickets=1), Member(2, priority=2, available=False)]) is None
    assert choose_member([]) is None


def test_priority_tie_goes_to_fewer_open_tickets_then_idle_longest():
    fewer = [Member(1, priority=2, capacity=5, open_tickets=2), Member(2, priority=2, capacity=5, open_tickets=1)]
    assert choose_member(fewer).user_id == 2
    idle = [Member(1, priority=2, last_assigned_at=at(30)), Member(2, priority=2, last_assigned_at=at(10))]
    assert choose_member(idle).user_id == 2
    never = [Member(1, priority=2, last_assigned_at=at(10)), Member(2, priority=2, last_assigned_at=None)]
    assert choose_member(never).user_id == 2
    same = [Member(7, priority=2), Member(4, priority=2)]
    assert choose_member(same).user_id == 4  # deterministic last resort: lowest user id


def test_queue_serves_earliest_deadline_first_then_oldest_and_no_deadline_last():
    waiting = [
        ticket(1, created=0),
        ticket(2, created=5, deadline=120),
        ticket(3, created=1, deadline=60),
        ticket(4, created=2, deadline=60),
        ticket(5, created=-1),
    ]
    assert [t.id for t in sorted(waiting, key=queue_key)] == [3, 4, 2, 5, 1]


def test_plan_fills_members_by_priority_and_leaves_the_rest_waiting():
    members = [Member(10, priority=3), Member(20, priority=2), Member(30, priority=1)]
    plan = plan_assignments(members, [ticket(1, 0), ticket(2, 1), ticket(3, 2), ticket(4, 3)], T0)
    assert plan == [(1, 10), (2, 20), (3, 30)]


def test_plan_counts_each_assignment_against_capacity():
    members = [Member(10, priority=3, capacity=2), Member(20, priority=1, capacity=1, open_tickets=1)]
    plan = plan_assignments(members, [ticket(i, i) for i in range(1, 5)], T0)
    assert plan == [(1, 10), (2, 10)]


def test_plan_takes_turns_between_equal_members():
    members = [Member(1, priority=1, capacity=3), Member(2, priority=1, capacity=3)]
    plan = plan_assignments(members, [ticket(i, i) for i in range(1, 5)], T0)
    assert plan == [(1, 1), (2, 2), (3, 1), (4, 2)]


def test_plan_gives_the_queue_in_deadline_order():
    members = [Member(1, priority=2), Member(2, priority=1)]
    plan = plan_assignments(members, [ticket(1, 0), ticket(2, 5, deadline=30), ticket(3, 6, deadline=20)], T0)
    assert plan == [(3, 1), (2, 2)]


def test_free_slots_counts_only_available_room():
    members = [
        Member(1, 1, capacity=3, open_tickets=1),
        Member(2, 1, capacity=2, available=False),
        Member(3, 1, capacity=1, open_tickets=4),
    ]
    assert free_slots(members) == 2
