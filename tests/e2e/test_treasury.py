"""Treasury end to end through HTTP, every service running: the seed's three transfers, receipts
and payments with each kind of counterpart, the filter with totals, the ledger, the trial
balance, reversal, and who may do what."""

import pytest

from tests.conftest import unique

pytestmark = [pytest.mark.infra, pytest.mark.e2e]


@pytest.fixture(scope="module")
def accountant(new_user):
    return new_user(roles=["accountant"], full_name="Trần Kế Toán")


@pytest.fixture(scope="module")
def staff(new_user):
    return new_user(roles=["staff"], full_name="Lê Nhân Viên")


def created(response):
    assert response.status_code == 201, response.text
    return response.json()


def ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def cash_book(client, opening=0):
    return created(
        client.post("/api/v1/accounts", {"type": "cash", "name": unique("Quỹ "), "opening_balance": opening})
    )


def bank_account(client, opening=0):
    body = {"type": "bank", "name": unique("TK "), "bank_name": "Vietcombank", "account_number": unique("0071")}
    return created(client.post("/api/v1/accounts", dict(body, opening_balance=opening)))


def balance(client, account):
    return ok(client.get("/api/v1/accounts/{}".format(account["id"])))["balance"]


def error_of(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]


@pytest.mark.parametrize(
    "kind, source_type, target_type",
    [("cash_to_bank", "cash", "bank"), ("bank_to_cash", "bank", "cash"), ("internal_transfer", "bank", "bank")],
)
def test_each_transfer_moves_money_only_once_confirmed(accountant, kind, source_type, target_type):
    make = {"cash": cash_book, "bank": bank_account}
    source, target = make[source_type](accountant, 5_000_000), make[target_type](accountant, 1_000)
    voucher = created(
        accountant.post(
            "/api/v1/vouchers",
            {
                "kind": kind,
                "amount": 2_000_000,
                "from_account_id": source["id"],
                "to_account_id": target["id"],
                "person_in_charge_id": accountant.user["id"],
                "note": "seed transfer",
            },
        )
    )
    assert voucher["status"] == "draft" and voucher["date"].endswith("+07:00")
    assert (balance(accountant, source), balance(accountant, target)) == (5_000_000, 1_000)
    confirmed = ok(accountant.post("/api/v1/vouchers/{}/confirm".format(voucher["id"])))
    assert confirmed["status"] == "confirmed"
    assert (balance(accountant, source), balance(accountant, target)) == (3_000_000, 2_001_000)
    again = accountant.post("/api/v1/vouchers/{}/confirm".format(voucher["id"]))
    assert error_of(again, 409)["code"] == "VOUCHER_NOT_DRAFT"
    assert (balance(accountant, source), balance(accountant, target)) == (3_000_000, 2_001_000)


def test_receipts_and_payments_with_each_counterpart(accountant, staff):
    customer = created(staff.post("/api/v1/customers", {"name": "Công ty Hoà Bình", "code": unique("KH")}))
    cash = cash_book(accountant, 100_000)
    cases = [
        ("receipt", {"counterpart_type": "customer", "counterpart_id": customer["id"]}, customer["name"]),
        ("receipt", {"counterpart_type": "other", "counterpart_name": "Khách vãng lai"}, "Khách vãng lai"),
        ("payment", {"counterpart_type": "supplier", "counterpart_name": "NCC Phú Thành"}, "NCC Phú Thành"),
        ("payment", {"counterpart_type": "employee", "counterpart_id": staff.user["id"]}, "Lê Nhân Viên"),
    ]
    for kind, counterpart, name in cases:
        side = "to_account_id" if kind == "receipt" else "from_account_id"
        body = dict(counterpart, kind=kind, amount=10_000, category="test", **{side: cash["id"]})
        voucher = created(accountant.post("/api/v1/vouchers", body))
        assert voucher["counterpart_name"] == name and voucher["number"].startswith(
            "PT-" if kind == "receipt" else "PC-"
        )
        ok(accountant.post("/api/v1/vouchers/{}/confirm".format(voucher["id"])))
    assert balance(accountant, cash) == 100_000
    first = accountant.get("/api/v1/vouchers", {"account_id": cash["id"], "counterpart_type": "customer"}).json()
    assert first["items"][0]["counterpart_code"] == customer["code"]
    # the accountant names the customer on a voucher, but the customer record stays out of sight
    assert accountant.get("/api/v1/customers/{}".format(customer["id"])).status_code == 404
    missing = accountant.post(
        "/api/v1/vouchers",
        {
            "kind": "receipt",
            "amount": 1,
            "to_account_id": cash["id"],
            "counterpart_type": "customer",
            "counterpart_id": 99_999_999,
            "category": "x",
        },
    )
    assert error_of(missing, 404)["code"] == "CUSTOMER_NOT_FOUND"


