"""Delivery reports: the statuses a provider reports after sending (Twilio's signed status
callbacks), moving a message of the log forward, never back."""

import functools
import logging
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import text
from twilio.request_validator import RequestValidator

from services.core.contracts.notifications import TwilioStatusCallback
from services.core.schemas import load
from services.notifications import exceptions

log = logging.getLogger(__name__)

# How far a status is along the way; a status never goes back (a replayed or
# late callback changes nothing).  delivered and failed are final.
RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "skipped": 3}

# Twilio's MessageStatus -> ours (the ones before "sent" add nothing to what we know).
TWILIO_STATUS = {"sent": "sent", "delivered": "delivered", "undelivered": "failed", "failed": "failed"}


_callback_schema = TwilioStatusCallback()

# The message a callback is about: by Twilio's sid, else by the id in the callback URL (SMS only).
_TARGET = """
    SELECT id FROM messages
    WHERE provider_id = :sid OR (id = :message_id AND channel = 'sms')
    ORDER BY provider_id = :sid DESC NULLS LAST
    LIMIT 1
"""
_RANK_OF_STATUS = "CASE status {} END".format(" ".join("WHEN '{}' THEN {}".format(s, r) for s, r in RANK.items()))

# One statement: moves the message forward only (the rank is checked again on the row PostgreSQL
# locks, so two callbacks at once cannot take it back); no row when unknown or not forward.
ADVANCE = text(
    """
UPDATE messages SET status = :status, error = CASE WHEN :status = 'failed' THEN :error ELSE error END,
    provider_id = COALESCE(provider_id, :sid), updated_at = now()
WHERE id = ({}) AND {} < :rank
RETURNING id
""".format(_TARGET, _RANK_OF_STATUS)
)

CURRENT = text("SELECT m.id, m.status FROM messages m WHERE m.id = ({})".format(_TARGET))


@functools.lru_cache(maxsize=4)
def _validator(token):
    return RequestValidator(token)


def check_twilio_signature(settings, url, params, signature):
    if not settings.twilio_auth_token or not signature:
        return False
    return _validator(settings.twilio_auth_token).validate(url, params, signature)


def record_twilio_status(uow, data, settings):
    """A Twilio status callback (already parsed by the gateway); forbidden unless correctly signed.

    Returns ``{"message_id", "status", "changed"}``.
    """
    data = load(_callback_schema, data)
    if not check_twilio_signature(settings, data["url"], data["params"], data.get("signature")):
        log.warning(
            "rejected a Twilio callback with a %s signature for %s",
            "missing" if not data.get("signature") else "wrong",
            data["url"],
        )
        raise exceptions.InvalidSignature()
    params = data["params"]
    sid, twilio_status = (
        params.get("MessageSid") or params.get("SmsSid"),
        params.get("MessageStatus") or params.get("SmsStatus"),
    )
    status = TWILIO_STATUS.get(twilio_status)
    message_ids = parse_qs(urlsplit(data["url"]).query).get("message_id", [])
    lookup = {"sid": sid, "message_id": int(message_ids[0]) if message_ids and message_ids[0].isdigit() else None}
    advanced = current = None
    with uow:
        if sid or lookup["message_id"] is not None:
            # each statement stands alone (one UPDATE moves the message forward atomically): no
            # BEGIN / COMMIT round trips for the two callbacks of every SMS
            uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            if status is not None:
                error = None
                if status == "failed":
                    error = "Twilio: {}{}".format(
                        twilio_status, " (error {})".format(params["ErrorCode"]) if params.get("ErrorCode") else ""
                    )
                advanced = uow.session.execute(
                    ADVANCE, dict(lookup, status=status, rank=RANK[status], error=error)
                ).first()
            if advanced is None:
                current = uow.session.execute(CURRENT, lookup).first()
        uow.commit()
    if advanced is not None:
        log.info("message %s is %s (Twilio %s)", advanced.id, status, sid)
        return {"message_id": advanced.id, "status": status, "changed": True}
    if current is None:
        log.warning("Twilio callback for an unknown message %s (%s)", sid, twilio_status)
        return {"message_id": None, "status": None, "changed": False}
    return {"message_id": current.id, "status": current.status, "changed": False}
