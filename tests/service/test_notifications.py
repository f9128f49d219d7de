"""The notifications service with real RabbitMQ, PostgreSQL, the real twilio client and smtplib.

Twilio and SMTP are the local servers of :mod:`tests.fakes.providers`, reached
over HTTP and SMTP like the real ones.
"""

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from services.core.errors import DomainError, NotFound
from services.notifications.models import Message
from services.notifications.service import NotificationsService
from tests.conftest import wait_for
from tests.fakes.providers import FakeProviders

pytestmark = pytest.mark.infra

ADMIN = {"id": 1, "username": "admin", "roles": ["admin"]}
STAFF = {"id": 2, "username": "staff", "roles": ["staff"]}
CONTACTS = {7: {"id": 7, "full_name": "Trần Thị Bình", "email": "binh@example.com", "phone": "0912 345 678"}}
GONE_USER = 404  # the directory answers 404 for this one


class FakeDirectory:
    name = "directory"

    @rpc(expected_exceptions=(NotFound,))
    def contact_of(self, user_id):
        if user_id == GONE_USER:
            raise NotFound("User not found.", code="USER_NOT_FOUND")
        return CONTACTS.get(user_id)


@pytest.fixture(scope="module")
def fake():
    providers = FakeProviders()
    yield providers
    providers.stop()


def window_around_now(open_):
    """An advertising window (Vietnam time) that contains now, or is twelve hours away from it."""
    now = datetime.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    if open_:
        return "00:00-23:59" if now.hour < 23 else "01:00-23:59:59"
    hour = (now.hour + 12) % 24
    return "{:02d}:00-{:02d}:01".format(hour, hour)


@pytest.fixture
def start(container_factory, service_config, fake, tmp_path):
    fake.reset()

    def run(advertising_open=True, **overrides):
        config = service_config("notifications", **fake.config())
        config.update(
            LOCAL_OUTBOX_DIR=str(tmp_path),
            RETRY_BASE_SECONDS=0.05,
            SMS_RATE_PER_SECOND=0,
            EMAIL_RATE_PER_SECOND=0,
            SEND_LEASE_SECONDS=1,
            ADVERTISING_HOURS=window_around_now(advertising_open),
            EVENT_RETRY_SECONDS=0.05,
        )
        config.update(overrides)
        directory = container_factory(FakeDirectory, config)
        directory.start()
        container = container_factory(NotificationsService, config)
        container.start()
        return container, config

    return run


def call(container, method, *args, actor=ADMIN):
    with entrypoint_hook(container, method, context_data={"actor": actor} if actor else None) as hook:
        return hook(*args)


def publish(config, source, event_type, data, event_id=None):
    event_id = event_id or str(uuid.uuid4())
    dispatch = event_dispatcher(config)
    dispatch(
        source,
        event_type,
        {"id": event_id, "type": event_type, "occurred_at": "2026-11-28T00:00:00+00:00", "data": data},
    )
    return event_id


def messages(db_session, **filters):
    session = db_session("notifications")
    try:
        statement = select(Message).order_by(Message.id).filter_by(**filters)
        return session.scalars(statement).all()
    finally:
        session.close()


def settled(db_session, count):
    def check():
        found = messages(db_session)
        return found if len(found) >= count and all(m.status not in ("queued", "sending") for m in found) else None

    return check


def sms_batch(container, config, recipients, brandname="CSKH", content="Chào {name}"):
    plan = call(
        container,
        "open_batch",
        {"channel": "sms", "brandname": brandname, "content": content, "recipients": recipients},
    )
    event_id = publish(config, "customers", "sms_requested", {"batch_id": plan["batch_id"], "recipients": recipients})
    return plan, event_id


