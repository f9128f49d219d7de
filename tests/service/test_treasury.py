"""The treasury service with real RabbitMQ and PostgreSQL, its peers (customers, directory) faked
on the bus: accounts, vouchers and their rules, the money moving only at confirmation, reversal,
the filter with totals, the ledger, the trial balance, the events, and who may do what."""

import contextlib
import uuid

import eventlet
import pytest
from nameko.events import event_handler
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from services.core.actor import Actor
from services.core.errors import EXPECTED, Conflict, Forbidden, InvalidInput, NotFound, RuleViolation, relayed
from services.treasury.service import TreasuryService

pytestmark = pytest.mark.infra

ADMIN = Actor(id=1, username="admin", roles=("admin",)).to_context()
ACCOUNTANT = Actor(id=2, username="accountant", roles=("accountant",)).to_context()
STAFF = Actor(id=3, username="staff").to_context()

CUSTOMERS = {10: {"id": 10, "code": "KH00010", "name": "Công ty An Phát"}}
USERS = {2: {"full_name": "Kế Toán", "active": True}, 5: {"full_name": "Nguyễn Văn A", "active": True}}
USERS[6] = {"full_name": "Đã Nghỉ", "active": False}


class FakeCustomers:
    name = "customers"

    @rpc(expected_exceptions=EXPECTED)
    def counterpart(self, customer_id):
        if customer_id not in CUSTOMERS:
            raise NotFound("Customer not found.", code="CUSTOMER_NOT_FOUND")
        return CUSTOMERS[customer_id]


class FakeDirectory:
    name = "directory"

    @rpc
    def contact_of(self, user_id):
        user = USERS.get(user_id)
        return None if user is None else {"id": user_id, "email": None, "phone": None, **user}

    @rpc
    def active_members(self, user_ids=(), department_ids=()):
        users = [{"id": i, "active": USERS[i]["active"], "department_id": None} for i in user_ids if i in USERS]
        return {
            "users": users,
            "missing_user_ids": [i for i in user_ids if i not in USERS],
            "missing_department_ids": list(department_ids),
            "department_members": {},
        }


class Treasury:
    """Calls the real service's entrypoints as an actor.

    ``treasury(method, *args)`` goes through an entrypoint hook (one call at a time: a hook
    waits for the first worker of its method); ``with treasury.client() as call:`` gives a
    client of its own over RPC, for many callers at once.
    """

    def __init__(self, container, session):
        self.container = container
        self.session = session

    def __call__(self, method, *args, actor=ACCOUNTANT):
        with entrypoint_hook(self.container, method, context_data={"actor": actor}) as hook:
            return hook(*args)

    @contextlib.contextmanager
    def client(self, actor=ACCOUNTANT):
        with ClusterRpcProxy(self.container.config, context_data={"actor": actor}, timeout=60) as proxy:

            def call(method, *args):
                try:
                    return getattr(proxy.treasury, method)(*args)
                except RemoteError as error:
                    raise relayed(error)

            yield call

    def cash(self, opening=0, name="Quỹ tiền mặt"):
        return self("create_account", {"type": "cash", "name": name, "opening_balance": opening})

    def bank(self, opening=0, number=None):
        number = number or "ACC" + uuid.uuid4().hex[:12]
        return self(
            "create_account",
            {
                "type": "bank",
                "name": "VCB " + number,
                "bank_name": "Vietcombank",
                "account_number": number,
                "opening_balance": opening,
            },
        )

    def transfer(self, kind, source, target, amount, confirm=True, **extra):
        body = dict(
            kind=kind, amount=amount, from_account_id=source["id"], to_account_id=target["id"], person_in_charge_id=5
        )
        voucher = self("create_voucher", dict(body, **extra))
        return self("confirm_voucher", voucher["id"]) if confirm else voucher

    def receipt(self, account, amount, confirm=True, **extra):
        body = dict(
            kind="receipt",
            amount=amount,
            to_account_id=account["id"],
            counterpart_type="other",
            counterpart_name="Khách lẻ",
            category="sales",
        )
        voucher = self("create_voucher", dict(body, **extra))
        return self("confirm_voucher", voucher["id"]) if confirm else voucher

    def payment(self, account, amount, confirm=True, **extra):
        body = dict(
            kind="payment",
            amount=amount,
            from_account_id=account["id"],
            counterpart_type="supplier",
            counterpart_name="NCC Minh Long",
            category="purchases",
        )
        voucher = self("create_voucher", dict(body, **extra))
        return self("confirm_voucher", voucher["id"]) if confirm else voucher

    def balance(self, account):
        return self("get_account", account["id"])["balance"]

    def check_books(self):
        """Every balance = opening + its entries, none negative, every voucher nets to zero."""
        self.session.rollback()
        bad = self.session.execute(
            text(
                "SELECT a.id FROM accounts a LEFT JOIN entries e ON e.account_id = a.id WHERE a.type <> 'outside' "
                "GROUP BY a.id HAVING a.balance <> a.opening_balance + "
                "coalesce(sum(CASE e.side WHEN 'debit' THEN e.amount ELSE -e.amount END), 0) OR a.balance < 0"
            )
        ).all()
        unbalanced = self.session.execute(
            text(
                "SELECT voucher_id FROM entries GROUP BY voucher_id "
                "HAVING sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) <> 0 OR count(*) <> 2"
            )
        ).all()
        self.session.rollback()
        assert bad == [] and unbalanced == []


