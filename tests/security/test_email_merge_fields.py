"""Bulk HTML email: merge values are escaped in the HTML part, kept as they are in the text part."""

import html
import time

from services.customers.messaging import merge
from tests.conftest import unique

HOSTILE = '<script>alert(1)</script> & "Co"'


def test_merge_escapes_only_when_told():
    person = {"name": HOSTILE}
    assert merge("<p>{name}</p>", person, escape=html.escape) == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;</p>"
    )
    assert merge("Hello {name}", person) == "Hello " + HOSTILE


def test_a_customer_named_like_a_script_is_text_in_the_html_part(admin, fake_providers):
    address = unique("xss") + "@example.com"
    customer = admin.post("/api/v1/customers", {"name": HOSTILE, "email": address})
    assert customer.status_code == 201, customer.text
    response = admin.post(
        "/api/v1/customers/bulk/email",
        {
            "customer_ids": [customer.json()["id"]],
            "subject": "Hi {name}",
            "body": "Dear {name}",
            "html": "<p>{name}</p>",
        },
    )
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mails = [m for m in fake_providers.emails() if m["rcpt_tos"] == [address]]
        if mails:
            break
        time.sleep(0.2)
    [mail] = mails
    assert mail["html"].strip() == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;</p>"
    assert "<script>" not in mail["html"]
    assert mail["text"].strip() == "Dear " + HOSTILE
    assert mail["subject"] == "Hi " + HOSTILE
