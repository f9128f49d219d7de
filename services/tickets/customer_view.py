"""The customer on a ticket, as the reader may see it.

A ticket keeps the snapshot of its customer that its creator was allowed to see (SPEC §1:
whoever cannot see a customer never finds it, tickets' customer snapshots included).  Members
of the support group, or a new assignee, may not see that customer: before tickets leave the
service, the customers service is asked which of their customers the reader sees, and the
others are blanked (``customer_id`` and ``customer`` null, ``customer_hidden`` true, so the
reader knows to ask for a share).  When the customers service cannot answer, every customer is
hidden: the tickets stay usable and nothing leaks.
"""
import logging

from services.core.errors import ServiceTimeout, ServiceUnavailable

log = logging.getLogger(__name__)


def shown(customers, actor, result):
    """``result`` (a ticket, or a page of them under ``items``) as ``actor`` may see it."""
    tickets = result["items"] if "items" in result else [result]
    customer_ids = sorted({ticket["customer_id"] for ticket in tickets if ticket.get("customer_id") is not None})
    visible = set(customer_ids) if actor.is_admin else _visible(customers, customer_ids)
    for ticket in tickets:
        ticket["customer_hidden"] = ticket.get("customer_id") is not None and ticket["customer_id"] not in visible
        if ticket["customer_hidden"]:
            ticket["customer_id"] = ticket["customer"] = None
    return result


def _visible(customers, customer_ids):
    if not customer_ids:
        return set()
    try:
        return set(customers.visible_customer_ids(customer_ids))
    except (ServiceUnavailable, ServiceTimeout) as exc:
        log.warning("customers did not say which of %s customers are visible (%s): all hidden",
                    len(customer_ids), exc.code)
        return set()