def test_brandnames_are_admin_only_and_unique(start):
    container, _ = start()
    created = call(container, "create_brandname", {"name": "CSKH", "kind": "care"})
    assert created["kind"] == "care" and created["id"]
    with pytest.raises(DomainError) as excinfo:
        call(container, "create_brandname", {"name": "cskh", "kind": "care"})
    assert excinfo.value.code == "BRANDNAME_TAKEN"
    with pytest.raises(DomainError) as excinfo:
        call(container, "create_brandname", {"name": "Shop", "kind": "advertising"}, actor=STAFF)
    assert excinfo.value.code == "ROLE_REQUIRED"
    with pytest.raises(DomainError) as excinfo:
        call(container, "create_brandname", {"name": "Shop", "kind": "spam"})
    assert excinfo.value.code == "VALIDATION_ERROR"
    listed = call(container, "list_brandnames", {}, actor=STAFF)
    assert [b["name"] for b in listed["items"]] == ["CSKH"] and listed["total"] == 1


def test_bulk_sms_through_twilio_once_per_recipient(start, fake, db_session):
    container, config = start()
    call(container, "create_brandname", {"name": "CSKH", "kind": "care", "sender": "MyShop"})
    recipients = [
        {"to": "0901000001", "body": "Chào An, đơn hàng của bạn đã sẵn sàng.", "customer_id": 1},
        {"to": "+84 901 000 002", "body": "Hello Binh, your order is ready.", "customer_id": 2},
        {"to": "0901000001", "body": "duplicate of the first", "customer_id": 3},
        {"to": "not a phone", "body": "x", "customer_id": 4},
    ]
    plan, event_id = sms_batch(container, config, recipients)
    assert plan["recipients"] == 2 and plan["skipped"] == 1
    assert plan["segments"] == 2  # one UCS-2 (Vietnamese) + one GSM-7 message
    # the same event delivered again, and a second event for the same batch
    publish(config, "customers", "sms_requested", {"batch_id": plan["batch_id"], "recipients": recipients}, event_id)
    publish(config, "customers", "sms_requested", {"batch_id": plan["batch_id"], "recipients": recipients})
    found = wait_for(settled(db_session, 3), what="the batch to be sent")
    assert sorted((m.to, m.status) for m in found) == [
        ("+84901000001", "sent"),
        ("+84901000002", "sent"),
        ("not a phone", "skipped"),
    ]
    received = fake.sms()
    assert sorted(m["to"] for m in received) == ["+84901000001", "+84901000002"]
    assert {m["from"] for m in received} == {"MyShop"}
    assert "Chào An, đơn hàng của bạn đã sẵn sàng." in [m["body"] for m in received]
    by_to = {m.to: m for m in found}
    assert {by_to[m["to"]].provider_id for m in received} == {m["sid"] for m in received}
    listed = call(container, "list_messages", {"batch_id": plan["batch_id"], "status": "sent"})
    assert listed["total"] == 2 and {item["channel"] for item in listed["items"]} == {"sms"}
    assert call(container, "list_messages", {}, actor=STAFF)["total"] == 0  # not their batch


def test_opted_out_addresses_are_skipped(start, fake, db_session):
    container, config = start()
    call(container, "create_brandname", {"name": "CSKH", "kind": "care"})
    call(container, "add_opt_out", {"channel": "sms", "address": "0901 000 009"}, actor=STAFF)
    call(container, "add_opt_out", {"channel": "sms", "address": "+84901000009"}, actor=STAFF)  # idempotent
    assert call(container, "list_opt_outs", {"channel": "sms"})["items"][0]["address"] == "+84901000009"
    plan, _ = sms_batch(container, config, [{"to": "0901000009", "body": "no"}, {"to": "0901000010", "body": "yes"}])
    assert plan["recipients"] == 1 and plan["skipped"] == 1
    found = wait_for(settled(db_session, 2), what="the batch")
    assert sorted((m.to, m.status, m.error) for m in found) == [
        ("+84901000009", "skipped", "opted out"),
        ("+84901000010", "sent", None),
    ]
    assert [m["to"] for m in fake.sms()] == ["+84901000010"]
    with pytest.raises(DomainError) as excinfo:
        call(container, "remove_opt_out", {"channel": "sms", "address": "0901000009"}, actor=STAFF)
    assert excinfo.value.code == "ROLE_REQUIRED"
    call(container, "remove_opt_out", {"channel": "sms", "address": "0901000009"})
    assert call(container, "list_opt_outs", {})["total"] == 0


