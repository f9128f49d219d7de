"""The customer on a ticket, as the reader may see it.

A ticket keeps the snapshot of its customer that its creator was allowed to see (SPEC §1:
whoever cannot see a customer never finds it, tickets' customer snapshots included).  One
exception, scoped to the work: the ticket's creator, and its assignee for as long as they hold
it (assigned, in progress or on hold), always see that ticket's customer snapshot, on the ticket
and in its history; it does not open the customer record itself (the customers service still
answers 404 for it).  Everyone else (the rest of the support group, a former assignee) sees the
customer only if the customers service says they may: before tickets leave the service, it is
asked which of their customers the reader sees, and the others are blanked (``customer_id``,
``contact_id`` and ``customer`` null, ``customer_hidden`` true, so the reader knows to ask for a
share).  When the customers service cannot answer, every customer is hidden: the tickets stay
usable and nothing leaks; any other error of customers (a 403, a 404) is relayed to the reader
as that status.

Called with the unit of work once its transaction is over (a call to customers never waits
inside one).
"""

import logging

from services.core.errors import ServiceTimeout, ServiceUnavailable
from services.tickets.models import HELD_STATUSES

log = logging.getLogger(__name__)


def sees_by_work(actor, ticket):
    """True when ``actor`` sees ``ticket``'s customer because of the work: its creator, or its
    assignee while they hold it."""
    if ticket.get("creator_id") == actor.id:
        return True
    return ticket.get("assignee_id") == actor.id and ticket.get("status") in HELD_STATUSES


def shown(uow, result):
    """``result`` (a ticket, or a page of them under ``items``) as the actor may see it."""
    tickets = result["items"] if "items" in result else [result]
    asked = [ticket for ticket in tickets if not sees_by_work(uow.actor, ticket)]
    customer_ids = {ticket["customer_id"] for ticket in asked if ticket.get("customer_id") is not None}
    visible = _visible(uow, customer_ids)
    for ticket in tickets:
        ticket["customer_hidden"] = False
    for ticket in asked:
        ticket["customer_hidden"] = ticket.get("customer_id") is not None and ticket["customer_id"] not in visible
        if ticket["customer_hidden"]:
            ticket["customer_id"] = ticket["customer"] = None
            ticket["contact_id"] = None
    return result


def shown_history(uow, ticket, result):
    """``ticket``'s history as the actor may see it: customer changes name only customers they see
    (the ticket's own customer included for its creator and its holder); contact changes show
    only to whom sees the ticket's customer."""
    changed = [entry["changes"] for entry in result["items"] if entry.get("changes")]
    changes = [change["customer_id"] for change in changed if change.get("customer_id")]
    customer_ids = {change[side] for change in changes for side in ("from", "to") if change.get(side) is not None}
    current = ticket.get("customer_id")
    seen = {current} if sees_by_work(uow.actor, ticket) else set()
    visible = _visible(uow, (customer_ids | ({current} if current is not None else set())) - seen) | seen
    for change in changes:
        for side in ("from", "to"):
            if change.get(side) is not None and change[side] not in visible:
                change[side] = None
    if current is not None and current not in visible:
        for change in changed:
            if change.get("contact_id"):
                change["contact_id"] = {"from": None, "to": None}
    return result


def sees_customer(uow, customer_id):
    """Whether the actor may see this customer (asked of the customers service; admins: yes)."""
    return customer_id in _visible(uow, {customer_id})


def _visible(uow, customer_ids):
    """Which of ``customer_ids`` the actor may see (admins: all, without asking)."""
    if not customer_ids or uow.actor.is_admin:
        return set(customer_ids)
    try:
        return set(uow.services.customers.visible_customer_ids(sorted(customer_ids)))
    except (ServiceUnavailable, ServiceTimeout) as exc:
        log.warning(
            "customers did not say which of %s customers are visible (%s): all hidden", len(customer_ids), exc.code
        )
        return set()
