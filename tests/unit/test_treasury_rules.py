"""The pure rules of the treasury: sides and kinds of accounts, entries, numbers, money, days."""

import datetime

import pytest
from marshmallow import ValidationError

from services.core import business_time
from services.core.contracts.treasury import Money, MoneyAccount, Voucher, VoucherQuery
from services.treasury import rules


def test_numbers_name_the_kind_the_year_and_six_digits():
    assert rules.number("receipt", 2026, 1) == "PT-2026-000001"
    assert rules.number("payment", 2026, 42) == "PC-2026-000042"
    assert rules.number("internal_transfer", 2027, 123456) == "CK-2027-123456"
    assert len(set(rules.PREFIXES.values())) == len(rules.KINDS)


@pytest.mark.parametrize(
    "kind, from_id, to_id, outside, expected",
    [
        ("receipt", None, 2, 9, [(2, "debit", 5), (9, "credit", 5)]),
        ("payment", 1, None, 9, [(9, "debit", 5), (1, "credit", 5)]),
        ("cash_to_bank", 1, 2, None, [(2, "debit", 5), (1, "credit", 5)]),
        ("bank_to_cash", 2, 1, None, [(1, "debit", 5), (2, "credit", 5)]),
        ("internal_transfer", 2, 3, None, [(3, "debit", 5), (2, "credit", 5)]),
    ],
)
def test_each_voucher_posts_one_debit_and_one_credit_that_net_to_zero(kind, from_id, to_id, outside, expected):
    postings = rules.entries(kind, from_id, to_id, outside, 5)
    assert postings == expected
    assert sum(rules.signed(side, amount) for _, side, amount in postings) == 0


def test_a_voucher_cannot_post_to_one_account_on_both_sides():
    with pytest.raises(ValueError):
        rules.entries("internal_transfer", 2, 2, None, 5)
    with pytest.raises(ValueError):
        rules.entries("receipt", None, 2, 9, 0)


def test_balance_changes_add_up_per_account():
    assert rules.balance_changes([(2, "debit", 5), (1, "credit", 5)]) == {2: 5, 1: -5}


def test_the_opposite_of_the_opposite_is_the_kind_itself():
    for kind in rules.KINDS:
        assert rules.OPPOSITE[rules.OPPOSITE[kind]] == kind


RECEIPT = {"to_account_id": 2, "counterpart_type": "supplier", "counterpart_name": "ACME", "category": "sales"}


def test_a_complete_receipt_has_no_shape_error():
    assert rules.shape_errors("receipt", RECEIPT) == {}


@pytest.mark.parametrize(
    "kind, voucher, field",
    [
        ("receipt", dict(RECEIPT, from_account_id=1), "from_account_id"),
        ("receipt", dict(RECEIPT, to_account_id=None), "to_account_id"),
        (
            "payment",
            {"to_account_id": 1, "counterpart_type": "other", "counterpart_name": "x", "category": "c"},
            "to_account_id",
        ),
        ("receipt", dict(RECEIPT, counterpart_type=None), "counterpart_type"),
        ("receipt", dict(RECEIPT, counterpart_type="customer", counterpart_name=None), "counterpart_id"),
        ("receipt", dict(RECEIPT, counterpart_id=5), "counterpart_id"),
        ("receipt", dict(RECEIPT, counterpart_name=None), "counterpart_name"),
        ("receipt", dict(RECEIPT, category=None), "category"),
        ("internal_transfer", {"from_account_id": 1, "to_account_id": 1, "person_in_charge_id": 3}, "to_account_id"),
        ("cash_to_bank", {"from_account_id": 1, "to_account_id": 2}, "person_in_charge_id"),
        (
            "cash_to_bank",
            {"from_account_id": 1, "to_account_id": 2, "person_in_charge_id": 3, "category": "x"},
            "category",
        ),
    ],
)
def test_shape_errors_name_the_field(kind, voucher, field):
    assert field in rules.shape_errors(kind, voucher)