def test_the_filter_totals_ledger_and_trial_balance(accountant, admin):
    bank = bank_account(accountant, 0)
    cash = cash_book(accountant, 0)

    def post(kind, amount, date, **sides):
        body = {"kind": kind, "amount": amount, "date": date, **sides}
        if kind in ("receipt", "payment"):
            body.update(counterpart_type="other", counterpart_name="Khách", category="bán hàng")
        else:
            body["person_in_charge_id"] = accountant.user["id"]
        voucher = created(accountant.post("/api/v1/vouchers", body))
        return ok(accountant.post("/api/v1/vouchers/{}/confirm".format(voucher["id"])))

    post("receipt", 700, "2026-05-01", to_account_id=bank["id"])
    post("receipt", 300, "2026-05-31T23:59:00+07:00", to_account_id=bank["id"])
    post("payment", 100, "2026-05-15", from_account_id=bank["id"])
    post("bank_to_cash", 250, "2026-05-20", from_account_id=bank["id"], to_account_id=cash["id"])
    post("receipt", 5, "2026-05-31T17:00:00Z", to_account_id=bank["id"])  # June 1st in Hanoi

    may = accountant.get(
        "/api/v1/vouchers", {"account_id": bank["id"], "from": "2026-05-01", "to": "2026-05-31", "page_size": 1}
    )
    page = ok(may)
    assert page["total"] == 4 and len(page["items"]) == 1 and page["totals"] == {"in": 1_000, "out": 350}
    receipts = ok(
        accountant.get("/api/v1/vouchers", {"account_id": bank["id"], "kind": ["receipt"], "status": "confirmed"})
    )
    assert receipts["total"] == 3 and receipts["totals"]["in"] == 1_005

    ledger = ok(accountant.get("/api/v1/accounts/{}/ledger".format(bank["id"])))
    assert [e["balance"] for e in ledger["items"]] == [700, 1_000, 900, 650, 655]
    assert ledger["closing"] == balance(accountant, bank) == 655

    report = ok(admin.get("/api/v1/trial-balance"))
    rows = {row["account_id"]: row for row in report["items"]}
    assert rows[bank["id"]]["closing"] == 655 and rows[cash["id"]]["closing"] == 250
    assert report["totals"]["debits"] == report["totals"]["credits"] and report["transfers_net"] == 0
    for row in report["items"]:
        if row["type"] != "outside":
            assert row["closing"] == balance(admin, {"id": row["account_id"]})


def test_reversal_and_insufficient_funds(accountant):
    cash, bank = cash_book(accountant, 1_000), bank_account(accountant, 0)
    body = {"kind": "cash_to_bank", "amount": 1_500, "from_account_id": cash["id"], "to_account_id": bank["id"]}
    voucher = created(accountant.post("/api/v1/vouchers", dict(body, person_in_charge_id=accountant.user["id"])))
    refused = error_of(accountant.post("/api/v1/vouchers/{}/confirm".format(voucher["id"])), 422)
    assert refused["code"] == "INSUFFICIENT_FUNDS" and "1000" in refused["message"]
    ok(accountant.patch("/api/v1/vouchers/{}".format(voucher["id"]), {"amount": 600}))
    ok(accountant.post("/api/v1/vouchers/{}/confirm".format(voucher["id"])))
    reversal = created(accountant.post("/api/v1/vouchers/{}/reverse".format(voucher["id"])))
    assert reversal["kind"] == "bank_to_cash" and reversal["reverses_id"] == voucher["id"]
    assert ok(accountant.get("/api/v1/vouchers/{}".format(voucher["id"])))["reversed_by_id"] == reversal["id"]
    assert (balance(accountant, cash), balance(accountant, bank)) == (1_000, 0)
    assert error_of(accountant.post("/api/v1/vouchers/{}/reverse".format(voucher["id"])), 409)["code"] == (
        "VOUCHER_ALREADY_REVERSED"
    )
    assert error_of(accountant.patch("/api/v1/vouchers/{}".format(voucher["id"]), {"note": "x"}), 409)


