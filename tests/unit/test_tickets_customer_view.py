"""What a ticket shows of its customer: only a customer the reader may see (the rule every list and detail follows)."""

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
    assert customers_of(shown(customers, STAFF, page())) == [
        (10, "An Phát", False),
        (None, None, True),
        (None, None, False),
        (10, "An Phát", False),
    ]
    assert customers.asked == [[10, 20]]  # one question for the whole page


def test_admins_see_every_customer_without_asking():
    customers = Customers()
    assert [hidden for _, _, hidden in customers_of(shown(customers, ADMIN, page()))] == [False] * 4
    assert customers.asked == []


@pytest.mark.parametrize("error", [ServiceUnavailable(), ServiceTimeout()])
def test_when_customers_cannot_answer_every_customer_is_hidden(error):
    result = shown(Customers(visible=[10, 20], error=error), STAFF, page())
    assert customers_of(result) == [(None, None, True), (None, None, True), (None, None, False), (None, None, True)]


def test_one_ticket_and_a_ticket_without_customer():
    ticket = shown(Customers(), STAFF, {"id": 7, "customer_id": None, "customer": None})
    assert ticket["customer_hidden"] is False


def test_listing_by_a_customer_the_reader_cannot_see_finds_nothing():
    result = shown(
        Customers(visible=[10]), STAFF, {"items": [dict(page()["items"][1])], "total": 1}, query={"customer_id": "20"}
    )
    assert (result["items"], result["total"]) == ([], 0)
    result = shown(
        Customers(visible=[10]), STAFF, {"items": [dict(page()["items"][0])], "total": 1}, query={"customer_id": "10"}
    )
    assert result["total"] == 1 and result["items"][0]["customer"]["name"] == "An Phát"


def test_history_names_only_customers_the_reader_sees():
    history = {
        "items": [
            {"action": "created", "changes": None},
            {"action": "edited", "changes": {"customer_id": {"from": 10, "to": 20}, "title": {"from": "a", "to": "b"}}},
            {"action": "edited", "changes": {"customer_id": {"from": 20, "to": None}}},
        ]
    }
    seen = shown_history(Customers(visible=[10]), STAFF, history)
    assert [entry["changes"] for entry in seen["items"]] == [
        None,
        {"customer_id": {"from": 10, "to": None}, "title": {"from": "a", "to": "b"}},
        {"customer_id": {"from": None, "to": None}},
    ]