@pytest.fixture
def config(service_config):
    return service_config("treasury")


@pytest.fixture
def treasury(container_factory, config, db_session):
    container_factory(FakeCustomers, config).start()
    container_factory(FakeDirectory, config).start()
    container = container_factory(TreasuryService, config)
    container.start()
    return Treasury(container, db_session("treasury"))


# -- accounts --------------------------------------------------------------------------


def test_accounts_start_at_their_opening_balance(treasury):
    cash = treasury.cash(opening=1_000_000)
    assert cash["balance"] == 1_000_000 and cash["currency"] == "VND" and cash["bank_name"] is None
    bank = treasury.bank(opening=0, number="0011")
    assert bank["type"] == "bank" and bank["account_number"] == "0011"
    assert treasury("list_accounts")["total"] == 2
    assert [a["id"] for a in treasury("list_cash_books")["items"]] == [cash["id"]]
    assert [a["id"] for a in treasury("list_bank_accounts")["items"]] == [bank["id"]]
    assert cash["created_at"].endswith("+07:00")


def test_account_fields_follow_its_type(treasury):
    with pytest.raises(InvalidInput) as raised:
        treasury("create_account", {"type": "bank", "name": "No number", "bank_name": "ACB"})
    assert "account_number" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        treasury("create_account", {"type": "cash", "name": "Quỹ", "bank_name": "ACB"})
    assert "bank_name" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        treasury("create_account", {"type": "cash", "name": "Quỹ", "balance": 5})
    assert "balance" in raised.value.fields  # read-only
    treasury.bank(number="0022")
    with pytest.raises(Conflict):
        treasury.bank(number="0022")


def test_the_opening_balance_changes_only_before_the_first_entry(treasury):
    cash = treasury.cash(opening=100)
    assert treasury("update_account", cash["id"], {"opening_balance": 300})["balance"] == 300
    treasury.receipt(cash, 50)
    with pytest.raises(Conflict) as raised:
        treasury("update_account", cash["id"], {"opening_balance": 0})
    assert raised.value.code == "ACCOUNT_HAS_ENTRIES"
    renamed = treasury("update_account", cash["id"], {"name": "Quỹ chính", "active": False})
    assert renamed["name"] == "Quỹ chính" and renamed["active"] is False and renamed["balance"] == 350


def test_staff_see_no_money_and_change_nothing(treasury):
    cash = treasury.cash(opening=10)
    voucher = treasury.receipt(cash, 5, confirm=False)
    assert treasury("list_accounts", actor=STAFF)["items"] == []
    assert treasury("list_vouchers", {}, actor=STAFF) == {
        "items": [],
        "total": 0,
        "page": 1,
        "page_size": 50,
        "totals": {"in": 0, "out": 0},
    }
    for method, args in (("get_account", (cash["id"],)), ("get_voucher", (voucher["id"],))):
        with pytest.raises(NotFound):
            treasury(method, *args, actor=STAFF)
    with pytest.raises(NotFound):
        treasury("account_ledger", cash["id"], {}, actor=STAFF)
    for method, args in (
        ("create_account", ({"type": "cash", "name": "x"},)),
        ("update_account", (cash["id"], {"name": "x"})),
        ("create_voucher", ({"kind": "receipt", "amount": 1},)),
        ("update_voucher", (voucher["id"], {"note": "x"})),
        ("confirm_voucher", (voucher["id"],)),
        ("cancel_voucher", (voucher["id"],)),
        ("reverse_voucher", (voucher["id"],)),
    ):
        with pytest.raises(Forbidden):
            treasury(method, *args, actor=STAFF)
    assert treasury.balance(cash) == 10
    assert treasury("get_voucher", voucher["id"], actor=ADMIN)["status"] == "draft"