def test_advertising_outside_hours_is_refused_with_next_time(start):
    container, _ = start(advertising_open=False)
    call(container, "create_brandname", {"name": "KM", "kind": "advertising"})
    with pytest.raises(DomainError) as excinfo:
        call(
            container,
            "open_batch",
            {
                "channel": "sms",
                "brandname": "KM",
                "content": "Sale",
                "recipients": [{"to": "0901000001", "body": "Sale"}],
            },
        )
    assert excinfo.value.code == "OUTSIDE_ADVERTISING_HOURS" and "next_allowed_at" in excinfo.value.fields


def test_advertising_inside_hours_is_prefixed(start, fake, db_session):
    container, config = start(advertising_open=True)
    call(container, "create_brandname", {"name": "KM", "kind": "advertising"})
    plan, _ = sms_batch(container, config, [{"to": "0901000001", "body": "a" * 156}], brandname="KM")
    assert plan["segments"] == 2  # 156 + "[QC] " = 161 GSM-7 characters
    wait_for(settled(db_session, 1), what="the message")
    assert [m["body"] for m in fake.sms()] == ["[QC] " + "a" * 156]


def test_provider_errors_are_retried_then_failed(start, fake, db_session):
    container, config = start(SEND_MAX_ATTEMPTS=3)
    call(container, "create_brandname", {"name": "CSKH", "kind": "care"})
    fake.behave(fail_next=2, fail_status=503)
    sms_batch(container, config, [{"to": "0901000001", "body": "retry me"}])
    [message] = wait_for(settled(db_session, 1), what="the retried message")
    assert (message.status, message.attempts) == ("sent", 3)
    assert len(fake.sms()) == 1

    fake.reset()
    fake.behave(fail_next=10, fail_status=503)
    sms_batch(container, config, [{"to": "0901000002", "body": "never"}])
    found = wait_for(settled(db_session, 2), what="the failing message")
    failed = [m for m in found if m.to == "+84901000002"][0]
    assert (failed.status, failed.attempts) == ("failed", 3) and "503" in failed.error

    fake.reset()
    fake.behave(fail_next=1, fail_status=400, fail_code=21610)  # unsubscribed recipient: permanent
    sms_batch(container, config, [{"to": "0901000003", "body": "permanent"}])
    found = wait_for(settled(db_session, 3), what="the refused message")
    refused = [m for m in found if m.to == "+84901000003"][0]
    assert (refused.status, refused.attempts) == ("failed", 1) and "21610" in refused.error


def test_status_callbacks_need_a_valid_signature_and_never_go_back(start, fake, db_session):
    container, config = start()
    call(container, "create_brandname", {"name": "CSKH", "kind": "care"})
    sms_batch(container, config, [{"to": "0901000001", "body": "hi"}])
    [message] = wait_for(settled(db_session, 1), what="the message")
    url = "https://crm.example.com/api/v1/webhooks/twilio/status?message_id={}".format(message.id)
    validator = RequestValidator(fake.auth_token)

    def callback(status, signature="valid", **extra):
        params = {"MessageSid": message.provider_id, "MessageStatus": status, "AccountSid": fake.account_sid}
        params.update(extra)
        sig = validator.compute_signature(url, params) if signature == "valid" else signature
        return call(container, "twilio_status", {"url": url, "params": params, "signature": sig}, actor=None)

    for bad in (None, "bm90IGEgc2lnbmF0dXJl"):
        with pytest.raises(DomainError) as excinfo:
            callback("delivered", signature=bad)
        assert excinfo.value.code == "INVALID_SIGNATURE"
    assert messages(db_session)[0].status == "sent"
    assert callback("delivered") == {"message_id": message.id, "status": "delivered", "changed": True}
    updated_at = messages(db_session)[0].updated_at
    assert callback("delivered")["changed"] is False  # replayed
    assert callback("sent")["changed"] is False  # late
    assert callback("failed", ErrorCode="30005")["changed"] is False  # final already
    [after] = messages(db_session)
    assert (after.status, after.updated_at) == ("delivered", updated_at)


