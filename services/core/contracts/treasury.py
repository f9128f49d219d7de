"""Contracts of the treasury service: money accounts, vouchers, the ledger and the trial balance.

Money is an integer number of đồng (:class:`Money`): a float (even ``1.0``), a string or a
boolean is refused, so that no rounding ever happens on the way in.
"""

import numbers

from marshmallow import Schema, fields, validate

from services.core.contracts import common
from services.core.contracts.common import PageQuery

ACCOUNT_TYPES = ("cash", "bank")
VOUCHER_KINDS = ("receipt", "payment", "cash_to_bank", "bank_to_cash", "internal_transfer")
VOUCHER_STATUSES = ("draft", "confirmed", "cancelled")
COUNTERPART_TYPES = ("customer", "supplier", "employee", "other")
MAX_AMOUNT = 10**15
POSITIVE_ID = validate.Range(min=1)


class Money(fields.Field):
    """An integer number of đồng between ``minimum`` and 10^15."""

    default_error_messages = {
        "invalid": "Must be an integer number of đồng (no decimals, not a string).",
        "range": "Must be between {minimum} and {maximum} đồng.",
    }

    def __init__(self, minimum=0, **kwargs):
        self.minimum = minimum
        kwargs.setdefault("metadata", {}).update({"type": "integer", "minimum": minimum, "maximum": MAX_AMOUNT})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid")
        if not self.minimum <= value <= MAX_AMOUNT:
            raise self.make_error("range", minimum=self.minimum, maximum=MAX_AMOUNT)
        return int(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else int(value)


def _text(max_length, **kwargs):
    return common.String(validate=validate.Length(min=1, max=max_length), **kwargs)


# -- money accounts -------------------------------------------------------------------


class MoneyAccount(Schema):
    """A cash book (``cash``) or a bank account (``bank``, with its bank and number)."""

    id = fields.Integer(dump_only=True)
    type = common.String(required=True, validate=validate.OneOf(ACCOUNT_TYPES))
    name = _text(200, required=True)
    bank_name = _text(200, load_default=None, allow_none=True)
    account_number = _text(50, load_default=None, allow_none=True)
    currency = common.String(load_default="VND", validate=validate.OneOf(("VND",)))
    opening_balance = Money(load_default=0)
    balance = fields.Integer(dump_only=True, metadata={"description": "opening balance + confirmed entries"})
    active = fields.Boolean(load_default=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class MoneyAccountChange(Schema):
    """What can change on an account (its type cannot; the opening balance only before any entry)."""

    name = _text(200)
    bank_name = _text(200, allow_none=True)
    account_number = _text(50, allow_none=True)
    opening_balance = Money()
    active = fields.Boolean()


class MoneyAccountQuery(PageQuery):
    type = common.String(validate=validate.OneOf(ACCOUNT_TYPES))
    active = fields.Boolean()
    q = common.String(validate=validate.Length(max=200))


class OneKindQuery(PageQuery):
    active = fields.Boolean()
    q = common.String(validate=validate.Length(max=200))


# -- vouchers ---------------------------------------------------------------------------


class Voucher(Schema):
    """A receipt, payment or transfer; money moves only when it is confirmed."""

    id = fields.Integer(dump_only=True)
    number = common.String(dump_only=True, metadata={"description": "e.g. PT-2026-000001 (per kind and year)"})
    kind = common.String(required=True, validate=validate.OneOf(VOUCHER_KINDS))
    status = common.String(dump_only=True)
    amount = Money(minimum=1, required=True)
    from_account_id = fields.Integer(load_default=None, allow_none=True, validate=POSITIVE_ID)
    to_account_id = fields.Integer(load_default=None, allow_none=True, validate=POSITIVE_ID)
    person_in_charge_id = fields.Integer(load_default=None, allow_none=True, validate=POSITIVE_ID)
    counterpart_type = common.String(load_default=None, allow_none=True, validate=validate.OneOf(COUNTERPART_TYPES))
    counterpart_id = fields.Integer(load_default=None, allow_none=True, validate=POSITIVE_ID)
    counterpart_code = common.String(dump_only=True, allow_none=True)
    counterpart_name = _text(300, load_default=None, allow_none=True)
    category = _text(100, load_default=None, allow_none=True)
    date = common.PeriodBound(
        load_default=None,
        allow_none=True,
        metadata={"description": "voucher date: a date-time (default now), or a date (its start, business time zone)"},
    )
    note = common.String(load_default="", validate=validate.Length(max=2000))
    reverses_id = fields.Integer(dump_only=True, allow_none=True)
    reversed_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_by_id = fields.Integer(dump_only=True)
    confirmed_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = common.String(dump_only=True)
    updated_at = common.String(dump_only=True)
    confirmed_at = common.String(dump_only=True, allow_none=True)
    cancelled_at = common.String(dump_only=True, allow_none=True)


class VoucherChange(Schema):
    """A draft's editable fields (its kind, and so its number, stay)."""

    amount = Money(minimum=1)
    from_account_id = fields.Integer(allow_none=True, validate=POSITIVE_ID)
    to_account_id = fields.Integer(allow_none=True, validate=POSITIVE_ID)
    person_in_charge_id = fields.Integer(allow_none=True, validate=POSITIVE_ID)
    counterpart_type = common.String(allow_none=True, validate=validate.OneOf(COUNTERPART_TYPES))
    counterpart_id = fields.Integer(allow_none=True, validate=POSITIVE_ID)
    counterpart_name = _text(300, allow_none=True)
    category = _text(100, allow_none=True)
    date = common.PeriodBound()
    note = common.String(validate=validate.Length(max=2000))


class VoucherQuery(PageQuery):
    kind = fields.List(common.String(validate=validate.OneOf(VOUCHER_KINDS)))
    status = fields.List(common.String(validate=validate.OneOf(VOUCHER_STATUSES)))
    counterpart_type = fields.List(common.String(validate=validate.OneOf(COUNTERPART_TYPES)))
    counterpart_id = fields.Integer(validate=POSITIVE_ID)
    account_id = fields.Integer(validate=POSITIVE_ID)
    start = common.PeriodBound(data_key="from")
    end = common.PeriodBound(end=True, data_key="to")


class Totals(Schema):
    in_ = fields.Integer(data_key="in", required=True)
    out = fields.Integer(required=True)


class VoucherPage(Schema):
    items = fields.List(fields.Nested(Voucher), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    totals = fields.Nested(
        Totals,
        required=True,
        metadata={
            "description": "over the whole filter: with account_id, money into / out of that account; "
            "else receipts / payments"
        },
    )


# -- ledger and trial balance -------------------------------------------------------------


class PeriodQuery(PageQuery):
    start = common.PeriodBound(data_key="from")
    end = common.PeriodBound(end=True, data_key="to")


class LedgerEntry(Schema):
    id = fields.Integer()
    voucher_id = fields.Integer()
    number = common.String()
    kind = common.String()
    posted_at = common.String()
    date = common.String()
    debit = fields.Integer()
    credit = fields.Integer()
    balance = fields.Integer(metadata={"description": "the account's balance after this entry"})


class Ledger(Schema):
    account = fields.Nested(MoneyAccount)
    opening = fields.Integer(metadata={"description": "balance before the period"})
    closing = fields.Integer(metadata={"description": "balance at the end of the period"})
    items = fields.List(fields.Nested(LedgerEntry), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class TrialBalanceQuery(Schema):
    start = common.PeriodBound(data_key="from", metadata={"description": "period start (default: the beginning)"})
    at = common.PeriodBound(end=True, metadata={"description": "balances as at (a date: its end; default now)"})


class TrialBalanceRow(Schema):
    account_id = fields.Integer()
    type = common.String(metadata={"description": "cash, bank, or outside (customers, suppliers, employees, others)"})
    name = common.String()
    opening = fields.Integer()
    debits = fields.Integer()
    credits = fields.Integer()
    closing = fields.Integer()


class TrialBalance(Schema):
    start = common.String(data_key="from", allow_none=True)
    at = common.String()
    items = fields.List(fields.Nested(TrialBalanceRow), required=True)
    totals = fields.Nested(TrialBalanceRow(only=("opening", "debits", "credits", "closing")))
    transfers_net = fields.Integer(metadata={"description": "debits - credits of every transfer's entries: 0"})
