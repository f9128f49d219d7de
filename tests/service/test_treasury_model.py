"""A stateful property test of the treasury: random accounts and vouchers, confirmed, cancelled,
reversed and edited at random against the real service and PostgreSQL, compared after every
step with an in-memory model of the books; the day summary (``voucher_days``) equals a GROUP BY
over the vouchers after every step, and a random filter's count and totals (bounds anywhere in a
day, or whole days) equal the direct sums over the vouchers."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from services.core.contracts.treasury import VoucherQuery
from services.core.errors import Conflict, InvalidInput, RuleViolation
from services.core.schemas import load
from tests.service.test_treasury import config, treasury  # noqa: F401  (fixtures)

pytestmark = pytest.mark.infra

# what each kind needs, written out again here (not taken from services.treasury.rules)
NEEDS = {
    "receipt": (None, {"cash", "bank"}),
    "payment": ({"cash", "bank"}, None),
    "cash_to_bank": ({"cash"}, {"bank"}),
    "bank_to_cash": ({"bank"}, {"cash"}),
    "internal_transfer": ({"bank"}, {"bank"}),
}
OPPOSITE = {
    "receipt": "payment",
    "payment": "receipt",
    "cash_to_bank": "bank_to_cash",
    "bank_to_cash": "cash_to_bank",
    "internal_transfer": "internal_transfer",
}
ACTIONS = ["draft"] * 3 + ["confirm"] * 3 + ["reverse"] * 2 + ["cancel", "edit", "redate", "open"]
TABLES = "accounts, vouchers, entries, voucher_counters, voucher_days, outbox"
DAYS = ["2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-31", "2026-04-01"]
# a moment of those days (local, UTC or another zone's offset)
MOMENT = st.builds(
    "{}T{:02d}:{:02d}:00{}".format,
    st.sampled_from(DAYS),
    st.integers(0, 23),
    st.sampled_from([0, 30, 59]),
    st.sampled_from(["+07:00", "+00:00", "-05:00"]),
)
MOMENTS = st.one_of(st.none(), MOMENT, MOMENT, MOMENT)  # None: now
# period bounds: none, dates (a month's first and last days), local midnights, moments inside days
BOUNDS = [None, "2026-02-28", "2026-03-01", "2026-03-02", "2026-03-31", "2026-03-02T00:00:00+07:00"]
BOUNDS += ["2026-03-02T09:30:00+07:00", "2026-03-31T15:00:00+00:00", "2026-04-01T06:00:00-05:00"]
SUMMARY = """
    SELECT day, kind, status, counterpart_type, from_account_id, to_account_id, count, amount
    FROM voucher_days WHERE count <> 0 AND span = :span ORDER BY 1, 2, 3, 4, 5, 6
