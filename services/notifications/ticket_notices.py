"""Tell the assignee of a ticket, by SMS and email, that it is theirs now.

The notice is in the business language (``BUSINESS_LANGUAGE``: ``vi``, the default, or ``en``);
``TICKET_TEMPLATES`` in the configuration replaces any of its three texts with the operator's own.
"""

import datetime
import logging
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert

from services.core.consumer import first_delivery
from services.core.contracts.notifications import TicketAssigned, UserContact
from services.core.schemas import load
from services.notifications import segments
from services.notifications.addresses import normalize
from services.notifications.models import Message
from services.notifications.opt_outs import opted_out

log = logging.getLogger(__name__)

CONSUMER = "notifications.ticket_assigned"

DEFAULT_LANGUAGE = "vi"  # BUSINESS_LANGUAGE
# the notice's texts by language: {ticket_id} {title} {deadline} {deadline_text} {name}
TEMPLATES = {
    "vi": {
        "sms": 'CRM: ticket #{ticket_id} "{title}" đã được giao cho bạn{deadline_text}.',
        "email_subject": "Ticket #{ticket_id} đã được giao cho bạn: {title}",
        "email_body": ('Chào {name},\n\nTicket #{ticket_id} "{title}" đã được giao cho bạn{deadline_text}.\n\n-- CRM'),
    },
    "en": {
        "sms": 'CRM: ticket #{ticket_id} "{title}" is assigned to you{deadline_text}.',
        "email_subject": "Ticket #{ticket_id} assigned to you: {title}",
        "email_body": 'Hello {name},\n\nTicket #{ticket_id} "{title}" has been assigned to you{deadline_text}.\n\n-- CRM',
    },
}
DEADLINE = {"vi": " (hạn {})", "en": " (deadline {})"}


def business_language(value):
    """The language of ``BUSINESS_LANGUAGE`` (``vi``, ``en``, any case, ``vi-VN`` too; unset: ``vi``);
    any other value refuses to start, rather than send notices in a language nobody chose."""
    language = str(value or DEFAULT_LANGUAGE).strip().lower().replace("_", "-").split("-")[0]
    if language not in TEMPLATES:
        raise ValueError("BUSINESS_LANGUAGE must be one of {}, not {!r}".format(", ".join(sorted(TEMPLATES)), value))
    return language


class _Blank(dict):
    def __missing__(self, key):
        return ""


def render(template, values):
    return template.format_map(_Blank(values))


def deadline_text(deadline, zone, language=DEFAULT_LANGUAGE):
    """`` (hạn 30/11/2026 17:00)``: the deadline in ``zone``, in ``language``; empty without one."""
    if not deadline:
        return ""
    try:
        moment = datetime.datetime.fromisoformat(str(deadline))
    except ValueError:
        return DEADLINE[language].format(deadline)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(zone))
    return DEADLINE[language].format("{:%d/%m/%Y %H:%M}".format(moment))


def notify_assignee(uow, event_id, data, settings):
    """Queue the SMS and email of one ``ticket_assigned`` event (once per event).

    The directory's ``contact_of(user_id)`` (asked before our transaction opens) answers
    ``{id, full_name, email, phone}``, or None for an unknown user; an error of the directory
    is relayed (a 404/403 is not retried: the event goes to the dead letters).  Returns the
    number of messages queued.
    """
    data = dict(data or {})
    if "id" not in data and "ticket_id" in data:
        data["id"] = data["ticket_id"]
    ticket = load(TicketAssigned(), data)  # a malformed event goes to the dead letters
    if ticket.get("assignee_id") is None:
        return 0
    contact = uow.services.directory.contact_of(ticket["assignee_id"])
    if contact is None:
        log.warning("ticket %s: assignee %s is unknown, nobody to notify", ticket["ticket_id"], ticket["assignee_id"])
        return 0
    if contact.get("active") is False:
        log.info("ticket %s: assignee %s is deactivated, not notified", ticket["ticket_id"], ticket["assignee_id"])
        return 0
    contact = load(UserContact(), contact, unknown="exclude")
    with uow:
        if not first_delivery(uow.session, CONSUMER, event_id):
            return 0
        queued = _queue_notices(uow.session, event_id, ticket, contact, settings)
        uow.commit()
    log.info("ticket %s assigned to user %s: %s notification(s) queued", ticket["ticket_id"], contact["id"], queued)
    return queued


def _queue_notices(session, event_id, ticket, contact, settings):
    values = {
        "ticket_id": ticket["ticket_id"],
        "title": ticket["title"],
        "deadline": ticket.get("deadline") or "",
        "deadline_text": deadline_text(ticket.get("deadline"), settings.advertising.zone.key, settings.language),
        "name": contact["full_name"] or "",
    }
    templates = settings.ticket_templates
    rows = []
    phone = normalize("sms", contact.get("phone"), settings.country_code)
    if phone:
        body = render(templates["sms"], values)
        rows.append(
            dict(
                channel="sms",
                to=phone,
                body=body,
                subject=None,
                segments=segments.count(body),
                sender=settings.ticket_sms_sender,
            )
        )
    email = normalize("email", contact.get("email"))
    if email:
        rows.append(
            dict(
                channel="email",
                to=email,
                body=render(templates["email_body"], values),
                subject=render(templates["email_subject"], values)[:300],
                segments=0,
                sender=None,
            )
        )
    for channel in ("sms", "email"):
        addresses = [row["to"] for row in rows if row["channel"] == channel]
        opted = opted_out(session, channel, addresses) if addresses else set()
        for row in rows:
            if row["channel"] == channel:
                row.update(
                    status="skipped" if row["to"] in opted else "queued",
                    error="opted out" if row["to"] in opted else None,
                )
    for row in rows:
        row.update(
            dedupe_key="ticket_assigned:{}:{}".format(event_id, row["channel"]),
            purpose="ticket_assigned",
            batch_id=None,
            html=None,
            advertising=False,
            customer_id=None,
            requested_by=contact["id"],
            attempts=0,
        )
    if rows:
        session.execute(insert(Message).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return len(rows)
