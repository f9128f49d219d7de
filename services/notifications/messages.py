"""The message log, and delivery statuses reported by the provider."""
import logging
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import or_, select, update
from twilio.request_validator import RequestValidator

from services.core.actor import require_actor
from services.core.contracts.notifications import Message as MessageSchema, MessageQuery, TwilioStatusCallback
from services.core.schemas import load, paginate
from services.notifications import exceptions
from services.notifications.models import Message

log = logging.getLogger(__name__)

message_schema = MessageSchema()

# How far a status is along the way; a status never goes back (a replayed or
# late callback changes nothing).  delivered and failed are final.
RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "skipped": 3}

# Twilio's MessageStatus -> ours (the ones before "sent" add nothing to what we know).
TWILIO_STATUS = {"sent": "sent", "delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def list_messages(session, actor, query):
    """Admins see every message; others the messages of the batches they requested and the notices sent to them."""
    require_actor(actor)
    query = load(MessageQuery(), query)
    statement = select(Message).order_by(Message.id)
    if not actor.is_admin:
        statement = statement.where(Message.requested_by == actor.id)
    for key in ("batch_id", "status", "channel"):
        if key in query:
            statement = statement.where(getattr(Message, key) == query[key])
    return paginate(session, statement, query["page"], query["page_size"], message_schema.dump)


def check_twilio_signature(settings, url, params, signature):
    if not settings.twilio_auth_token or not signature:
        return False
    return RequestValidator(settings.twilio_auth_token).validate(url, params, signature)


def record_twilio_status(session, data, settings):
    """A Twilio status callback (already parsed by the gateway); forbidden unless correctly signed.

    Returns ``{"message_id", "status", "changed"}``.
    """
    data = load(TwilioStatusCallback(), data)
    if not check_twilio_signature(settings, data["url"], data["params"], data.get("signature")):
        log.warning("rejected a Twilio callback with a %s signature for %s",
                    "missing" if not data.get("signature") else "wrong", data["url"])
        raise exceptions.InvalidSignature()
    params = data["params"]
    sid, twilio_status = params.get("MessageSid") or params.get("SmsSid"), params.get("MessageStatus") or params.get("SmsStatus")
    status = TWILIO_STATUS.get(twilio_status)
    message_ids = parse_qs(urlsplit(data["url"]).query).get("message_id", [])
    conditions = [Message.provider_id == sid] if sid else []
    if message_ids and message_ids[0].isdigit():
        conditions.append((Message.id == int(message_ids[0])) & (Message.channel == "sms"))
    message = session.scalar(select(Message).where(or_(*conditions)).with_for_update()) if conditions else None
    if message is None:
        log.warning("Twilio callback for an unknown message %s (%s)", sid, twilio_status)
        return {"message_id": None, "status": None, "changed": False}
    changed = False
    if status is not None and RANK[status] > RANK[message.status]:
        values = {"status": status}
        if status == "failed":
            values["error"] = "Twilio: {}{}".format(twilio_status, " (error {})".format(params["ErrorCode"])
                                                     if params.get("ErrorCode") else "")
        if message.provider_id is None and sid:
            values["provider_id"] = sid
        result = session.execute(update(Message).where(Message.id == message.id,
                                                       Message.status == message.status).values(**values))
        changed = bool(result.rowcount)
    session.commit()
    if changed:
        log.info("message %s is %s (Twilio %s)", message.id, status, sid)
    return {"message_id": message.id, "status": status if changed else message.status, "changed": changed}