# -- vouchers ------------------------------------------------------------------------------


def test_money_moves_only_at_confirmation_and_only_once(treasury):
    cash, bank = treasury.cash(opening=500_000), treasury.bank()
    draft = treasury.transfer("cash_to_bank", cash, bank, 200_000, confirm=False)
    assert draft["status"] == "draft" and draft["number"].startswith("NT-")
    assert (treasury.balance(cash), treasury.balance(bank)) == (500_000, 0)
    confirmed = treasury("confirm_voucher", draft["id"])
    assert confirmed["status"] == "confirmed" and confirmed["confirmed_by_id"] == 2
    assert (treasury.balance(cash), treasury.balance(bank)) == (300_000, 200_000)
    with pytest.raises(Conflict) as raised:
        treasury("confirm_voucher", draft["id"])
    assert raised.value.code == "VOUCHER_NOT_DRAFT"
    for method, args in (("update_voucher", (draft["id"], {"note": "x"})), ("cancel_voucher", (draft["id"],))):
        with pytest.raises(Conflict):
            treasury(method, *args)
    assert (treasury.balance(cash), treasury.balance(bank)) == (300_000, 200_000)
    treasury.check_books()


def test_a_confirmation_that_would_go_negative_changes_nothing(treasury):
    cash, bank = treasury.cash(opening=100), treasury.bank(opening=50)
    voucher = treasury.transfer("bank_to_cash", bank, cash, 80, confirm=False)
    with pytest.raises(RuleViolation) as raised:
        treasury("confirm_voucher", voucher["id"])
    assert raised.value.code == "INSUFFICIENT_FUNDS" and "50" in raised.value.message
    assert "from_account_id" in raised.value.fields
    assert treasury("get_voucher", voucher["id"])["status"] == "draft"
    assert (treasury.balance(cash), treasury.balance(bank)) == (100, 50)
    with pytest.raises(RuleViolation):
        treasury.payment(cash, 101)
    treasury.payment(cash, 100)
    assert treasury.balance(cash) == 0


def test_the_database_refuses_a_negative_balance_too(treasury):
    cash = treasury.cash(opening=10)
    with pytest.raises(Exception, match="balance_not_negative"):
        treasury.session.execute(text("UPDATE accounts SET balance = -1 WHERE id = :id"), {"id": cash["id"]})
    treasury.session.rollback()


@pytest.mark.parametrize(
    "kind, sides, field",
    [
        ("cash_to_bank", ("bank", "bank"), "from_account_id"),
        ("bank_to_cash", ("bank", "bank"), "to_account_id"),
        ("internal_transfer", ("cash", "bank"), "from_account_id"),
        ("internal_transfer", ("bank", "same"), "to_account_id"),
    ],
)
def test_wrong_account_kinds_are_refused_with_the_field(treasury, kind, sides, field):
    made = {"cash": treasury.cash, "bank": treasury.bank}
    source = made[sides[0]]()
    target = source if sides[1] == "same" else made[sides[1]]()
    with pytest.raises(InvalidInput) as raised:
        treasury.transfer(kind, source, target, 10, confirm=False)
    assert field in raised.value.fields


def test_inactive_and_unknown_accounts_are_refused(treasury):
    cash = treasury.cash()
    treasury("update_account", cash["id"], {"active": False})
    with pytest.raises(InvalidInput) as raised:
        treasury.receipt(cash, 10, confirm=False)
    assert raised.value.fields["to_account_id"] == ["This account is inactive."]
    with pytest.raises(InvalidInput) as raised:
        treasury.receipt({"id": 999999}, 10, confirm=False)
    assert raised.value.fields["to_account_id"] == ["No such account."]


def test_an_account_deactivated_after_drafting_blocks_the_confirmation(treasury):
    cash = treasury.cash()
    voucher = treasury.receipt(cash, 10, confirm=False)
    treasury("update_account", cash["id"], {"active": False})
    with pytest.raises(RuleViolation) as raised:
        treasury("confirm_voucher", voucher["id"])
    assert raised.value.code == "ACCOUNT_INACTIVE"