@pytest.mark.parametrize(
    "kind, side, account_type, ok",
    [
        ("cash_to_bank", "from_account_id", "cash", True),
        ("cash_to_bank", "from_account_id", "bank", False),
        ("cash_to_bank", "to_account_id", "bank", True),
        ("bank_to_cash", "to_account_id", "bank", False),
        ("internal_transfer", "from_account_id", "cash", False),
        ("internal_transfer", "to_account_id", "bank", True),
        ("receipt", "to_account_id", "cash", True),
        ("payment", "from_account_id", "bank", True),
    ],
)
def test_each_kind_needs_its_account_types(kind, side, account_type, ok):
    assert (rules.account_errors(kind, side, {"type": account_type, "active": True}) == []) is ok


def test_missing_and_inactive_accounts_are_refused():
    assert rules.account_errors("receipt", "to_account_id", None) == ["No such account."]
    assert rules.account_errors("receipt", "to_account_id", {"type": "cash", "active": False})


@pytest.mark.parametrize("value", [1.5, 1.0, "100", True, False, -1, 10**15 + 1, None, [1], {"v": 1}])
def test_amounts_are_integers_of_dong_only(value):
    with pytest.raises(ValidationError) as raised:
        Voucher().load({"kind": "receipt", "amount": value})
    assert "amount" in raised.value.messages


@pytest.mark.parametrize("value", [1, 10**15])
def test_amount_bounds_are_inclusive(value):
    assert Voucher().load({"kind": "receipt", "amount": value})["amount"] == value


def test_an_opening_balance_may_be_zero_but_not_negative():
    assert MoneyAccount().load({"type": "cash", "name": "Quỹ", "opening_balance": 0})["opening_balance"] == 0
    with pytest.raises(ValidationError):
        MoneyAccount().load({"type": "cash", "name": "Quỹ", "opening_balance": -5})
    assert Money(minimum=1).deserialize(7) == 7


def test_date_bounds_are_whole_days_in_the_business_zone():
    business_time.configure({})
    query = VoucherQuery().load({"from": "2026-03-01", "to": "2026-03-31"})
    start, end = query["start"], query["end"]
    assert start.isoformat() == "2026-03-01T00:00:00+07:00"
    assert end.isoformat() == "2026-04-01T00:00:00+07:00"
    assert start.astimezone(datetime.UTC).isoformat() == "2026-02-28T17:00:00+00:00"


def test_a_date_time_bound_is_that_instant_and_naive_ones_are_utc():
    aware = VoucherQuery().load({"to": "2026-03-01T10:00:00+07:00"})["end"]
    assert aware == datetime.datetime(2026, 3, 1, 3, tzinfo=datetime.UTC)
    naive = VoucherQuery().load({"from": "2026-03-01T10:00:00"})["start"]
    assert naive == datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)


def test_a_date_only_voucher_date_is_the_start_of_that_day():
    business_time.configure({})
    assert Voucher().load({"kind": "receipt", "amount": 1, "date": "2026-03-01"})["date"].isoformat() == (
        "2026-03-01T00:00:00+07:00"
    )


def test_bad_dates_are_refused_with_the_field():
    with pytest.raises(ValidationError) as raised:
        VoucherQuery().load({"from": "yesterday"})
    assert "from" in raised.value.messages


def test_the_year_of_a_voucher_is_the_business_zones():
    business_time.configure({})
    new_year_eve_utc = datetime.datetime(2026, 12, 31, 18, tzinfo=datetime.UTC)  # 01:00 on Jan 1st in Hanoi
    assert business_time.local(new_year_eve_utc).year == 2027
    assert business_time.shown(new_year_eve_utc) == "2027-01-01T01:00:00+07:00"


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59+00:00", 20260101, True])
def test_dates_far_away_or_not_strings_are_refused(value):
    with pytest.raises(ValidationError) as raised:
        VoucherQuery().load({"to": value})
    assert "to" in raised.value.messages
