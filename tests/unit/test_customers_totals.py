"""The list totals an instance keeps (services/customers/totals.py): one per key with the data
generation it was counted at, bounded in size and in age; the keys (who sees the same customers,
which filters).  When a kept total is used or counted again: tests/service/test_customers_sql.py
and test_customers_visibility.py."""

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


def test_a_total_is_kept_with_its_generation_until_another_is_kept():
    totals = Totals(clock=Clock())
    assert totals.kept("key") is None
    totals.keep("key", 3, (7, 100))
    assert totals.kept("key") == totals.kept("key") == (3, (7, 100))
    totals.keep("key", 4, (8, 100))  # counted again after a change
    assert totals.kept("key") == (4, (8, 100))


def test_each_key_has_its_own_total():
    totals = Totals(clock=Clock())
    totals.keep("a", 1, 1)
    totals.keep("b", 1, 2)
    assert (totals.kept("a"), totals.kept("b"), totals.kept("c")) == ((1, 1), (1, 2), None)


def test_a_total_older_than_its_time_to_live_is_not_kept():
    clock = Clock()
    totals = Totals(seconds=60, clock=clock)
    totals.keep("key", 1, 5)
    clock.now = 59
    assert totals.kept("key") == (1, 5)
    clock.now = 121  # a change made outside the service never moved the generation
    assert totals.kept("key") is None


def test_the_least_recently_used_total_goes_first():
    totals = Totals(size=2, clock=Clock())
    totals.keep("a", 1, 1)
    totals.keep("b", 1, 2)
    assert totals.kept("a")  # a used again: b is now the oldest
    totals.keep("c", 1, 3)
    assert len(totals) == 2
    assert (totals.kept("a"), totals.kept("b"), totals.kept("c")) == ((1, 1), None, (1, 3))


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
