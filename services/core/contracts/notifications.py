"""Contracts of the notifications service: messages, brandnames, opt-outs, batches."""

from marshmallow import Schema, fields, validate

from services.core.contracts.common import PageQuery
from services.core.contracts.customers import Selection

CHANNELS = ("sms", "email")
BRANDNAME_KINDS = ("care", "advertising")
MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "skipped")
RECIPIENT_MODES = ("customers", "contacts")

MAX_SMS_LENGTH = 1600  # characters, as Twilio accepts
MAX_EMAIL_BODY = 200_000
MAX_BATCH = 100_000


class Brandname(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9 .\-_&]{1,50}$", error="1 to 50 letters, digits, spaces or . - _ &."),
    )
    kind = fields.String(required=True, validate=validate.OneOf(BRANDNAME_KINDS))
    sender = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "Twilio sender: an alphanumeric sender ID (up to 11 characters), "
            "a phone number, or a messaging service SID (MG…). "
            "Default: the configured sender, else the name."
        },
    )
    created_at = fields.DateTime(dump_only=True)


class BrandnameQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(BRANDNAME_KINDS))


class OptOut(Schema):
    id = fields.Integer(dump_only=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    address = fields.String(required=True, validate=validate.Length(min=3, max=320))
    created_at = fields.DateTime(dump_only=True)


class OptOutQuery(PageQuery):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    address = fields.String(validate=validate.Length(max=320))


class OptOutKey(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    address = fields.String(required=True, validate=validate.Length(min=3, max=320))


class Message(Schema):
    id = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True)
    to = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    batch_id = fields.Integer(dump_only=True, allow_none=True)
    provider_id = fields.String(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    subject = fields.String(dump_only=True, allow_none=True)
    body = fields.String(dump_only=True)
    segments = fields.Integer(dump_only=True)
    attempts = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    purpose = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    sent_at = fields.DateTime(dump_only=True, allow_none=True)


class MessageQuery(PageQuery):
    batch_id = fields.Integer(validate=validate.Range(min=1))
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))


# -- bulk sending (customers -> notifications) --------------------------------


class BulkSms(Selection):
    """HTTP body of ``POST /api/v1/customers/bulk/sms``: ``customer_ids`` or ``filter``."""

    brandname = fields.String(required=True, validate=validate.Length(min=1, max=50))
    content = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SMS_LENGTH))
    to = fields.String(load_default="customers", validate=validate.OneOf(RECIPIENT_MODES))


class BulkEmail(Selection):
    """HTTP body of ``POST /api/v1/customers/bulk/email``: ``customer_ids`` or ``filter``."""

    subject = fields.String(required=True, validate=validate.Length(min=1, max=300))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL_BODY))
    html = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_EMAIL_BODY))


class SmsPreview(Schema):
    """``POST /api/v1/sms/preview``: what a text costs before it is sent."""

    content = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SMS_LENGTH))
    brandname = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))


class SmsPreviewResult(Schema):
    content = fields.String(required=True, metadata={"description": "The text as sent ([QC] prefix for advertising)."})
    encoding = fields.String(required=True, metadata={"description": "GSM-7 or UCS-2"})
    length = fields.Integer(required=True, metadata={"description": "In septets (GSM-7) or UTF-16 code units (UCS-2)."})
    segments = fields.Integer(required=True)
    advertising_allowed_now = fields.Boolean()
    next_allowed_at = fields.String(allow_none=True)


class BatchAccepted(Schema):
    batch_id = fields.Integer(required=True)
    recipients = fields.Integer(required=True)
    segments = fields.Integer()
    skipped = fields.Integer()


class Recipient(Schema):
    """One rendered message of a batch (merge fields already applied)."""

    to = fields.String(required=True, validate=validate.Length(min=3, max=320))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL_BODY))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    html = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_EMAIL_BODY))
    customer_id = fields.Integer(load_default=None, allow_none=True)


class BatchPlan(Schema):
    """RPC ``notifications.open_batch``: checks a batch and reserves its id before it is requested."""

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    brandname = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    content = fields.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL_BODY))
    recipients = fields.List(fields.Nested(Recipient), required=True, validate=validate.Length(max=MAX_BATCH))


class BatchRequested(Schema):
    """Data of the ``sms_requested`` / ``email_requested`` events (one part of a batch)."""

    batch_id = fields.Integer(required=True, validate=validate.Range(min=1))
    part = fields.Integer(load_default=1, validate=validate.Range(min=1))
    parts = fields.Integer(load_default=1, validate=validate.Range(min=1))
    recipients = fields.List(fields.Nested(Recipient), required=True)


class TicketAssigned(Schema):
    """What the notifications service reads of a ``ticket_assigned`` event."""

    class Meta:
        unknown = "exclude"

    ticket_id = fields.Integer(required=True, data_key="id")
    title = fields.String(load_default="")
    assignee_id = fields.Integer(required=True, allow_none=True)
    deadline = fields.String(load_default=None, allow_none=True)


class UserContact(Schema):
    id = fields.Integer(required=True)
    full_name = fields.String(load_default="")
    email = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)


class TwilioStatusCallback(Schema):
    """What the gateway passes on from a Twilio status callback (signature checked by the service)."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    params = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    signature = fields.String(load_default=None, allow_none=True)
