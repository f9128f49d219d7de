"""The customer on a ticket, as the reader may see it.

A ticket keeps the snapshot of its customer that its creator was allowed to see (SPEC §1:
whoever cannot see a customer never finds it, tickets' customer snapshots included).  Members
of the support group, or a new assignee, may not see that customer: before tickets leave the
service, the customers service is asked which of their customers the reader sees, and the
others are blanked (``customer_id`` and ``customer`` null, ``customer_hidden`` true, so the
reader knows to ask for a share).  When the customers service cannot answer, every customer is
hidden: the tickets stay usable and nothing leaks; any other error of customers (a 403, a 404)
is relayed to the reader as that status.

Called with the unit of work once its transaction is over (a call to customers never waits
inside one).
"""

import logging

from services.core.errors import ServiceTimeout, ServiceUnavailable

log = logging.getLogger(__name__)


def shown(uow, result, query=None):
    """``result`` (a ticket, or a page of them under ``items``) as ``actor`` may see it.

    A page listed by ``customer_id`` (``query``) of a customer the actor cannot see is empty: the
    list does not tell that this customer has tickets.
    """
    tickets = result["items"] if "items" in result else [result]
    customer_ids = {ticket["customer_id"] for ticket in tickets if ticket.get("customer_id") is not None}
    wanted = _customer_filter(query)
    visible = _visible(uow, customer_ids | ({wanted} if wanted else set()))
    if wanted and wanted not in visible:
        return dict(result, items=[], total=0)
    for ticket in tickets:
        ticket["customer_hidden"] = ticket.get("customer_id") is not None and ticket["customer_id"] not in visible
        if ticket["customer_hidden"]:
            ticket["customer_id"] = ticket["customer"] = None
    return result


def shown_history(uow, ticket, result):
    """``ticket``'s history as the actor may see it: customer changes name only customers they see."""
    changes = [
        entry["changes"]["customer_id"] for entry in result["items"] if (entry.get("changes") or {}).get("customer_id")
    ]
    customer_ids = {change[side] for change in changes for side in ("from", "to") if change.get(side) is not None}
    visible = _visible(uow, customer_ids)
    for change in changes:
        for side in ("from", "to"):
            if change.get(side) is not None and change[side] not in visible:
                change[side] = None
    return result


def _customer_filter(query):
    try:
        return int((query or {}).get("customer_id"))
    except (TypeError, ValueError):
        return None


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