@pytest.mark.parametrize("amount", [1.5, 1.0, "100", True, 0, -1, 10**15 + 1])
def test_bad_amounts_are_refused_with_the_field(treasury, amount):
    with pytest.raises(InvalidInput) as raised:
        treasury.receipt(treasury.cash(), amount, confirm=False)
    assert "amount" in raised.value.fields


def test_counterparts_come_from_their_services(treasury):
    cash = treasury.cash(opening=1_000)
    customer = treasury.receipt(cash, 100, counterpart_type="customer", counterpart_id=10, counterpart_name=None)
    assert (customer["counterpart_code"], customer["counterpart_name"]) == ("KH00010", "Công ty An Phát")
    with pytest.raises(NotFound) as raised:
        treasury.receipt(cash, 100, counterpart_type="customer", counterpart_id=11, counterpart_name=None)
    assert raised.value.code == "CUSTOMER_NOT_FOUND" and "counterpart_id" in raised.value.fields
    employee = treasury.payment(cash, 100, counterpart_type="employee", counterpart_id=5, counterpart_name=None)
    assert employee["counterpart_name"] == "Nguyễn Văn A" and employee["counterpart_id"] == 5
    with pytest.raises(NotFound) as raised:
        treasury.payment(cash, 100, counterpart_type="employee", counterpart_id=77, counterpart_name=None)
    assert raised.value.code == "EMPLOYEE_NOT_FOUND"
    with pytest.raises(InvalidInput) as raised:
        treasury.payment(cash, 100, counterpart_type="supplier", counterpart_name=None)
    assert "counterpart_name" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        treasury.receipt(cash, 100, counterpart_type="customer", counterpart_id=10, counterpart_name="Other name")
    assert "counterpart_name" in raised.value.fields


def test_the_person_in_charge_is_an_active_user(treasury):
    cash, bank = treasury.cash(opening=100), treasury.bank()
    for user_id in (6, 404):
        with pytest.raises(InvalidInput) as raised:
            treasury.transfer("cash_to_bank", cash, bank, 10, confirm=False, person_in_charge_id=user_id)
        assert "person_in_charge_id" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        treasury.transfer("cash_to_bank", cash, bank, 10, confirm=False, person_in_charge_id=None)
    assert "person_in_charge_id" in raised.value.fields


def test_a_draft_is_edited_and_cancelled(treasury):
    cash, other = treasury.cash(opening=100), treasury.cash(name="Quỹ 2")
    draft = treasury.payment(cash, 40, confirm=False)
    edited = treasury("update_voucher", draft["id"], {"amount": 60, "note": "sửa", "from_account_id": other["id"]})
    assert (edited["amount"], edited["note"], edited["from_account_id"]) == (60, "sửa", other["id"])
    assert edited["number"] == draft["number"]
    changed = treasury("update_voucher", draft["id"], {"counterpart_type": "customer", "counterpart_id": 10})
    assert changed["counterpart_code"] == "KH00010" and changed["counterpart_name"] == "Công ty An Phát"
    with pytest.raises(InvalidInput) as raised:
        treasury("update_voucher", draft["id"], {"counterpart_id": 5})
    assert "counterpart_type" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        treasury("update_voucher", draft["id"], {"kind": "receipt"})
    assert "kind" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        treasury("update_voucher", draft["id"], {"date": "1999-01-01"})
    assert "date" in raised.value.fields
    cancelled = treasury("cancel_voucher", draft["id"])
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    with pytest.raises(Conflict):
        treasury("confirm_voucher", draft["id"])
    assert treasury.balance(cash) == 100 and treasury.balance(other) == 0


def test_numbers_are_per_kind_and_year_of_the_voucher_date(treasury):
    cash = treasury.cash(opening=0)
    first = treasury.receipt(cash, 1, confirm=False, date="2026-03-01")
    second = treasury.receipt(cash, 1, confirm=False, date="2026-12-31T23:30:00+07:00")
    payment = treasury.payment(cash, 1, confirm=False, date="2026-05-05")
    next_year = treasury.receipt(cash, 1, confirm=False, date="2026-12-31T17:30:00+00:00")  # 00:30 in Hanoi
    assert [first["number"], second["number"], payment["number"], next_year["number"]] == [
        "PT-2026-000001",
        "PT-2026-000002",
        "PC-2026-000001",
        "PT-2027-000001",
    ]
    assert first["date"] == "2026-03-01T00:00:00+07:00"