@pytest.mark.parametrize("amount", [1.5, 1.0, "1000", True, -5, 0, 10**15 + 1])
def test_bad_amounts_are_refused_naming_the_field(accountant, amount):
    cash = cash_book(accountant)
    body = {"kind": "receipt", "amount": amount, "to_account_id": cash["id"], "counterpart_type": "other"}
    error = error_of(accountant.post("/api/v1/vouchers", dict(body, counterpart_name="x", category="x")), 400)
    assert "amount" in error["fields"]
    if amount != 0:  # an opening balance may be zero
        account = {"type": "cash", "name": "x", "opening_balance": amount}
        assert "opening_balance" in error_of(accountant.post("/api/v1/accounts", account), 400)["fields"]


def test_wrong_account_kinds_are_refused_naming_the_field(accountant):
    cash, bank, other_bank = cash_book(accountant), bank_account(accountant), bank_account(accountant)
    cases = [
        ("cash_to_bank", bank, other_bank, "from_account_id"),
        ("bank_to_cash", bank, other_bank, "to_account_id"),
        ("internal_transfer", cash, bank, "from_account_id"),
        ("internal_transfer", bank, bank, "to_account_id"),
    ]
    for kind, source, target, field in cases:
        body = {"kind": kind, "amount": 10, "from_account_id": source["id"], "to_account_id": target["id"]}
        error = error_of(
            accountant.post("/api/v1/vouchers", dict(body, person_in_charge_id=accountant.user["id"])), 400
        )
        assert field in error["fields"], (kind, error)
    payment = {"kind": "payment", "amount": 10, "to_account_id": cash["id"], "counterpart_type": "other"}
    error = error_of(accountant.post("/api/v1/vouchers", dict(payment, counterpart_name="x", category="x")), 400)
    assert {"from_account_id", "to_account_id"} <= set(error["fields"])


def test_staff_see_no_money_and_may_do_nothing(accountant, staff):
    cash = cash_book(accountant, 50)
    voucher = created(
        accountant.post(
            "/api/v1/vouchers",
            {
                "kind": "receipt",
                "amount": 5,
                "to_account_id": cash["id"],
                "counterpart_type": "other",
                "counterpart_name": "x",
                "category": "x",
            },
        )
    )
    assert ok(staff.get("/api/v1/vouchers"))["items"] == [] and ok(staff.get("/api/v1/accounts"))["total"] == 0
    assert ok(staff.get("/api/v1/cash-books"))["items"] == []
    for path in ("/api/v1/vouchers/{}".format(voucher["id"]), "/api/v1/accounts/{}".format(cash["id"])):
        assert staff.get(path).status_code == 404
    assert staff.get("/api/v1/accounts/{}/ledger".format(cash["id"])).status_code == 404
    for path in ("confirm", "cancel", "reverse"):
        error = error_of(staff.post("/api/v1/vouchers/{}/{}".format(voucher["id"], path)), 403)
        assert error["code"] == "ROLE_REQUIRED"
    assert error_of(staff.post("/api/v1/accounts", {"type": "cash", "name": "Quỹ riêng"}), 403)
    assert error_of(staff.patch("/api/v1/vouchers/{}".format(voucher["id"]), {"note": "x"}), 403)
    assert balance(accountant, cash) == 50
    assert ok(accountant.get("/api/v1/vouchers/{}".format(voucher["id"])))["status"] == "draft"
