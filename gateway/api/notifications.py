from gateway.api import router
from services.core.contracts.common import page_of
from services.core.contracts.notifications import (
    BatchAccepted,
    Brandname,
    BrandnameQuery,
    BulkEmail,
    BulkSms,
    Message,
    MessageQuery,
    OptOut,
    OptOutKey,
    OptOutQuery,
    SmsPreview,
    SmsPreviewResult,
)

TAG = "Notifications"
WEBHOOK_PATH = "/api/v1/webhooks/twilio/status"


@router.route(
    "GET",
    "/api/v1/messages",
    query=MessageQuery,
    response=page_of(Message),
    tag=TAG,
    summary="The message log (admins: every message; others: the messages they sent or received)",
)
def list_messages(req):
    return req.rpc("notifications", "list_messages", req.query)


@router.route(
    "POST",
    "/api/v1/sms/preview",
    body=SmsPreview,
    response=SmsPreviewResult,
    tag=TAG,
    summary="Encoding (GSM-7 / UCS-2), length and segment count of an SMS text, before sending",
    errors=(400,),
)
def preview_sms(req):
    return req.rpc("notifications", "preview_sms", req.body)


@router.route(
    "GET",
    "/api/v1/brandnames",
    query=BrandnameQuery,
    response=page_of(Brandname),
    tag=TAG,
    summary="List SMS brandnames",
)
def list_brandnames(req):
    return req.rpc("notifications", "list_brandnames", req.query)


@router.route(
    "POST",
    "/api/v1/brandnames",
    body=Brandname,
    response=Brandname,
    status=201,
    tag=TAG,
    summary="Create an SMS brandname (admin)",
    errors=(400, 403, 409),
)
def create_brandname(req):
    return req.rpc("notifications", "create_brandname", req.body)


@router.route(
    "GET",
    "/api/v1/opt-outs",
    query=OptOutQuery,
    response=page_of(OptOut),
    tag=TAG,
    summary="Addresses that receive no messages of a channel",
)
def list_opt_outs(req):
    return req.rpc("notifications", "list_opt_outs", req.query)


@router.route(
    "POST",
    "/api/v1/opt-outs",
    body=OptOut,
    response=OptOut,
    status=201,
    tag=TAG,
    summary="Opt an address out of a channel (idempotent)",
    errors=(400,),
)
def add_opt_out(req):
    return req.rpc("notifications", "add_opt_out", req.body)


@router.route(
    "DELETE",
    "/api/v1/opt-outs",
    query=OptOutKey,
    status=204,
    tag=TAG,
    summary="Let an opted-out address receive messages again (admin): ?channel=&address=",
    errors=(400, 403, 404),
)
def remove_opt_out(req):
    req.rpc("notifications", "remove_opt_out", req.query)
    return None


def public_url(req):
    """The URL Twilio called: ``PUBLIC_BASE_URL`` + path and query when a proxy is in front, else the request's."""
    base = req.rpc.worker_ctx.config.get("PUBLIC_BASE_URL")  # the gateway's own config
    request = req.http
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return "{}{}{}".format(str(base).rstrip("/"), request.path, "?" + query if query else "")


@router.route(
    "POST",
    WEBHOOK_PATH,
    public=True,
    status=204,
    tag=TAG,
    summary="Twilio status callback (form-encoded; needs a valid X-Twilio-Signature, else 403)",
    errors=(403,),
)
def twilio_status(req):
    data = {
        "url": public_url(req),
        "params": req.http.form.to_dict(),
        "signature": req.http.headers.get("X-Twilio-Signature"),
    }
    req.rpc("notifications", "twilio_status", data)
    return None


@router.route(
    "POST",
    "/api/v1/customers/bulk/sms",
    body=BulkSms,
    response=BatchAccepted,
    status=202,
    tag=TAG,
    summary="Send an SMS to the selected customers (or their contacts); merge fields {name}, {code}…",
    errors=(400, 404, 422),
)
def bulk_sms(req):
    return req.rpc("customers", "bulk_sms", req.body)


@router.route(
    "POST",
    "/api/v1/customers/bulk/email",
    body=BulkEmail,
    response=BatchAccepted,
    status=202,
    tag=TAG,
    summary="Send an email to the selected customers; merge fields {name}, {code}…",
    errors=(400, 404, 422),
)
def bulk_email(req):
    return req.rpc("customers", "bulk_email", req.body)