def test_reversal_undoes_a_confirmed_voucher_once(treasury):
    cash, bank = treasury.cash(opening=1_000), treasury.bank(opening=0)
    original = treasury.transfer("cash_to_bank", cash, bank, 400)
    reversal = treasury("reverse_voucher", original["id"])
    assert reversal["kind"] == "bank_to_cash" and reversal["status"] == "confirmed"
    assert (reversal["from_account_id"], reversal["to_account_id"]) == (bank["id"], cash["id"])
    assert reversal["reverses_id"] == original["id"] and reversal["number"].startswith("RT-")
    assert treasury("get_voucher", original["id"])["reversed_by_id"] == reversal["id"]
    assert (treasury.balance(cash), treasury.balance(bank)) == (1_000, 0)
    with pytest.raises(Conflict) as raised:
        treasury("reverse_voucher", original["id"])
    assert raised.value.code == "VOUCHER_ALREADY_REVERSED"
    with pytest.raises(Conflict) as raised:
        treasury("reverse_voucher", reversal["id"])
    assert raised.value.code == "VOUCHER_IS_REVERSAL"
    draft = treasury.receipt(cash, 5, confirm=False)
    with pytest.raises(Conflict) as raised:
        treasury("reverse_voucher", draft["id"])
    assert raised.value.code == "VOUCHER_NOT_CONFIRMED"
    treasury.check_books()


def test_a_reversal_needs_the_money_back(treasury):
    cash = treasury.cash(opening=0)
    receipt = treasury.receipt(cash, 100, counterpart_type="customer", counterpart_id=10, counterpart_name=None)
    treasury.payment(cash, 80)
    with pytest.raises(RuleViolation) as raised:
        treasury("reverse_voucher", receipt["id"])
    assert raised.value.code == "INSUFFICIENT_FUNDS"
    assert treasury("get_voucher", receipt["id"])["reversed_by_id"] is None and treasury.balance(cash) == 20


# -- the filter, the ledger, the trial balance ------------------------------------------------


def test_the_filter_totals_cover_the_whole_filter(treasury):
    cash, bank = treasury.cash(opening=0), treasury.bank(opening=0)
    for day in range(1, 6):
        treasury.receipt(
            bank,
            100 * day,
            date="2026-03-0{}".format(day),
            counterpart_type="customer",
            counterpart_id=10,
            counterpart_name=None,
        )
    treasury.payment(bank, 50, date="2026-03-02")
    treasury.receipt(cash, 7, date="2026-03-02")
    treasury.transfer("bank_to_cash", bank, cash, 30, date="2026-03-03")
    treasury.receipt(bank, 9999, date="2026-04-01T00:00:00+07:00", confirm=False)

    march = {"from": "2026-03-01", "to": "2026-03-31", "page_size": 2}
    page = treasury("list_vouchers", march)
    assert page["total"] == 8 and len(page["items"]) == 2
    assert page["totals"] == {"in": 1500 + 7, "out": 50}  # receipts / payments; a transfer is neither
    account = treasury("list_vouchers", dict(march, account_id=bank["id"]))
    assert account["total"] == 7 and account["totals"] == {"in": 1500, "out": 50 + 30}
    customers = treasury("list_vouchers", dict(march, counterpart_type=["customer"], kind=["receipt"]))
    assert customers["total"] == 5 and customers["totals"]["in"] == 1500
    one_day = treasury("list_vouchers", {"from": "2026-03-02", "to": "2026-03-02"})
    assert one_day["total"] == 3
    drafts = treasury("list_vouchers", {"status": ["draft"]})
    assert drafts["total"] == 1 and drafts["items"][0]["date"] == "2026-04-01T00:00:00+07:00"
    newest_first = treasury("list_vouchers", {"kind": ["receipt"], "status": ["confirmed"]})["items"]
    assert [v["date"][:10] for v in newest_first] == sorted((v["date"][:10] for v in newest_first), reverse=True)
    with pytest.raises(InvalidInput) as raised:
        treasury("list_vouchers", {"kind": ["gift"]})
    assert "kind.0" in raised.value.fields


