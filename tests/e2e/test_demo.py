"""``make demo`` fills the system once: a second run adds nothing."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def run_demo(system):
    env = dict(system.env, CRM_URL=system.base_url, DEMO_CUSTOMERS_PER_SELLER="8")
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "deploy", "demo.py")], env=env, capture_output=True, text=True, timeout=300
    )


def counts(admin):
    return {
        path: admin.get("/api/v1/" + path, {"page_size": 1}).json()["total"]
        for path in (
            "users",
            "departments",
            "customers",
            "tickets",
            "customer-groups",
            "support-groups",
            "messages",
            "warehouses",
            "products",
            "stock-moves",
            "accounts",
            "vouchers",
        )
    }


def test_demo_runs_twice_and_adds_nothing_the_second_time(system, admin):
    before = counts(admin)
    first = run_demo(system)
    assert first.returncode == 0, first.stdout + first.stderr
    after_first = counts(admin)
    assert after_first["customers"] >= before["customers"] + 24 and after_first["users"] == before["users"] + 7
    assert after_first["tickets"] == before["tickets"] + 6 and after_first["messages"] > before["messages"]
    for path, made in {"warehouses": 2, "products": 3, "stock-moves": 4, "accounts": 3, "vouchers": 5}.items():
        assert after_first[path] == before[path] + made, path
    assert "hoa.nguyen" in first.stdout  # the users it made, with how to sign in
    second = run_demo(system)
    assert second.returncode == 0, second.stdout + second.stderr
    assert counts(admin) == after_first


def test_demo_users_can_sign_in_and_see_their_customers(system, admin, anonymous):
    assert run_demo(system).returncode == 0
    seller = anonymous.login("lan.tran", "demo-password-2026")
    mine = seller.get("/api/v1/customers", {"q": "DEMO-"}).json()
    assert mine["total"] >= 8 and all(c["code"].startswith("DEMO-") for c in mine["items"])
    care = anonymous.login("hoa.nguyen", "demo-password-2026")  # shared a tenth of lan's customers
    assert care.get("/api/v1/customers", {"q": "DEMO-"}).json()["total"] >= 1
