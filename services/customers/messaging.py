"""Bulk SMS and email to a selection of customers (ids, or every visible customer matching a
filter, as the other bulk actions), or to their contacts.

Only the customers the actor may see are resolved (the others do not exist for
the actor: they are never counted nor sent to).  Merge fields (``{name}``,
``{code}``...) are filled per recipient here; the notifications service checks
the batch (brandname, advertising hours, opt-outs, segments) and gives it an
id, then the batch is requested through the outbox (``sms_requested`` /
``email_requested``, in parts of at most :data:`PART_SIZE` recipients) in one
transaction, so it is requested exactly once.
"""

import html
import logging
import re

from sqlalchemy import select

from services.core.actor import require_actor
from services.core.contracts.notifications import BulkEmail, BulkSms
from services.core.errors import InvalidInput, RuleViolation
from services.core.schemas import load
from services.customers import bulk
from services.customers.models import Contact, customer_table

log = logging.getLogger(__name__)

PART_SIZE = 1000
MERGE_FIELD = re.compile(r"\{(\w+)\}")
CUSTOMER_FIELDS = ("name", "code", "phone", "email", "address")
CONTACT_FIELDS = CUSTOMER_FIELDS + ("customer_name", "position")


def check_merge_fields(template, allowed, field):
    unknown = sorted({name for name in MERGE_FIELD.findall(template) if name not in allowed})
    if unknown:
        raise InvalidInput(
            fields={
                field: [
                    "Unknown merge field(s): {}; use {}.".format(
                        ", ".join("{" + name + "}" for name in unknown), ", ".join("{" + name + "}" for name in allowed)
                    )
                ]
            }
        )


def merge(template, values, escape=str):
    """``template`` with each ``{field}`` replaced by the recipient's value (empty when missing).

    ``escape=html.escape`` for an HTML template: a customer named ``<script>…`` is text there.
    """
    if template is None:
        return None
    return MERGE_FIELD.sub(lambda match: escape(str(values.get(match.group(1)) or "")), template)


def customer_recipients(session, actor, data):
    """The visible customers of the request (its ``customer_ids`` in order, or every visible
    customer matching its ``filter``, newest first), with their merge fields; and the selection."""
    selected = bulk.select_requested(session, actor, data)
    rows = session.execute(
        select(
            customer_table.c.id,
            customer_table.c.code,
            customer_table.c.name,
            customer_table.c.phone,
            customer_table.c.email,
            customer_table.c.address,
        ).join(bulk.selection, bulk.selection.c.customer_id == customer_table.c.id)
    )
    found = {row.id: dict(row._mapping, customer_id=row.id) for row in rows}
    return selected, [found[customer_id] for customer_id in selected.given if customer_id in found]


def contact_recipients(session, actor, data):
    """The contacts of the visible selected customers (customers in the request's order, contacts by
    id); and the selection."""
    selected = bulk.select_requested(session, actor, data)
    position = {customer_id: index for index, customer_id in enumerate(selected.given)}
    contacts = Contact.__table__
    rows = session.execute(
        select(
            contacts.c.id.label("contact_id"),
            contacts.c.customer_id,
            contacts.c.name,
            contacts.c.phone,
            contacts.c.email,
            contacts.c.position,
            customer_table.c.code,
            customer_table.c.name.label("customer_name"),
            customer_table.c.address,
        )
        .join_from(bulk.selection, customer_table, customer_table.c.id == bulk.selection.c.customer_id)
        .join(contacts, contacts.c.customer_id == customer_table.c.id)
    )
    return selected, sorted(
        (dict(row._mapping) for row in rows), key=lambda row: (position[row["customer_id"]], row["contact_id"])
    )


def no_recipients(selected, data, lacking):
    """The 422 of a bulk message with nobody to send to: none of the selection is visible (the
    same answer whether the others exist or not), or none of those visible has ``lacking``."""
    if selected.matched:
        return RuleViolation("None of the selected customers you can see has {}.".format(lacking), code="NO_RECIPIENTS")
    if "filter" in data:
        return RuleViolation("No customer you can see matches the filter.", code="NO_RECIPIENTS")
    return RuleViolation("You cannot see any of the selected customers (or they do not exist).", code="NO_RECIPIENTS")


def _open_and_request(uow, event_type, plan):
    """Notifications checks the batch and gives it an id (asked with no transaction open), then
    the batch is requested, in parts, in one transaction."""
    answer = uow.services.notifications.open_batch(plan)
    recipients = plan["recipients"]
    parts = max(1, -(-len(recipients) // PART_SIZE))
    with uow:
        for part in range(parts):
            uow.record_event(
                event_type,
                {
                    "batch_id": answer["batch_id"],
                    "part": part + 1,
                    "parts": parts,
                    "recipients": recipients[part * PART_SIZE : (part + 1) * PART_SIZE],
                },
            )
        uow.commit()
    log.info(
        "%s batch %s requested by user %s: %s recipients",
        event_type,
        answer["batch_id"],
        uow.actor.id,
        answer["recipients"],
    )
    return answer


def bulk_sms(uow, data):
    """SMS to the selected customers' phones (``to: customers``) or their contacts' phones (``to: contacts``)."""
    actor = require_actor(uow.actor)
    data = load(BulkSms(), data)
    contacts = data["to"] == "contacts"
    check_merge_fields(data["content"], CONTACT_FIELDS if contacts else CUSTOMER_FIELDS, "content")
    with uow:  # read only: ends (and drops the selection) before notifications is asked
        selected, found = (contact_recipients if contacts else customer_recipients)(uow.session, actor, data)
    recipients = [
        {"to": person["phone"], "body": merge(data["content"], person), "customer_id": person["customer_id"]}
        for person in found
        if person.get("phone")
    ]
    if not recipients:
        raise no_recipients(selected, data, "a contact with a phone number" if contacts else "a phone number")
    plan = {"channel": "sms", "brandname": data["brandname"], "content": data["content"], "recipients": recipients}
    answer = _open_and_request(uow, "sms_requested", plan)
    return {
        "batch_id": answer["batch_id"],
        "recipients": answer["recipients"],
        "segments": answer["segments"],
        "skipped": answer["skipped"],
    }


def bulk_email(uow, data):
    """Email (subject, text, optional HTML, merge fields in each) to the selected customers."""
    actor = require_actor(uow.actor)
    data = load(BulkEmail(), data)
    for field in ("subject", "body", "html"):
        if data.get(field):
            check_merge_fields(data[field], CUSTOMER_FIELDS, field)
    with uow:  # read only: ends (and drops the selection) before notifications is asked
        selected, found = customer_recipients(uow.session, actor, data)
    recipients = [
        {
            "to": person["email"],
            "subject": merge(data["subject"], person),
            "body": merge(data["body"], person),
            "html": merge(data.get("html"), person, escape=html.escape),
            "customer_id": person["customer_id"],
        }
        for person in found
        if person.get("email")
    ]
    if not recipients:
        raise no_recipients(selected, data, "an email address")
    plan = {"channel": "email", "subject": data["subject"], "content": data["body"], "recipients": recipients}
    answer = _open_and_request(uow, "email_requested", plan)
    return {"batch_id": answer["batch_id"], "recipients": answer["recipients"], "skipped": answer["skipped"]}
