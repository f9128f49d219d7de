"""Many clients at once against the real treasury service and PostgreSQL: one voucher confirmed
from 20 clients moves money once; 500 random transfers from 8 clients keep the books; 50
creations at once get 50 consecutive numbers."""

import random

import eventlet
import pytest
from sqlalchemy import text

from services.core.errors import Conflict, RuleViolation
from tests.service.test_treasury import config, treasury  # noqa: F401  (fixtures)

pytestmark = pytest.mark.infra


def at_once(calls):
    """Run the zero-argument ``calls`` in green threads started together; their results or errors."""
    gate = eventlet.event.Event()

    def run(call):
        gate.wait()
        try:
            return ("ok", call())
        except Exception as error:
            return ("error", error)

    pool = eventlet.GreenPool(len(calls))
    threads = [pool.spawn(run, call) for call in calls]
    eventlet.sleep(0)
    gate.send(True)
    return [thread.wait() for thread in threads]


def test_twenty_clients_confirm_one_voucher_and_money_moves_once(treasury):
    cash, bank = treasury.cash(opening=1_000), treasury.bank()
    voucher = treasury.transfer("cash_to_bank", cash, bank, 700, confirm=False)

    def confirm():
        with treasury.client() as call:
            return call("confirm_voucher", voucher["id"])

    results = at_once([confirm for _ in range(20)])
    succeeded = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "error"]
    assert len(succeeded) == 1 and succeeded[0]["status"] == "confirmed"
    assert len(refused) == 19 and all(isinstance(e, Conflict) and e.code == "VOUCHER_NOT_DRAFT" for e in refused)
    assert (treasury.balance(cash), treasury.balance(bank)) == (300, 700)
    entries = treasury.session.scalar(text("SELECT count(*) FROM entries WHERE voucher_id = :v"), {"v": voucher["id"]})
    assert entries == 2
    treasury.check_books()


def test_five_hundred_random_transfers_from_eight_clients_keep_the_books(treasury):
    cash = [treasury.cash(opening=50_000, name="Quỹ {}".format(n)) for n in range(4)]
    banks = [treasury.bank(opening=50_000, number="C{}".format(n)) for n in range(6)]
    kinds = {("cash", "bank"): "cash_to_bank", ("bank", "cash"): "bank_to_cash", ("bank", "bank"): "internal_transfer"}
    accounts = cash + banks
    before = sum(treasury.balance(account) for account in accounts)
    chooser = random.Random(10)
    plan = []
    while len(plan) < 500:
        source, target = chooser.sample(accounts, 2)
        kind = kinds.get((source["type"], target["type"]))
        if kind:
            plan.append((kind, source, target, chooser.randint(1, 30_000)))
    outcomes = {"confirmed": 0, "insufficient": 0}

    def client(share):
        with treasury.client() as call:
            for kind, source, target, amount in share:
                body = dict(kind=kind, amount=amount, from_account_id=source["id"], to_account_id=target["id"])
                voucher = call("create_voucher", dict(body, person_in_charge_id=5))
                try:
                    call("confirm_voucher", voucher["id"])
                    outcomes["confirmed"] += 1
                except RuleViolation as error:
                    assert error.code == "INSUFFICIENT_FUNDS"
                    outcomes["insufficient"] += 1

    results = at_once([lambda share=plan[n::8]: client(share) for n in range(8)])
    assert [outcome for outcome, _ in results] == ["ok"] * 8, results
    assert outcomes["confirmed"] + outcomes["insufficient"] == 500 and outcomes["confirmed"] > 250
    balances = [treasury.balance(account) for account in accounts]
    assert sum(balances) == before and min(balances) >= 0
    treasury.check_books()
    last = treasury.session.execute(
        text("SELECT DISTINCT ON (account_id) account_id, balance_after FROM entries ORDER BY account_id, id DESC")
    ).all()
    treasury.session.rollback()
    assert dict(last) == {a["id"]: b for a, b in zip(accounts, balances) if a["id"] in dict(last)}


def test_fifty_creations_at_once_get_fifty_consecutive_numbers(treasury):
    cash = treasury.cash()
    body = dict(kind="receipt", amount=1, to_account_id=cash["id"], date="2026-06-01T10:00:00+07:00")
    body.update(counterpart_type="other", counterpart_name="Khách lẻ", category="sales")

    def create():
        with treasury.client() as call:
            return call("create_voucher", body)

    results = at_once([create for _ in range(50)])
    assert [outcome for outcome, _ in results] == ["ok"] * 50, results
    numbers = sorted(voucher["number"] for _, voucher in results)
    assert numbers == ["PT-2026-{:06d}".format(n) for n in range(1, 51)]
    assert treasury.receipt(cash, 1, confirm=False, date="2026-06-02")["number"] == "PT-2026-000051"