def test_email_through_smtp_keeps_vietnamese_intact(start, fake, db_session):
    container, config = start()
    recipients = [
        {
            "to": "An@Example.com",
            "body": "Kính gửi anh An, cảm ơn quý khách.",
            "subject": "Cảm ơn An",
            "html": "<p>Kính gửi <b>anh An</b></p>",
        }
    ]
    plan = call(
        container,
        "open_batch",
        {"channel": "email", "subject": "Cảm ơn {name}", "content": "Kính gửi {name}", "recipients": recipients},
    )
    assert plan == {"batch_id": plan["batch_id"], "recipients": 1, "skipped": 0}
    publish(config, "customers", "email_requested", {"batch_id": plan["batch_id"], "recipients": recipients})
    [message] = wait_for(settled(db_session, 1), what="the email")
    assert message.status == "sent" and message.to == "an@example.com"
    [received] = fake.emails()
    assert received["rcpt_tos"] == ["an@example.com"]
    assert received["subject"] == "Cảm ơn An"
    assert received["text"].strip() == "Kính gửi anh An, cảm ơn quý khách."
    assert received["html"].strip() == "<p>Kính gửi <b>anh An</b></p>"
    assert received["message_id"] == message.provider_id


def test_local_backends_when_nothing_is_configured(start, db_session, tmp_path):
    container, config = start(TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None, SMTP_HOST=None)
    call(container, "create_brandname", {"name": "CSKH", "kind": "care"})
    sms_batch(container, config, [{"to": "0901000001", "body": "Chào bạn"}])
    plan = call(
        container,
        "open_batch",
        {"channel": "email", "subject": "S", "content": "c", "recipients": [{"to": "a@example.com", "body": "Chào"}]},
    )
    publish(
        config,
        "customers",
        "email_requested",
        {"batch_id": plan["batch_id"], "recipients": [{"to": "a@example.com", "body": "Chào"}]},
    )
    found = wait_for(settled(db_session, 2), what="both messages")
    assert {m.status for m in found} == {"sent"}
    log_lines = (tmp_path / "sms" / "sms.jsonl").read_text(encoding="utf-8")
    assert "Chào bạn" in log_lines and "+84901000001" in log_lines
    [eml] = list((tmp_path / "email").glob("*.eml"))
    assert "a@example.com" in eml.read_text()


@pytest.mark.parametrize(
    "language, subject, sms_deadline, greeting",
    [
        ("", "Ticket #42 đã được giao cho bạn: Máy in hỏng", "(hạn 30/11/2026 17:00)", "Chào Trần Thị Bình"),
        ("en", "Ticket #42 assigned to you: Máy in hỏng", "(deadline 30/11/2026 17:00)", "Hello Trần Thị Bình"),
    ],
    ids=["business-language-unset-is-vietnamese", "english"],
)
def test_ticket_assignment_notifies_the_assignee(start, fake, db_session, language, subject, sms_deadline, greeting):
    container, config = start(BUSINESS_LANGUAGE=language)
    event_id = publish(
        config,
        "tickets",
        "ticket_assigned",
        {"id": 42, "title": "Máy in hỏng", "assignee_id": 7, "deadline": "2026-11-30T10:00:00+00:00"},
    )
    publish(
        config,
        "tickets",
        "ticket_assigned",
        {"id": 42, "title": "Máy in hỏng", "assignee_id": 7, "deadline": "2026-11-30T10:00:00+00:00"},
        event_id,
    )
    found = wait_for(settled(db_session, 2), what="the two notices")
    assert sorted((m.channel, m.to, m.status, m.purpose) for m in found) == [
        ("email", "binh@example.com", "sent", "ticket_assigned"),
        ("sms", "+84912345678", "sent", "ticket_assigned"),
    ]
    [sms] = fake.sms()
    assert "#42" in sms["body"] and "Máy in hỏng" in sms["body"] and sms_deadline in sms["body"]
    assert ("đã được giao cho bạn" in sms["body"]) == (language != "en")
    [mail] = fake.emails()
    assert mail["subject"] == subject and greeting in mail["text"]
    # the assignee sees the notices about them
    assert call(container, "list_messages", {}, actor={"id": 7, "roles": ["staff"]})["total"] == 2


