"""Contracts of the notifications service: messages, brandnames, opt-outs, batches."""

from marshmallow import Schema, fields, validate

from services.core.contracts import common
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
    id = common.Integer(dump_only=True)
    name = common.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9 .\-_&]{1,50}$", error="1 to 50 letters, digits, spaces or . - _ &."),
    )
    kind = common.String(required=True, validate=validate.OneOf(BRANDNAME_KINDS))
    sender = common.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "Twilio sender: an alphanumeric sender ID (up to 11 characters), "
            "a phone number, or a messaging service SID (MG…). "
            "Default: the configured sender, else the name."
        },
    )
    created_at = common.DateTime(dump_only=True)


class BrandnameQuery(PageQuery):
    kind = common.String(validate=validate.OneOf(BRANDNAME_KINDS))


class OptOut(Schema):
    id = common.Integer(dump_only=True)
    channel = common.String(required=True, validate=validate.OneOf(CHANNELS))
    address = common.String(required=True, validate=validate.Length(min=3, max=320))
    created_at = common.DateTime(dump_only=True)


class OptOutQuery(PageQuery):
    channel = common.String(validate=validate.OneOf(CHANNELS))
    address = common.String(validate=validate.Length(max=320))


class OptOutKey(Schema):
    channel = common.String(required=True, validate=validate.OneOf(CHANNELS))
    address = common.String(required=True, validate=validate.Length(min=3, max=320))


class Message(Schema):
    id = common.Integer(dump_only=True)
    channel = common.String(dump_only=True)
    to = common.String(dump_only=True)
    status = common.String(dump_only=True)
    batch_id = common.Integer(dump_only=True, allow_none=True)
    provider_id = common.String(dump_only=True, allow_none=True)
    error = common.String(dump_only=True, allow_none=True)
    subject = common.String(dump_only=True, allow_none=True)
    body = common.String(dump_only=True)
    segments = common.Integer(dump_only=True)
    attempts = common.Integer(dump_only=True)
    customer_id = common.Integer(dump_only=True, allow_none=True)
    purpose = common.String(dump_only=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)
    sent_at = common.DateTime(dump_only=True, allow_none=True)


class MessageQuery(PageQuery):
    batch_id = common.Id()
    status = common.String(validate=validate.OneOf(MESSAGE_STATUSES))
    channel = common.String(validate=validate.OneOf(CHANNELS))


# -- bulk sending (customers -> notifications) --------------------------------


class BulkSms(Selection):
    """HTTP body of ``POST /api/v1/customers/bulk/sms``: ``customer_ids`` or ``filter``."""

    brandname = common.String(required=True, validate=validate.Length(min=1, max=50))
    content = common.String(required=True, validate=validate.Length(min=1, max=MAX_SMS_LENGTH))
    to = common.String(load_default="customers", validate=validate.OneOf(RECIPIENT_MODES))


class BulkEmail(Selection):
    """HTTP body of ``POST /api/v1/customers/bulk/email``: ``customer_ids`` or ``filter``."""

    subject = common.String(required=True, validate=validate.Length(min=1, max=300))
    body = common.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL_BODY))
    html = common.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_EMAIL_BODY))


class SmsPreview(Schema):
    """``POST /api/v1/sms/preview``: what a text costs before it is sent."""

    content = common.String(required=True, validate=validate.Length(min=1, max=MAX_SMS_LENGTH))
    brandname = common.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))


class SmsPreviewResult(Schema):
    content = common.String(required=True, metadata={"description": "The text as sent ([QC] prefix for advertising)."})
    encoding = common.String(required=True, metadata={"description": "GSM-7 or UCS-2"})
    length = common.Integer(required=True, metadata={"description": "In septets (GSM-7) or UTF-16 code units (UCS-2)."})
    segments = common.Integer(required=True)
    advertising_allowed_now = fields.Boolean()
    next_allowed_at = common.String(allow_none=True)


class BatchAccepted(Schema):
    batch_id = common.Integer(required=True)
    recipients = common.Integer(required=True)
    segments = common.Integer()
    skipped = common.Integer()


class Recipient(Schema):
    """One rendered message of a batch (merge fields already applied)."""

    to = common.String(required=True, validate=validate.Length(min=3, max=320))
    body = common.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL_BODY))
    subject = common.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    html = common.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_EMAIL_BODY))
    customer_id = common.Id(load_default=None, allow_none=True)


class BatchPlan(Schema):
    """RPC ``notifications.open_batch``: checks a batch and reserves its id before it is requested."""

    channel = common.String(required=True, validate=validate.OneOf(CHANNELS))
    brandname = common.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))
    subject = common.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    content = common.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL_BODY))
    recipients = fields.List(fields.Nested(Recipient), required=True, validate=validate.Length(max=MAX_BATCH))


class BatchRequested(Schema):
    """Data of the ``sms_requested`` / ``email_requested`` events (one part of a batch)."""

    batch_id = common.Id(required=True)
    part = common.Integer(load_default=1, min=1)
    parts = common.Integer(load_default=1, min=1)
    recipients = fields.List(fields.Nested(Recipient), required=True)


class TicketAssigned(Schema):
    """What the notifications service reads of a ``ticket_assigned`` event."""

    class Meta:
        unknown = "exclude"

    ticket_id = common.Integer(required=True, data_key="id")
    title = common.String(load_default="")
    assignee_id = common.Integer(required=True, allow_none=True)
    deadline = common.String(load_default=None, allow_none=True)


class UserContact(Schema):
    id = common.Integer(required=True)
    full_name = common.String(load_default="")
    email = common.String(load_default=None, allow_none=True)
    phone = common.String(load_default=None, allow_none=True)


class TwilioStatusCallback(Schema):
    """What the gateway passes on from a Twilio status callback (signature checked by the service)."""

    url = common.String(required=True, validate=validate.Length(min=1, max=2000))
    params = fields.Dict(keys=common.String(), values=common.String(), required=True)
    signature = common.String(load_default=None, allow_none=True)
