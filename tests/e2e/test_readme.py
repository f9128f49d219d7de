"""README's "first ten minutes" runs as written on a fresh system: one flow of each service."""

import json
import os
import re
import subprocess

import pytest

from deploy.harness import running_system
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def first_ten_minutes():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as stream:
        readme = stream.read()
    section = readme.split("### The first ten minutes", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_first_ten_minutes_of_the_readme_work_on_a_fresh_system(infra):
    script = first_ten_minutes()
    assert script.startswith("API=http://127.0.0.1:8000/api/v1\n")
    with running_system(infra, name="crmreadme", env={"CRM_ADMIN_PASSWORD": "admin"}) as system:
        script = script.replace("http://127.0.0.1:8000", system.base_url, 1)
        done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert all("error" not in answer for answer in answers), done.stdout
    me, found, group, ticket, messages, move, stock, voucher, ledger = answers
    assert me["username"] == "admin" and found["total"] == 1
    assert ticket["status"] == "assigned" and ticket["assignee_id"] == group["members"][0]["user_id"]
    assert {m["channel"] for m in messages["items"] if m["purpose"] == "ticket_assigned"} == {"sms", "email"}
    assert move["status"] == "posted" and stock["items"][0]["quantity"] == 20
    assert voucher["status"] == "confirmed" and voucher["number"].startswith("PT-")
    assert ledger["items"][0]["balance"] == 1500000
