"""Pure rules of the notifications service: segments, advertising hours, addresses, rate limit, backoff."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from services.notifications import segments
from services.notifications.addresses import normalize_email, normalize_phone
from services.notifications.advertising import AdvertisingWindow, parse_hours, with_prefix
from services.notifications.providers import RateLimiter
from services.notifications.settings import Settings
from services.notifications.ticket_notices import TEMPLATES, deadline_text, render

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    "text, encoding, count",
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),  # extension characters take two septets
        ("{" * 81, "GSM-7", 2),
        ("€" + "a" * 159, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),  # é is in the GSM-7 basic table
        ("ế" * 70, "UCS-2", 1),  # Vietnamese diacritics force UCS-2
        ("ế" * 71, "UCS-2", 2),
        ("a" * 134 + "ệ", "UCS-2", 3),
        ("a" * 133 + "ệ", "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # outside the BMP: two code units each
        ("😀" * 36, "UCS-2", 2),
    ],
)
def test_segments(text, encoding, count):
    assert segments.encoding(text) == encoding
    assert segments.count(text) == count


def test_vietnamese_sentence_is_ucs2():
    text = "Chào anh Nguyễn Văn A, cửa hàng khuyến mãi 20% hôm nay."
    assert segments.encoding(text) == "UCS-2"
    assert segments.count(text) == 1
    assert segments.count(text * 2) == 2


def at(hour, minute=0, day=29):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    "moment, open_",
    [
        (at(6, 59), False),
        (at(7, 0), True),
        (at(12), True),
        (at(21, 59), True),
        (at(22, 0), False),
        (at(23, 30), False),
    ],
)
def test_advertising_window(moment, open_):
    window = AdvertisingWindow()
    assert window.is_open(moment) is open_
    assert window.is_open(moment.astimezone(datetime.UTC)) is open_


def test_next_opening():
    window = AdvertisingWindow()
    assert window.next_opening(at(5, 30)) == at(7)
    assert window.next_opening(at(22, 15)) == at(7, day=30)
    assert window.next_opening(at(10)) == at(10)
    # 23:30 UTC on the 28th is 06:30 on the 29th in Vietnam
    utc = datetime.datetime(2026, 11, 28, 23, 30, tzinfo=datetime.UTC)
    assert window.next_opening(utc) == at(7, day=29)


def test_hours_must_be_a_window():
    assert parse_hours("08:30-17:00") == (datetime.time(8, 30), datetime.time(17))
    with pytest.raises(ValueError):
        parse_hours("22:00-07:00")
    with pytest.raises(ValueError):
        parse_hours("soon")


def test_prefix_once():
    assert with_prefix("Giảm giá") == "[QC] Giảm giá"
    assert with_prefix("[QC] Giảm giá") == "[QC] Giảm giá"


@pytest.mark.parametrize(
    "raw, phone",
    [
        ("0901 234-567", "+84901234567"),
        ("+84 90 123 4567", "+84901234567"),
        ("0084901234567", "+84901234567"),
        ("84901234567", "+84901234567"),
        ("(+1) 415-555-0100", "+14155550100"),
        ("12", None),
        ("abc", None),
        (None, None),
    ],
)
def test_normalize_phone(raw, phone):
    assert normalize_phone(raw) == phone


def test_normalize_email():
    assert normalize_email(" An.Nguyen@Example.COM ") == "an.nguyen@example.com"
    assert normalize_email("not an email") is None


def test_rate_limiter_spaces_calls():
    clock = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(10, burst=1, clock=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    assert clock[0] == pytest.approx(0.4)  # 5 calls at 10/s: the first is free, then 0.1 s apart


def test_backoff_is_exponential_and_capped():
    settings = Settings(retry_base_seconds=5, retry_max_seconds=60)
    assert [settings.backoff(n) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]


def test_ticket_templates():
    assert render("#{ticket_id} {title}{missing}", {"ticket_id": 3, "title": "Lỗi"}) == "#3 Lỗi"
    assert deadline_text("2026-11-30T10:00:00+00:00", "Asia/Ho_Chi_Minh") == " (hạn 30/11/2026 17:00)"
    assert deadline_text("2026-11-30T10:00:00+00:00", "Asia/Ho_Chi_Minh", "en") == " (deadline 30/11/2026 17:00)"
    assert deadline_text(None, "Asia/Ho_Chi_Minh") == ""


@pytest.mark.parametrize(
    "value, language", [(None, "vi"), ("", "vi"), ("vi", "vi"), ("VI-vn", "vi"), (" en ", "en"), ("en_US", "en")]
)
def test_the_business_language_of_the_assignee_notice(value, language):
    settings = Settings.from_config({"BUSINESS_LANGUAGE": value})
    assert settings.language == language and settings.ticket_templates == TEMPLATES[language]


def test_the_assignee_notice_is_vietnamese_by_default_and_english_on_request():
    vietnamese, english = Settings.from_config({}), Settings.from_config({"BUSINESS_LANGUAGE": "en"})
    values = {"ticket_id": 7, "title": "Máy in hỏng", "name": "Bình", "deadline_text": ""}
    assert render(vietnamese.ticket_templates["sms"], values) == 'CRM: ticket #7 "Máy in hỏng" đã được giao cho bạn.'
    assert render(vietnamese.ticket_templates["email_body"], values).startswith("Chào Bình,")
    assert render(english.ticket_templates["email_subject"], values) == "Ticket #7 assigned to you: Máy in hỏng"
    # the operator's own text replaces one template, the others stay in the business language
    custom = Settings.from_config(
        {"BUSINESS_LANGUAGE": "en", "TICKET_TEMPLATES": {"sms": "#{ticket_id}", "email_body": ""}}
    )
    assert custom.ticket_templates == dict(TEMPLATES["en"], sms="#{ticket_id}")


@pytest.mark.parametrize("value", ["fr", "vietnamese", "e"])
def test_an_unknown_business_language_refuses_to_start(value):
    with pytest.raises(ValueError, match="BUSINESS_LANGUAGE"):
        Settings.from_config({"BUSINESS_LANGUAGE": value})


def test_merge_fields_of_bulk_messages():
    from services.core.errors import InvalidInput
    from services.customers.messaging import CUSTOMER_FIELDS, check_merge_fields, merge

    assert merge("Chào {name}, mã {code}{missing}", {"name": "Bình", "code": "KH1"}) == "Chào Bình, mã KH1"
    assert merge("{ not a field }", {}) == "{ not a field }"
    assert merge(None, {}) is None
    check_merge_fields("Chào {name} {code}", CUSTOMER_FIELDS, "content")
    with pytest.raises(InvalidInput) as excinfo:
        check_merge_fields("Chào {nam}", CUSTOMER_FIELDS, "content")
    assert "{nam}" in excinfo.value.fields["content"][0]


# -- the sender gives back what it must not send now ---------------------------------------


def test_a_claimed_message_is_given_back_when_its_lease_ran_short_or_advertising_closed():
    import time
    from types import SimpleNamespace

    from services.notifications.providers import Outgoing
    from services.notifications.sending import RELEASED, _send_one

    class Channels:
        sent = []

        def send(self, channel, message):
            self.sent.append(message.id)
            return "SM{}".format(message.id)

    def settings(window_open):
        return SimpleNamespace(now=lambda: None, advertising=SimpleNamespace(is_open=lambda now: window_open))

    channels, later, earlier = Channels(), time.monotonic() + 60, time.monotonic() - 1
    care, advertising = (
        Outgoing(id=1, channel="sms", to="+84900000001", body="x"),
        Outgoing(id=2, channel="sms", to="+84900000002", body="[QC] x", advertising=True),
    )
    assert _send_one(channels, (care, 1), earlier, settings(True))[3] is RELEASED  # lease half gone: not started
    assert _send_one(channels, (advertising, 1), later, settings(False))[3] is RELEASED  # window closed meanwhile
    assert _send_one(channels, (care, 1), later, settings(False))[2:] == ("SM1", None)  # care SMS: any hour
    assert _send_one(channels, (advertising, 1), later, settings(True))[2:] == ("SM2", None)
    assert channels.sent == [1, 2]
