"""Notifications end to end: bulk SMS/email from the customer list through the real twilio client
and smtplib to local servers, signed status callbacks through the gateway, ticket notices."""

import random

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.conftest import unique, wait_for

pytestmark = pytest.mark.e2e

WEBHOOK = "/api/v1/webhooks/twilio/status"
VI = {"Accept-Language": "vi"}


def phone():
    return "09{:08d}".format(random.randrange(10**8))


def e164(local):
    return "+84" + local[1:]


@pytest.fixture(scope="module")
def brandname(admin):
    name = "CSKH" + unique("")[:6]
    response = admin.post("/api/v1/brandnames", {"name": name, "kind": "care"})
    assert response.status_code == 201, response.text
    return name


@pytest.fixture(scope="module")
def seller(new_user):
    return new_user()


def customer(client, **fields):
    body = {"name": fields.pop("name", unique("Khách ")), "phone": fields.pop("phone", phone())}
    body.update(fields)
    response = client.post("/api/v1/customers", body)
    assert response.status_code == 201, response.text
    return response.json()


def batch_messages(client, batch_id):
    response = client.get("/api/v1/messages", params={"batch_id": batch_id, "page_size": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def settled(client, batch_id, count, final=("delivered", "failed", "skipped")):
    def check():
        items = batch_messages(client, batch_id)
        return items if len(items) == count and all(m["status"] in final for m in items) else None

    return check


def test_bulk_sms_reaches_only_visible_customers_and_reports_delivery(seller, admin, brandname, fake_providers):
    mine = [customer(seller, name="An {}".format(i)) for i in range(3)]
    hidden = customer(admin, name="Hidden")
    response = seller.post(
        "/api/v1/customers/bulk/sms",
        {
            "customer_ids": [c["id"] for c in mine] + [hidden["id"]],
            "brandname": brandname,
            "content": "Chào {name}, mã khách hàng {code}.",
        },
    )
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["recipients"] == 3 and answer["segments"] == 3  # Vietnamese: UCS-2, one segment each
    items = wait_for(settled(seller, answer["batch_id"], 3), what="delivery callbacks")
    assert {m["status"] for m in items} == {"delivered"}
    assert sorted(m["to"] for m in items) == sorted(e164(c["phone"]) for c in mine)
    assert all(m["provider_id"].startswith("SM") for m in items)
    received = [m for m in fake_providers.sms() if m["to"] in {e164(c["phone"]) for c in mine + [hidden]}]
    assert sorted(m["to"] for m in received) == sorted(e164(c["phone"]) for c in mine)
    assert "Chào An 0, mã khách hàng {}.".format(mine[0]["code"]) in [m["body"] for m in received]
    # the customer the seller cannot see appears nowhere, not even to an admin
    assert e164(hidden["phone"]) not in [m["to"] for m in batch_messages(admin, answer["batch_id"])]


def test_bulk_messages_to_customers_nobody_can_reach_say_why_without_revealing_which_exist(seller, admin, brandname):
    hidden = customer(admin, name=unique("Ẩn "))
    gone = customer(seller, name=unique("Xóa "))
    assert seller.delete("/api/v1/customers/{}".format(gone["id"])).status_code == 204
    sms = {"brandname": brandname, "content": "Chào {name}"}
    email = {"subject": "Chào", "body": "Chào {name}"}
    unseen = "You cannot see any of the selected customers (or they do not exist)."
    # a customer of someone else and one that no longer exists: the same answer
    for ids in ([hidden["id"]], [gone["id"]], [hidden["id"], gone["id"]]):
        for path, body in (("sms", sms), ("email", email)):
            response = seller.post("/api/v1/customers/bulk/" + path, dict(body, customer_ids=ids))
            assert response.status_code == 422, response.text
            assert response.json()["error"] == {"code": "NO_RECIPIENTS", "message": unseen}
    response = seller.post("/api/v1/customers/bulk/sms", dict(sms, customer_ids=[hidden["id"]]), headers=VI)
    assert (
        response.json()["error"]["message"]
        == "Bạn không xem được khách hàng nào trong số đã chọn (hoặc họ không tồn tại)."
    )
    response = seller.post("/api/v1/customers/bulk/sms", dict(sms, filter={"q": unique("nobody ")}), headers=VI)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Không có khách hàng nào bạn xem được khớp bộ lọc."
    # visible, but without the address: said so (the hidden one changes nothing)
    silent = customer(seller, name=unique("Không số "), phone=None)
    ids = [silent["id"], hidden["id"]]
    response = seller.post("/api/v1/customers/bulk/sms", dict(sms, customer_ids=ids))
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "None of the selected customers you can see has a phone number."
    response = seller.post("/api/v1/customers/bulk/sms", dict(sms, customer_ids=ids, to="contacts"))
    assert response.json()["error"]["message"] == (
        "None of the selected customers you can see has a contact with a phone number."
    )
    response = seller.post("/api/v1/customers/bulk/email", dict(email, customer_ids=ids), headers=VI)
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "NO_RECIPIENTS",
        "message": "Không khách hàng nào bạn xem được trong số đã chọn có địa chỉ email.",
    }


def test_bulk_sms_and_email_to_every_visible_customer_matching_a_filter(seller, admin, brandname, fake_providers):
    tag = unique("Hội viên ")
    mine = [customer(seller, name="{} {}".format(tag, i), email="{}@example.com".format(unique("m"))) for i in range(3)]
    hidden = customer(admin, name=tag + " hidden", email="hidden@example.com")
    response = seller.post(
        "/api/v1/customers/bulk/sms", {"filter": {"q": tag}, "brandname": brandname, "content": "Chào {name}"}
    )
    assert response.status_code == 202, response.text
    items = wait_for(settled(seller, response.json()["batch_id"], 3), what="the filtered batch")
    assert sorted(m["to"] for m in items) == sorted(e164(c["phone"]) for c in mine)  # not the hidden one
    emailed = seller.post(
        "/api/v1/customers/bulk/email", {"filter": {"q": tag}, "subject": "Tin {name}", "body": "Chào {name}"}
    )
    assert emailed.status_code == 202 and emailed.json()["recipients"] == 3, emailed.text
    both = seller.post(
        "/api/v1/customers/bulk/sms",
        {"filter": {"q": tag}, "customer_ids": [hidden["id"]], "brandname": brandname, "content": "x"},
    )
    assert both.status_code == 400, both.text


def test_bulk_sms_to_contacts(seller, brandname, fake_providers):
    company = customer(seller, kind="company", name="Công ty ABC")
    numbers = [phone(), phone()]
    for i, number in enumerate(numbers):
        response = seller.post(
            "/api/v1/customers/{}/contacts".format(company["id"]), {"name": "Liên hệ {}".format(i), "phone": number}
        )
        assert response.status_code == 201, response.text
    response = seller.post(
        "/api/v1/customers/bulk/sms",
        {
            "customer_ids": [company["id"]],
            "brandname": brandname,
            "content": "Dear {name} of {customer_name}",
            "to": "contacts",
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["recipients"] == 2 and response.json()["segments"] == 2
    items = wait_for(settled(seller, response.json()["batch_id"], 2), what="the contacts' messages")
    assert sorted(m["to"] for m in items) == sorted(e164(n) for n in numbers)
    bodies = {m["body"] for m in fake_providers.sms() if m["to"] in {e164(n) for n in numbers}}
    assert bodies == {"Dear Liên hệ 0 of Công ty ABC", "Dear Liên hệ 1 of Công ty ABC"}


def test_opted_out_phone_is_skipped(seller, brandname, fake_providers):
    kept, opted = customer(seller), customer(seller)
    response = seller.post("/api/v1/opt-outs", {"channel": "sms", "address": opted["phone"]})
    assert response.status_code == 201, response.text
    response = seller.post(
        "/api/v1/customers/bulk/sms",
        {"customer_ids": [kept["id"], opted["id"]], "brandname": brandname, "content": "Hello {name}"},
    )
    assert response.status_code == 202, response.text
    assert (response.json()["recipients"], response.json()["skipped"]) == (1, 1)
    items = wait_for(settled(seller, response.json()["batch_id"], 2), what="the batch")
    assert sorted((m["to"], m["status"]) for m in items) == sorted(
        [(e164(kept["phone"]), "delivered"), (e164(opted["phone"]), "skipped")]
    )
    assert e164(opted["phone"]) not in [m["to"] for m in fake_providers.sms()]


def test_advertising_outside_hours_is_refused(admin, seller):
    name = "KM" + unique("")[:6]
    assert admin.post("/api/v1/brandnames", {"name": name, "kind": "advertising"}).status_code == 201
    assert seller.post("/api/v1/brandnames", {"name": name + "x", "kind": "care"}).status_code == 403
    response = seller.post(
        "/api/v1/customers/bulk/sms",
        {"customer_ids": [customer(seller)["id"]], "brandname": name, "content": "Giảm giá 50%"},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "OUTSIDE_ADVERTISING_HOURS" and error["fields"]["next_allowed_at"]


def test_bulk_email_keeps_vietnamese(seller, fake_providers):
    address = unique("mail") + "@example.com"
    target = customer(seller, name="Nguyễn Văn Bình", email=address)
    response = seller.post(
        "/api/v1/customers/bulk/email",
        {
            "customer_ids": [target["id"]],
            "subject": "Thư cảm ơn {name}",
            "body": "Kính gửi {name},\nCảm ơn quý khách.",
            "html": "<p>Kính gửi <b>{name}</b></p>",
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["recipients"] == 1
    items = wait_for(settled(seller, response.json()["batch_id"], 1, final=("sent", "failed")), what="the email")
    assert items[0]["status"] == "sent" and items[0]["channel"] == "email"
    [mail] = [m for m in fake_providers.emails() if m["rcpt_tos"] == [address]]
    assert mail["subject"] == "Thư cảm ơn Nguyễn Văn Bình"
    assert mail["text"].replace("\r\n", "\n").strip() == "Kính gửi Nguyễn Văn Bình,\nCảm ơn quý khách."
    assert mail["html"].strip() == "<p>Kính gửi <b>Nguyễn Văn Bình</b></p>"


def test_status_callback_signatures(system, seller, admin, brandname, fake_providers):
    target = customer(seller)
    response = seller.post(
        "/api/v1/customers/bulk/sms", {"customer_ids": [target["id"]], "brandname": brandname, "content": "ping"}
    )
    [message] = wait_for(settled(seller, response.json()["batch_id"], 1), what="the message")
    url = "{}{}?message_id={}".format(system.base_url, WEBHOOK, message["id"])
    params = {
        "MessageSid": message["provider_id"],
        "MessageStatus": "failed",
        "ErrorCode": "30003",
        "AccountSid": fake_providers.account_sid,
    }
    good = RequestValidator(fake_providers.auth_token).compute_signature(url, params)
    wrong = RequestValidator("not-the-token").compute_signature(url, params)
    assert requests.post(url, data=params, timeout=30).status_code == 403
    assert requests.post(url, data=params, headers={"X-Twilio-Signature": wrong}, timeout=30).status_code == 403
    # correctly signed, but delivered is final: a late "failed" changes nothing, nor does a replay
    for _ in range(2):
        assert requests.post(url, data=params, headers={"X-Twilio-Signature": good}, timeout=30).status_code == 204
    assert batch_messages(seller, response.json()["batch_id"])[0]["status"] == "delivered"
    # the fake Twilio's own callbacks were all accepted by the gateway
    answers = {c["answer"] for c in fake_providers.callbacks() if c["sid"] == message["provider_id"]}
    assert answers == {204}


def test_ticket_assignment_notifies_the_assignee(admin, new_user, fake_providers):
    number, address = phone(), unique("agent") + "@example.com"
    agent = new_user(phone=number, email=address, full_name="Lê Văn Cường")
    ticket_type = admin.post("/api/v1/ticket-types", {"name": unique("Sửa máy ")})
    assert ticket_type.status_code == 201, ticket_type.text
    group = admin.post(
        "/api/v1/support-groups",
        {
            "name": unique("Nhóm "),
            "ticket_type_ids": [ticket_type.json()["id"]],
            "members": [{"user_id": agent.user["id"], "priority": 1}],
        },
    )
    assert group.status_code == 201, group.text
    ticket = admin.post(
        "/api/v1/tickets",
        {"title": "Máy in hỏng", "type_id": ticket_type.json()["id"], "deadline": "2026-12-01T03:00:00+00:00"},
    )
    assert ticket.status_code == 201, ticket.text

    def notices():
        items = agent.get("/api/v1/messages", params={"page_size": 500}).json()["items"]
        return items if len(items) == 2 and all(m["status"] in ("sent", "delivered") for m in items) else None

    items = wait_for(notices, what="the assignee's notices")
    assert sorted((m["channel"], m["to"]) for m in items) == [("email", address), ("sms", e164(number))]
    [sms] = [m for m in fake_providers.sms() if m["to"] == e164(number)]
    assert "Máy in hỏng" in sms["body"] and "#{}".format(ticket.json()["id"]) in sms["body"]
    # in the business language (BUSINESS_LANGUAGE, Vietnamese by default), deadline in Vietnam time
    assert "đã được giao cho bạn (hạn 01/12/2026 10:00)" in sms["body"]
    [mail] = [m for m in fake_providers.emails() if m["rcpt_tos"] == [address]]
    assert mail["subject"] == "Ticket #{} đã được giao cho bạn: Máy in hỏng".format(ticket.json()["id"])


def test_sms_preview_counts_segments(seller, brandname):
    response = seller.post("/api/v1/sms/preview", {"content": "Chào {name}, cảm ơn bạn!" * 3, "brandname": brandname})
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("encoding", "segments")} == {"encoding": "UCS-2", "segments": 2}
    response = seller.post("/api/v1/sms/preview", {"content": "a" * 161})
    assert (response.json()["encoding"], response.json()["length"], response.json()["segments"]) == ("GSM-7", 161, 2)
