"""Who may handle money: admins and accountants.

Everyone else sees no account and no voucher (lists are empty, details 404: money is not
their business, and its existence is not leaked) and is refused every change (403).
"""

from services.core.actor import ACCOUNTANT, ADMIN, require_actor, require_role

TREASURERS = (ADMIN, ACCOUNTANT)


def sees_money(actor):
    """True for admins and accountants; raises 401 without an actor."""
    return require_actor(actor).has_role(*TREASURERS)


def require_treasurer(actor):
    """The actor, if an admin or an accountant; else 403 ROLE_REQUIRED."""
    return require_role(actor, *TREASURERS)


def empty_page(query):
    return {"items": [], "total": 0, "page": query["page"], "page_size": query["page_size"]}