def test_an_error_of_the_directory_is_relayed_not_a_crash(start, db_session):
    """notifications -> directory.contact_of: the directory's 404 is raised here as a NotFound (a
    domain error, so the event goes to the dead letters at once instead of being retried)."""
    container, _ = start()
    event = {"id": "e-404", "data": {"id": 43, "title": "x", "assignee_id": GONE_USER}}
    with entrypoint_hook(container, "notify_ticket_assignee") as notify:
        with pytest.raises(NotFound) as raised:
            notify(event)
    assert raised.value.code == "USER_NOT_FOUND" and messages(db_session) == []


def test_a_crash_while_sending_sends_every_message_exactly_once(start, fake, db_session, container_factory):
    container, config = start(SEND_CONCURRENCY=5, SEND_CLAIM_SIZE=10)
    call(container, "create_brandname", {"name": "CSKH", "kind": "care"})
    fake.behave(delay=0.05)
    recipients = [{"to": "+8490100{:04d}".format(i), "body": "Tin số {}".format(i)} for i in range(60)]
    sms_batch(container, config, recipients)
    wait_for(lambda: len(fake.sms()) >= 15, what="sending to start")
    fake.behave(delay=30)  # Twilio accepts the next ones but does not answer before the crash
    wait_for(lambda: len(fake.sms()) >= 20, what="messages accepted and unanswered")
    container.kill()  # mid-round: messages are at Twilio but not recorded as sent
    in_doubt = [m for m in messages(db_session) if m.status == "sending"]
    fake.behave(delay=0)
    restarted = container_factory(NotificationsService, config)
    restarted.start()
    found = wait_for(settled(db_session, 60), timeout=120, what="the batch to finish after the restart")
    assert {m.status for m in found} == {"sent"}
    received = [m["to"] for m in fake.sms()]
    assert sorted(received) == sorted(r["to"] for r in recipients)  # each once: none lost, none twice
    assert in_doubt, "the crash should have left messages in doubt (sending)"


def test_outcomes_are_recorded_together_and_a_message_given_back_keeps_its_attempts(db_session):
    """sending.record: one statement per kind of outcome; a message given back unsent (its lease ran
    short, or advertising closed) is queued again without counting the attempt."""
    from collections import Counter
    from types import SimpleNamespace

    from services.core.unit_of_work import UnitOfWork
    from services.notifications.providers import Outgoing, ProviderError
    from services.notifications.sending import RELEASED, record

    session = db_session("notifications")
    ids = []
    for index in range(4):
        message = Message(
            dedupe_key="record-{}".format(index),
            channel="sms",
            purpose="test",
            to="+8490000000{}".format(index),
            body="x",
            status="sending",
            attempts=2,
        )
        session.add(message)
        session.flush()
        ids.append(message.id)
    session.commit()
    settings = SimpleNamespace(max_attempts=3, backoff=lambda attempts: 30)
    stats = Counter()
    outcomes = [
        (Outgoing(id=ids[0], channel="sms", to="", body=""), 2, "SM-record-0", None),
        (Outgoing(id=ids[1], channel="sms", to="", body=""), 2, None, ProviderError("busy")),
        (Outgoing(id=ids[2], channel="sms", to="", body=""), 3, None, ProviderError("busy")),
        (Outgoing(id=ids[3], channel="sms", to="", body=""), 2, None, RELEASED),
    ]
    record(UnitOfWork(lambda: db_session("notifications")), outcomes, settings, stats)
    rows = {m.id: (m.status, m.attempts, m.provider_id) for m in messages(db_session)}
    assert [rows[i] for i in ids] == [
        ("sent", 2, "SM-record-0"),
        ("queued", 2, None),
        ("failed", 2, None),
        ("queued", 1, None),
    ]
    assert dict(stats) == {"sent": 1, "retried": 1, "failed": 1, "released": 1}