def test_totals_with_bounds_inside_days_equal_a_direct_sum(treasury):
    """Whole days come from the day summary, the parts of days at the edges from the vouchers:
    the answer is the direct sum whatever the bounds (and whatever zone the summary was kept in)."""
    cash, bank = treasury.cash(opening=0), treasury.bank(opening=0)
    for n, moment in enumerate(
        [
            "2026-05-01T00:00:00+07:00",  # a local midnight
            "2026-05-01T08:15:00+07:00",
            "2026-05-01T23:59:59+07:00",
            "2026-05-02T10:00:00+00:00",  # 17:00 local
            "2026-05-02T17:00:00+00:00",  # the next local midnight
            "2026-05-03T12:00:00+07:00",
            "2026-05-04T06:30:00+07:00",
            "2026-04-30T20:00:00+07:00",  # the months around May
            "2026-06-01T09:00:00+07:00",
            "2026-06-02T12:00:00+07:00",
        ]
    ):
        treasury.receipt(bank, 1000 + n, date=moment, confirm=n % 2 == 0)
        if n % 3 == 0:
            treasury.payment(bank, 10 + n, date=moment)
    treasury.transfer("bank_to_cash", bank, cash, 5, date="2026-05-02T09:00:00+07:00")
    draft = treasury.receipt(cash, 77, date="2026-05-03T01:00:00+07:00", confirm=False)
    treasury("update_voucher", draft["id"], {"date": "2026-05-01T12:00:00+07:00", "amount": 78})
    treasury("cancel_voucher", treasury.receipt(cash, 9, date="2026-05-02T02:00:00+07:00", confirm=False)["id"])

    def direct(start, end, account_id=None):
        money_in, money_out = "kind = 'receipt'", "kind = 'payment'"
        where = "date >= :start AND date < :end"
        if account_id:
            money_in, money_out = "to_account_id = :account", "from_account_id = :account"
            where += " AND (from_account_id = :account OR to_account_id = :account)"
        row = treasury.session.execute(
            text(
                "SELECT count(*), coalesce(sum(amount) FILTER (WHERE {}), 0), coalesce(sum(amount) FILTER (WHERE {}), 0) "
                "FROM vouchers WHERE {}".format(money_in, money_out, where)
            ),
            {"start": start, "end": end, "account": account_id},
        ).one()
        treasury.session.rollback()
        return row[0], {"in": row[1], "out": row[2]}

    bounds = [
        ("2026-05-01T08:15:00+07:00", "2026-05-03T12:00:00+07:00"),  # partial days at both ends
        ("2026-05-01T01:15:00+00:00", "2026-05-04T00:00:00+07:00"),  # the same start in UTC, a midnight end
        ("2026-05-01T00:00:00+07:00", "2026-05-02T17:00:01+00:00"),  # a midnight start, one second past one
        ("2026-05-01T09:00:00+07:00", "2026-05-01T23:59:59+07:00"),  # inside one day: no whole day
        ("2026-04-30T17:00:00Z", "2026-05-04T17:00:00Z"),  # local midnights written in UTC: whole days only
        ("2026-04-30T12:00:00+07:00", "2026-06-01T10:00:00+07:00"),  # the whole of May, parts of days around
        ("2026-04-29T17:00:00Z", "2026-06-02T13:00:00+07:00"),  # May, and whole days around it
    ]

    def answered(start, end, account_id=None):
        query = {"from": start, "to": end, **({"account_id": account_id} if account_id else {})}
        page = treasury("list_vouchers", query)
        return page["total"], page["totals"]

    for start, end in bounds:
        for account_id in (None, bank["id"], cash["id"]):
            assert answered(start, end, account_id) == direct(start, end, account_id), (start, end, account_id)
    everything = treasury("list_vouchers", {"from": "2026-04-01", "to": "2026-06-30"})  # whole months
    assert everything["total"] == treasury.session.scalar(text("SELECT count(*) FROM vouchers"))
    treasury.session.rollback()

    # a summary kept in another zone is not read (the totals stay right), until it is rebuilt
    from services.treasury import voucher_days

    with treasury.session.begin():
        voucher_days.rebuild(treasury.session.connection(), "America/New_York")
    start, end = bounds[0]
    assert answered(start, end) == direct(start, end)
    with treasury.session.begin():
        voucher_days.rebuild(treasury.session.connection(), "Asia/Ho_Chi_Minh")
    summary = treasury.session.execute(
        text("SELECT sum(count), sum(amount) FROM voucher_days WHERE span = 'day' AND day = '2026-05-01'")
    ).one()
    treasury.session.rollback()
    assert summary == (5, 1000 + 1001 + 1002 + 10 + 78)  # 3 receipts, a payment, the draft moved there
    assert answered(start, end) == direct(start, end)


