"""The customer list's filters, as SQL conditions on customers: for the list, and for bulk actions
on every visible customer matching a filter."""

from sqlalchemy import or_, select

from services.core.contracts.customers import CustomerFilter
from services.core.schemas import contains
from services.customers import rating
from services.customers.models import SEARCHED, Customer, customer_search, group_members


def matching(query, thresholds):
    """The filters (``CustomerFilter``) as conditions on customers: text, owner, group, stars."""
    conditions = []
    if query.get("q"):
        conditions.append(Customer.id.in_(containing(query["q"])))
    if "owner_id" in query:
        conditions.append(Customer.owner_id == query["owner_id"])
    if "group_id" in query:
        conditions.append(
            Customer.id.in_(select(group_members.c.customer_id).where(group_members.c.group_id == query["group_id"]))
        )
    if query.get("stars"):
        conditions.append(rating.stars_condition(query["stars"], thresholds))
    return conditions


FILTERS = frozenset(CustomerFilter._declared_fields)


def key(query):
    """The filters of a query (``CustomerFilter``) as a key: the same filters, the same key."""
    return tuple(
        sorted(
            (name, tuple(value) if isinstance(value, list) else value)
            for name, value in query.items()
            if name in FILTERS
        )
    )


def containing(q):
    """The ids of the customers with ``q`` in their name, code, phone or email, any case.

    Read from customer_search, whose trigram index answers ``ILIKE '%q%'`` without scanning
    every customer (``%``, ``_`` and ``\\`` in q are literal: :func:`services.core.schemas.contains`).
    A MATERIALIZED CTE: the matches are found once per statement (not once per visibility
    branch), by the index, then joined; left free, the planner may walk customers newest first
    testing each one's text, which reads most of the table when the matches are old customers
    (seconds on a million).
    """
    found = select(customer_search.c.customer_id).where(
        or_(*(contains(customer_search.c[field], q) for field in SEARCHED))
    )
    return select(found.cte("found").prefix_with("MATERIALIZED"))
