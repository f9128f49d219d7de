"""Bulk sending: a batch is checked and numbered first, then its messages arrive by event.

``customers`` resolves the visible recipients and renders each text, asks
:func:`open_batch` (brandname, advertising hours, segments, opt-outs) for a
batch id, then records ``sms_requested`` / ``email_requested`` in its outbox;
:func:`queue_batch` turns each event into queued messages, once per recipient.
"""

import logging

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.core.actor import require_actor
from services.core.consumer import first_delivery
from services.core.contracts.notifications import BatchPlan, BatchRequested, SmsPreview
from services.core.schemas import load
from services.notifications import exceptions, segments
from services.notifications.addresses import normalize
from services.notifications.advertising import with_prefix
from services.notifications.brandnames import find_brandname
from services.notifications.models import Batch, Brandname, Message
from services.notifications.opt_outs import opted_out

log = logging.getLogger(__name__)

INSERT_CHUNK = 1000

# one statement for every chunk (compiled once, rows sent as batched VALUES), not one built per chunk
QUEUE_MESSAGES = (
    insert(Message.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Message.__table__.c.id)
)


def check_advertising_hours(settings, now=None):
    now = now or settings.now()
    if not settings.advertising.is_open(now):
        opening = settings.advertising.next_opening(now)
        window = "{:%H:%M}–{:%H:%M}".format(settings.advertising.start, settings.advertising.end)
        raise exceptions.OutsideAdvertisingHours(
            "Advertising SMS may only be sent {} ({}); next allowed at {}.".format(
                window, settings.advertising.zone.key, opening.isoformat()
            ),
            fields={"next_allowed_at": [opening.isoformat()]},
        )


def _prepare(channel, recipients, advertising, settings, opted):
    """Each recipient as (address or None, body, skip reason or None), duplicates dropped."""
    seen = set()
    for recipient in recipients:
        address = normalize(channel, recipient["to"], settings.country_code)
        body = with_prefix(recipient["body"]) if advertising else recipient["body"]
        key = address or recipient["to"]
        if key in seen:
            continue
        seen.add(key)
        if address is None:
            reason = "not a valid {}".format("phone number" if channel == "sms" else "email address")
        elif address in opted:
            reason = "opted out"
        else:
            reason = None
        yield recipient, address, body, reason


def preview_sms(uow, data, settings):
    """Encoding, length and segments of an SMS text (merge fields not yet filled), before sending it."""
    require_actor(uow.actor)
    data = load(SmsPreview(), data)
    content, answer = data["content"], {}
    if data.get("brandname"):
        with uow:
            kind = find_brandname(uow.session, data["brandname"]).kind
        if kind == "advertising":
            content = with_prefix(content)
            now = settings.now()
            opening = settings.advertising.next_opening(now)
            answer.update(
                advertising_allowed_now=settings.advertising.is_open(now), next_allowed_at=opening.isoformat()
            )
    answer.update(
        content=content,
        encoding=segments.encoding(content),
        length=segments.units(content),
        segments=segments.count(content),
    )
    return answer


def open_batch(uow, data, settings):
    """Check a batch and reserve its id; answers ``{batch_id, recipients, segments, skipped}``."""
    actor = require_actor(uow.actor)
    data = load(BatchPlan(), data)
    with uow:
        batch = _open_batch(uow, actor, data, settings)
        uow.commit()
    log.info(
        "batch %s opened by user %s: %s %s recipients, %s skipped, %s segments",
        batch.id,
        actor.id,
        batch.recipients,
        batch.channel,
        batch.skipped,
        batch.segments,
    )
    answer = {"batch_id": batch.id, "recipients": batch.recipients, "skipped": batch.skipped}
    if batch.channel == "sms":
        answer["segments"] = batch.segments
    return answer


def _open_batch(uow, actor, data, settings):
    session = uow.session
    channel = data["channel"]
    brandname = None
    if channel == "sms":
        if not data.get("brandname"):
            raise exceptions.BrandnameNotFound(fields={"brandname": ["A brandname is required for SMS."]})
        brandname = find_brandname(session, data["brandname"])
        if brandname.kind == "advertising":
            check_advertising_hours(settings)
    elif not data.get("subject"):
        raise exceptions.InvalidInput(fields={"subject": ["An email needs a subject."]})
    if not data["recipients"]:
        raise exceptions.NoRecipients()
    advertising = brandname is not None and brandname.kind == "advertising"
    addresses = [normalize(channel, r["to"], settings.country_code) for r in data["recipients"]]
    opted = opted_out(session, channel, [a for a in addresses if a])
    count = skipped = total_segments = 0
    for _, _, body, reason in _prepare(channel, data["recipients"], advertising, settings, opted):
        if reason:
            skipped += 1
            continue
        count += 1
        if channel == "sms":
            total_segments += segments.count(body)
    batch = Batch(
        channel=channel,
        brandname=brandname.name if brandname else None,
        kind=brandname.kind if brandname else None,
        subject=data.get("subject"),
        content=data["content"],
        recipients=count,
        segments=total_segments,
        skipped=skipped,
        requested_by=actor.id,
    )
    session.add(batch)
    session.flush()
    return batch


def queue_batch(uow, event_id, data, settings, consumer="notifications.queue_batch"):
    """Queue the messages of one ``sms_requested`` / ``email_requested`` event (idempotent)."""
    data = load(BatchRequested(), data)  # a malformed event goes to the dead letters
    with uow:
        inserted = _queue_batch(uow, event_id, data, settings, consumer)
        uow.commit()
    return inserted


def _queue_batch(uow, event_id, data, settings, consumer):
    session = uow.session
    batch = session.get(Batch, data["batch_id"])
    if batch is None:
        raise exceptions.BatchNotFound("Batch {} was never opened.".format(data["batch_id"]))
    if not first_delivery(session, consumer, event_id):
        log.info("event %s (batch %s) already queued", event_id, batch.id)
        return 0
    channel = batch.channel
    advertising = batch.kind == "advertising"
    sender = None
    if channel == "sms":
        sender = session.scalar(select(Brandname.sender).where(Brandname.name == batch.brandname)) or batch.brandname
    addresses = [normalize(channel, r["to"], settings.country_code) for r in data["recipients"]]
    opted = opted_out(session, channel, [a for a in addresses if a])
    rows = []
    for recipient, address, body, reason in _prepare(channel, data["recipients"], advertising, settings, opted):
        rows.append(
            {
                "dedupe_key": "batch:{}:{}".format(batch.id, address or recipient["to"])[:200],
                "batch_id": batch.id,
                "channel": channel,
                "purpose": "bulk",
                "to": address or recipient["to"][:320],
                "sender": sender,
                "subject": recipient.get("subject") or batch.subject,
                "body": body,
                "html": recipient.get("html"),
                "segments": segments.count(body) if channel == "sms" else 0,
                "advertising": advertising,
                "customer_id": recipient.get("customer_id"),
                "requested_by": batch.requested_by,
                "status": "skipped" if reason else "queued",
                "error": reason,
                "attempts": 0,
            }
        )
    inserted = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        result = session.execute(QUEUE_MESSAGES, rows[start : start + INSERT_CHUNK])
        inserted += len(result.all())
    log.info(
        "batch %s part %s/%s: %s messages queued (%s already there)",
        batch.id,
        data["part"],
        data["parts"],
        inserted,
        len(rows) - inserted,
    )
    return inserted