def test_the_ledger_shows_each_entry_with_the_running_balance(treasury):
    cash, bank = treasury.cash(opening=1_000), treasury.bank(opening=0)
    treasury.receipt(cash, 500)
    treasury.transfer("cash_to_bank", cash, bank, 1_200)
    treasury.payment(cash, 100)
    ledger = treasury("account_ledger", cash["id"], {})
    assert [(e["debit"], e["credit"], e["balance"]) for e in ledger["items"]] == [
        (500, 0, 1_500),
        (0, 1_200, 300),
        (0, 100, 200),
    ]
    assert (ledger["opening"], ledger["closing"], ledger["total"]) == (1_000, 200, 3)
    assert ledger["items"][0]["number"].startswith("PT-") and ledger["items"][0]["posted_at"].endswith("+07:00")
    second_page = treasury("account_ledger", cash["id"], {"page": 2, "page_size": 2})
    assert [e["balance"] for e in second_page["items"]] == [200]
    future = treasury("account_ledger", cash["id"], {"from": "2999-01-01"})
    assert future["items"] == [] and future["opening"] == 200 and future["closing"] == 200
    past = treasury("account_ledger", cash["id"], {"to": "2000-01-01"})
    assert past["items"] == [] and past["closing"] == 1_000


def test_the_trial_balance_balances(treasury):
    cash, bank = treasury.cash(opening=1_000), treasury.bank(opening=300)
    treasury.receipt(cash, 500)
    treasury.transfer("cash_to_bank", cash, bank, 700)
    treasury.transfer("bank_to_cash", bank, cash, 100)
    treasury.payment(bank, 250)
    treasury.receipt(bank, 1, confirm=False)
    report = treasury("trial_balance", {})
    rows = {row["account_id"]: row for row in report["items"]}
    assert rows[cash["id"]] == dict(rows[cash["id"]], opening=1_000, debits=600, credits=700, closing=900)
    assert rows[bank["id"]] == dict(rows[bank["id"]], opening=300, debits=700, credits=350, closing=650)
    outside = report["items"][-1]
    assert outside["type"] == "outside" and (outside["debits"], outside["credits"]) == (250, 500)
    assert report["totals"]["debits"] == report["totals"]["credits"] == 1_550
    assert report["transfers_net"] == 0
    for account in (cash, bank):
        assert rows[account["id"]]["closing"] == treasury.balance(account)
    before = treasury("trial_balance", {"at": "2000-01-01"})
    assert {row["account_id"]: row["closing"] for row in before["items"] if row["type"] != "outside"} == {
        cash["id"]: 1_000,
        bank["id"]: 300,
    }
    later = treasury("trial_balance", {"from": "2999-01-01", "at": "2999-01-02"})
    assert {row["account_id"]: row["opening"] for row in later["items"]}[cash["id"]] == 900


# -- events ---------------------------------------------------------------------------------------

HEARD = []


class Listener:
    name = "treasury_listener"

    @event_handler("treasury", "voucher_confirmed")
    def confirmed(self, event):
        HEARD.append(("voucher_confirmed", event["data"]["number"]))

    @event_handler("treasury", "voucher_reversed")
    def reversed(self, event):
        HEARD.append(("voucher_reversed", event["data"]["number"], event["data"]["reversed_by_id"]))


def test_confirmations_and_reversals_are_published(treasury, container_factory, config):
    del HEARD[:]
    container_factory(Listener, config).start()
    cash = treasury.cash(opening=100)
    voucher = treasury.payment(cash, 10)
    reversal = treasury("reverse_voucher", voucher["id"])
    with eventlet.Timeout(20):
        while len(HEARD) < 3:
            eventlet.sleep(0.05)
    assert sorted(HEARD) == sorted(
        [
            ("voucher_confirmed", voucher["number"]),
            ("voucher_confirmed", reversal["number"]),
            ("voucher_reversed", voucher["number"], reversal["id"]),
        ]
    )
    treasury.receipt(cash, 1, confirm=False)  # a draft says nothing
    eventlet.sleep(0.5)
    assert len(HEARD) == 3
