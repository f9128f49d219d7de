"""The list totals an instance keeps (services/customers/totals.py): counted once per key and
data generation, counted again when the generation moves, bounded in size and in age."""

import logging

from sqlalchemy.exc import OperationalError

from services.core.actor import Actor
from services.customers import filters
from services.customers.totals import Totals, data_changed
from services.customers.visibility import viewer


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Count:
    """A count that says how often it ran."""

    def __init__(self, value):
        self.value, self.runs = value, 0

    def __call__(self):
        self.runs += 1
        return self.value


def test_a_total_is_counted_once_per_generation():
    totals, count = Totals(clock=Clock()), Count(7)
    assert [totals.total(3, "key", count) for _ in range(3)] == [7, 7, 7]
    assert count.runs == 1
    count.value = 8  # a change committed: the generation moved
    assert totals.total(4, "key", count) == 8
    assert count.runs == 2


def test_each_key_has_its_own_total():
    totals = Totals(clock=Clock())
    assert totals.total(1, "a", Count(1)) == 1
    assert totals.total(1, "b", Count(2)) == 2
    assert totals.total(1, "a", Count(99)) == 1


def test_a_total_older_than_its_time_to_live_is_counted_again():
    clock = Clock()
    totals, count = Totals(seconds=60, clock=clock), Count(5)
    totals.total(1, "key", count)
    clock.now = 59
    totals.total(1, "key", count)
    assert count.runs == 1
    clock.now = 121  # a change made outside the service never moved the generation
    count.value = 6
    assert totals.total(1, "key", count) == 6
    assert count.runs == 2


def test_the_least_recently_used_total_goes_first():
    totals = Totals(size=2, clock=Clock())
    a, b, c = Count(1), Count(2), Count(3)
    totals.total(1, "a", a)
    totals.total(1, "b", b)
    totals.total(1, "a", a)  # a used again: b is now the oldest
    totals.total(1, "c", c)
    assert len(totals) == 2
    totals.total(1, "a", a)
    totals.total(1, "b", b)
    assert (a.runs, b.runs, c.runs) == (1, 2, 1)


def test_who_sees_the_same_customers_has_the_same_key_and_no_one_else():
    admins = {viewer(Actor(id=i, roles=("admin",))) for i in (1, 2)}
    assert len(admins) == 1
    keys = [
        viewer(Actor(id=2, department_id=10)),
        viewer(Actor(id=2, department_id=11)),
        viewer(Actor(id=3, department_id=10)),
        viewer(Actor(id=2, department_id=10, managed_department_ids=(10,))),
        viewer(Actor(id=2, department_id=10, managed_department_ids=(10, 12))),
        admins.pop(),
    ]
    assert len(set(keys)) == len(keys)
    assert viewer(Actor(id=2, managed_department_ids=(12, 10))) == viewer(Actor(id=2, managed_department_ids=(10, 12)))


def test_the_filters_make_the_key_and_the_page_does_not():
    assert filters.key({"page": 1, "page_size": 50}) == filters.key({"page": 3, "page_size": 10}) == ()
    assert filters.key({"q": "an", "stars": [4, 5], "page": 1}) == filters.key({"stars": [4, 5], "q": "an"})
    distinct = [{"q": "an"}, {"q": "a"}, {"owner_id": 2}, {"group_id": 2}, {"stars": [4]}, {"stars": [4, 5]}, {}]
    assert len({filters.key(query) for query in distinct}) == len(distinct)


def test_a_generation_that_cannot_be_advanced_does_not_fail_the_committed_change(caplog):
    class Broken:
        def execute(self, statement):
            raise OperationalError("SELECT nextval", {}, Exception("server closed the connection"))

    with caplog.at_level(logging.WARNING, logger="services.customers.totals"):
        data_changed(Broken())
    assert "could not be advanced" in caplog.text
