"""What a ticket shows of its customer: only a customer the reader may see (the rule every list and detail follows)."""

from types import SimpleNamespace

import pytest

from services.core.actor import Actor
from services.core.errors import ServiceTimeout, ServiceUnavailable
from services.tickets.customer_view import shown, shown_history

STAFF = Actor(id=5)
ADMIN = Actor(id=1, roles=("admin",))


class Customers:
    """The customers service's answer: which of these the caller may see."""

    def __init__(self, visible=(), error=None):
        self.visible, self.error, self.asked = set(visible), error, []

    def visible_customer_ids(self, customer_ids):
        self.asked.append(list(customer_ids))
        if self.error:
            raise self.error
        return [customer_id for customer_id in customer_ids if customer_id in self.visible]


def uow(actor, customers):
    """What customer_view uses of the unit of work: the actor and the customers service."""
    return SimpleNamespace(actor=actor, services=SimpleNamespace(customers=customers))


def page():
    return {
        "items": [
            {"id": 1, "customer_id": 10, "customer": {"id": 10, "name": "An Phát"}},
            {"id": 2, "customer_id": 20, "customer": {"id": 20, "name": "Bình Minh"}},
            {"id": 3, "customer_id": None, "customer": None},
            {"id": 4, "customer_id": 10, "customer": {"id": 10, "name": "An Phát"}},
        ],
        "total": 4,
    }


def customers_of(result):
    return [(t["customer_id"], t["customer"] and t["customer"]["name"], t["customer_hidden"]) for t in result["items"]]


def test_only_the_customers_the_reader_sees_are_shown():
    customers = Customers(visible=[10])
    assert customers_of(shown(uow(STAFF, customers), page())) == [
        (10, "An Phát", False),
        (None, None, True),
        (None, None, False),
        (10, "An Phát", False),
    ]
    assert customers.asked == [[10, 20]]  # one question for the whole page


def test_admins_see_every_customer_without_asking():
    customers = Customers()
    assert [hidden for _, _, hidden in customers_of(shown(uow(ADMIN, customers), page()))] == [False] * 4
    assert customers.asked == []


@pytest.mark.parametrize("error", [ServiceUnavailable(), ServiceTimeout()])
def test_when_customers_cannot_answer_every_customer_is_hidden(error):
    result = shown(uow(STAFF, Customers(visible=[10, 20], error=error)), page())
    assert customers_of(result) == [(None, None, True), (None, None, True), (None, None, False), (None, None, True)]


def test_one_ticket_and_a_ticket_without_customer():
    ticket = shown(uow(STAFF, Customers()), {"id": 7, "customer_id": None, "customer": None})
    assert ticket["customer_hidden"] is False


def test_the_creator_and_the_holder_see_the_customer_without_asking():
    """SPEC §1's exception: the ticket's creator, and its assignee while holding it."""
    customers = Customers(visible=[])
    mine = {"id": 1, "customer_id": 10, "customer": {"id": 10, "name": "An Phát"}, "creator_id": STAFF.id}
    held = [
        {"id": n, "customer_id": 10, "customer": {"id": 10, "name": "An"}, "assignee_id": STAFF.id, "status": status}
        for n, status in enumerate(("assigned", "in_progress", "on_hold"), start=2)
    ]
    done = {"id": 9, "customer_id": 10, "customer": {"id": 10, "name": "An"}, "assignee_id": STAFF.id, "status": "done"}
    result = shown(uow(STAFF, customers), {"items": [mine, *held, done], "total": 5})
    assert [hidden for _, _, hidden in customers_of(result)] == [False, False, False, False, True]
    assert customers.asked == [[10]]  # asked only for the finished one


def test_history_names_only_customers_the_reader_sees():
    history = {
        "items": [
            {"action": "created", "changes": None},
            {"action": "edited", "changes": {"customer_id": {"from": 10, "to": 20}, "title": {"from": "a", "to": "b"}}},
            {"action": "edited", "changes": {"customer_id": {"from": 20, "to": None}}},
        ]
    }
    seen = shown_history(uow(STAFF, Customers(visible=[10])), {"id": 1, "creator_id": 2}, history)
    assert [entry["changes"] for entry in seen["items"]] == [
        None,
        {"customer_id": {"from": 10, "to": None}, "title": {"from": "a", "to": "b"}},
        {"customer_id": {"from": None, "to": None}},
    ]


def test_the_creator_sees_the_tickets_customer_in_its_history():
    history = {"items": [{"action": "edited", "changes": {"customer_id": {"from": 10, "to": 20}}}]}
    ticket = {"id": 1, "creator_id": STAFF.id, "customer_id": 20}
    seen = shown_history(uow(STAFF, Customers(visible=[])), ticket, history)
    assert seen["items"][0]["changes"] == {"customer_id": {"from": None, "to": 20}}  # 10 is no longer its customer