"""
GROUPED = """
    SELECT date_trunc(:span, date AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, kind, status, counterpart_type,
           from_account_id, to_account_id, count(*), sum(amount)
    FROM vouchers GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
"""


def _body(kind, source, target, amount):
    body = {"kind": kind, "amount": amount}
    if NEEDS[kind][0] is not None:
        body["from_account_id"] = source
    if NEEDS[kind][1] is not None:
        body["to_account_id"] = target
    if kind in ("receipt", "payment"):
        body.update(counterpart_type="other", counterpart_name="Khách", category="misc")
    else:
        body["person_in_charge_id"] = 5
    return body


def test_the_books_stay_right_whatever_happens(treasury):
    session = treasury.session

    class Books(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            session.execute(text("TRUNCATE {} RESTART IDENTITY CASCADE".format(TABLES)))
            session.commit()
            self.balances = {}  # account id -> balance
            self.types = {}
            self.opening = {}
            self.vouchers = {}  # id -> {"kind", "from", "to", "amount", "status", "reversed_by", "reverses"}

        def open_account(self, account_type, opening):
            if account_type == "cash":
                account = treasury.cash(opening=opening)
            else:
                account = treasury.bank(opening=opening, number="N{}".format(len(self.types)))
            self.balances[account["id"]] = self.opening[account["id"]] = opening
            self.types[account["id"]] = account_type
            return account["id"]

        @initialize(openings=st.lists(st.integers(0, 2_000), min_size=4, max_size=4))
        def open_books(self, openings):
            for account_type, opening in zip(["cash", "cash", "bank", "bank"], openings):
                self.open_account(account_type, opening)

        @rule(action=st.sampled_from(ACTIONS), data=st.data())
        def step(self, action, data):
            """One action, chosen with the weights of ACTIONS (drafts and confirmations most often)."""
            if action == "open":
                if len(self.types) < 8:
                    self.open_account(data.draw(st.sampled_from(["cash", "bank"])), data.draw(st.integers(0, 1_000)))
            elif action == "draft":
                self.draft(
                    data.draw(st.sampled_from(sorted(NEEDS))),
                    data.draw(st.integers(1, 800)),
                    data.draw(st.sampled_from([False, False, False, True])),
                    data,
                )
            elif self.vouchers:
                voucher_id = data.draw(st.sampled_from(sorted(self.vouchers)))
                if action == "edit":
                    self.edit(voucher_id, data.draw(st.integers(1, 800)))
                elif action == "redate":
                    self.edit(voucher_id, None, date=data.draw(MOMENT))
                else:
                    getattr(self, action)(voucher_id)

        def _fitting(self, types, other=None):
            return sorted(i for i, t in self.types.items() if t in types and i != other)

        def draft(self, kind, amount, mistake, data):
            needs_from, needs_to = NEEDS[kind]
            if mistake:  # any two accounts: refused unless they happen to fit
                source, target_account = (data.draw(st.sampled_from(sorted(self.types))) for _ in range(2))
                wrong = (needs_from is not None and self.types[source] not in needs_from) or (
                    needs_to is not None and self.types[target_account] not in needs_to
                )
                if wrong or (needs_from is not None and needs_to is not None and source == target_account):
                    with pytest.raises(InvalidInput):
                        treasury("create_voucher", _body(kind, source, target_account, amount))
                    return None
                source = source if needs_from else None  # they fit: a voucher of its own sides
                target_account = target_account if needs_to else None
            else:
                source = data.draw(st.sampled_from(self._fitting(needs_from))) if needs_from else None
                fitting = self._fitting(needs_to, other=source) if needs_to else None
                if needs_to and not fitting:
                    return None
                target_account = data.draw(st.sampled_from(fitting)) if needs_to else None
            body = _body(kind, source, target_account, amount)
            moment = data.draw(MOMENTS)
            if moment is not None:
                body["date"] = moment
            voucher = treasury("create_voucher", body)
            self.vouchers[voucher["id"]] = {
                "kind": kind,
                "from": source,
                "to": target_account,
                "amount": amount,
                "status": "draft",
                "reversed_by": None,
                "reverses": None,
            }
            return voucher["id"]

        def _moves(self, voucher):
            """The balances after posting ``voucher``, or None if one would go negative."""
            after = dict(self.balances)
            if voucher["from"] is not None:
                after[voucher["from"]] -= voucher["amount"]
            if voucher["to"] is not None:
                after[voucher["to"]] += voucher["amount"]
            return None if min(after.values(), default=0) < 0 else after

        def confirm(self, voucher_id):
            voucher = self.vouchers[voucher_id]
            if voucher["status"] != "draft":
                with pytest.raises(Conflict):
                    treasury("confirm_voucher", voucher_id)
                return
            after = self._moves(voucher)
            if after is None:
                with pytest.raises(RuleViolation):
                    treasury("confirm_voucher", voucher_id)
                return
            assert treasury("confirm_voucher", voucher_id)["status"] == "confirmed"
            voucher["status"], self.balances = "confirmed", after

        def cancel(self, voucher_id):
            voucher = self.vouchers[voucher_id]
            if voucher["status"] != "draft":
                with pytest.raises(Conflict):
                    treasury("cancel_voucher", voucher_id)
                return
            treasury("cancel_voucher", voucher_id)
            voucher["status"] = "cancelled"

        def edit(self, voucher_id, amount, **change):
            voucher = self.vouchers[voucher_id]
            change = change if amount is None else dict(change, amount=amount)
            if voucher["status"] != "draft":
                with pytest.raises(Conflict):
                    treasury("update_voucher", voucher_id, change)
                return
            edited = treasury("update_voucher", voucher_id, change)
            if amount is not None:
                assert edited["amount"] == amount
                voucher["amount"] = amount

        def teardown(self):
            """Every pair of BOUNDS, with and without other conditions, against a direct SQL sum."""
            accounts = sorted(self.types)
            others = [{}, {"kind": ["receipt", "payment"]}, {"status": ["confirmed"]}, {"account_id": accounts[0]}]
            others.append({"kind": ["receipt", "cash_to_bank"], "status": ["draft", "cancelled"]})
            others.append({"account_id": accounts[-1], "status": ["confirmed"]})
            pairs = [(start, end) for start in BOUNDS for end in BOUNDS]
            for n, (start, end) in enumerate(pairs):
                query = dict(others[n % len(others)], **{"from": start, "to": end})
                self.filter({name: value for name, value in query.items() if value is not None})

        def filter(self, query):
            """The filter answers the count and totals of a direct SQL sum over the vouchers."""
            try:
                page = treasury("list_vouchers", query)
            except InvalidInput:  # from after to
                return
            where = ["{} = ANY(:{})".format(name, name) for name in ("kind", "status") if name in query]
            params = dict(query)
            account_id = query.get("account_id")
            loaded = load(VoucherQuery(), query)
            for column, operator in (("start", ">="), ("end", "<")):
                if loaded.get(column) is not None:
                    where.append("date {} :{}".format(operator, column))
                    params[column] = loaded[column]
            money_in, money_out = "kind = 'receipt'", "kind = 'payment'"
            if account_id is not None:
                where.append("(from_account_id = :account OR to_account_id = :account)")
                money_in, money_out, params["account"] = (
                    "to_account_id = :account",
                    "from_account_id = :account",
                    account_id,
                )
            count, total_in, total_out = session.execute(
                text(
                    "SELECT count(*), coalesce(sum(amount) FILTER (WHERE {}), 0), "
                    "coalesce(sum(amount) FILTER (WHERE {}), 0) FROM vouchers WHERE {}".format(
                        money_in, money_out, " AND ".join(where) or "true"
                    )
                ),
                params,
            ).one()
            session.rollback()
            assert (page["total"], page["totals"]) == (count, {"in": total_in, "out": total_out}), query

        def reverse(self, voucher_id):
            voucher = self.vouchers[voucher_id]
            if voucher["status"] != "confirmed" or voucher["reversed_by"] or voucher["reverses"]:
                with pytest.raises(Conflict):
                    treasury("reverse_voucher", voucher_id)
                return None
            opposite = dict(voucher, kind=OPPOSITE[voucher["kind"]], **{"from": voucher["to"], "to": voucher["from"]})
            after = self._moves(opposite)
            if after is None:
                with pytest.raises(RuleViolation):
                    treasury("reverse_voucher", voucher_id)
                return None
            reversal = treasury("reverse_voucher", voucher_id)
            assert reversal["kind"] == opposite["kind"] and reversal["reverses_id"] == voucher_id
            self.balances = after
            voucher["reversed_by"] = reversal["id"]
            self.vouchers[reversal["id"]] = dict(opposite, status="confirmed", reverses=voucher_id, reversed_by=None)
            return reversal["id"]

        @invariant()
        def books_agree_with_the_model(self):
            session.rollback()
            balances = dict(session.execute(text("SELECT id, balance FROM accounts WHERE type <> 'outside'")).all())
            assert balances == self.balances
            assert min(balances.values(), default=0) >= 0
            sums = dict(
                session.execute(
                    text(
                        "SELECT a.id, a.opening_balance + coalesce(sum(CASE e.side WHEN 'debit' THEN e.amount "
                        "ELSE -e.amount END), 0) FROM accounts a LEFT JOIN entries e ON e.account_id = a.id "
                        "WHERE a.type <> 'outside' GROUP BY a.id"
                    )
                ).all()
            )
            assert sums == balances  # every balance = opening + its entries
            transfers = session.scalar(
                text(
                    "SELECT coalesce(sum(CASE e.side WHEN 'debit' THEN e.amount ELSE -e.amount END), 0) FROM entries e "
                    "JOIN vouchers v ON v.id = e.voucher_id WHERE v.kind IN ('cash_to_bank', 'bank_to_cash', 'internal_transfer')"
                )
            )
            assert transfers == 0
            posted = dict(session.execute(text("SELECT voucher_id, count(*) FROM entries GROUP BY voucher_id")).all())
            confirmed = {i for i, v in self.vouchers.items() if v["status"] == "confirmed"}
            assert set(posted) == confirmed and set(posted.values()) <= {2}  # each voucher posted once
            pairs = session.execute(
                text(
                    "SELECT e.account_id, sum(CASE e.side WHEN 'debit' THEN e.amount ELSE -e.amount END) "
                    "FROM vouchers v JOIN entries e ON e.voucher_id IN (v.id, v.reversed_by_id) "
                    "WHERE v.reversed_by_id IS NOT NULL GROUP BY v.id, e.account_id"
                )
            ).all()
            assert all(total == 0 for _, total in pairs)  # a voucher and its reversal net to zero
            for span in ("day", "month"):
                assert (
                    session.execute(text(SUMMARY), {"span": span}).all()
                    == session.execute(text(GROUPED), {"span": span}).all()
                )
            assert session.scalar(text("SELECT count(*) FROM voucher_days WHERE count = 0 AND amount <> 0")) == 0
            session.rollback()

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
