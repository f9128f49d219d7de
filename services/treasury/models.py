"""Tables of the treasury service.

- ``accounts``: cash books, bank accounts and the one *outside world* account (type
  ``outside``) that receipts and payments post against.  A money account keeps its
  ``balance`` (opening balance + its entries), changed only under its row lock, and a CHECK
  keeps it from going negative.  The outside world's balance is not kept on its row (every
  receipt and payment would wait for that one lock): the trial balance sums its entries.
- ``vouchers``: what the accountant records; money moves only at confirmation.  Its
  ``number`` comes from ``voucher_counters`` (one row per kind and year, incremented in the
  creating transaction: gapless, since a rolled-back creation gives its number back).
- ``entries``: the ledger, one debit and one credit per confirmed voucher, each with the
  account's balance after it (written under the account's lock, so the ledger's running
  balance is read, never recomputed).
- ``voucher_days``: count and amount of the vouchers per business day (and month) and filter key (kind,
  status, counterpart type, accounts), changed in the same transaction as every voucher
  (:mod:`services.treasury.voucher_days`): the filter's count and totals over a year read a few
  hundred rows a day instead of every voucher.  ``voucher_days_zone`` names the time zone its
  days are in.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.core.db import make_metadata

DRAFT, CONFIRMED, CANCELLED = "draft", "confirmed", "cancelled"


class Base(DeclarativeBase):
    metadata = make_metadata()


def _now_column():
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("type IN ('cash', 'bank', 'outside')", name="type"),
        CheckConstraint("currency = 'VND'", name="currency"),
        CheckConstraint("opening_balance >= 0", name="opening_balance"),
        CheckConstraint("(type = 'outside') = (balance IS NULL)", name="balance_kept"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("type = 'bank' OR (bank_name IS NULL AND account_number IS NULL)", name="bank_fields"),
        Index("uq_accounts_outside", "type", unique=True, postgresql_where=text("type = 'outside'")),
        Index(
            "uq_accounts_bank_number",
            "bank_name",
            "account_number",
            unique=True,
            postgresql_where=text("type = 'bank'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    account_number: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str] = mapped_column(String(3), server_default="VND")
    opening_balance: Mapped[int] = mapped_column(BigInteger, server_default="0")
    balance: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()


class VoucherCounter(Base):
    __tablename__ = "voucher_counters"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Voucher(Base):
    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('receipt', 'payment', 'cash_to_bank', 'bank_to_cash', 'internal_transfer')", name="kind"
        ),
        CheckConstraint("status IN ('draft', 'confirmed', 'cancelled')", name="status"),
        CheckConstraint("amount > 0 AND amount <= 1000000000000000", name="amount"),
        CheckConstraint(
            "(from_account_id IS NULL) = (kind = 'receipt') AND (to_account_id IS NULL) = (kind = 'payment')",
            name="sides",
        ),
        CheckConstraint("from_account_id <> to_account_id", name="two_accounts"),
        CheckConstraint(
            "counterpart_type IS NULL OR counterpart_type IN ('customer', 'supplier', 'employee', 'other')",
            name="counterpart_type",
        ),
        UniqueConstraint("kind", "year", "sequence", name="uq_vouchers_kind_year_sequence"),
        # the filter: newest first over a period, every total read from the index alone
        Index(
            "ix_vouchers_date",
            "date",
            "id",
            postgresql_include=["kind", "status", "amount", "from_account_id", "to_account_id", "counterpart_type"],
        ),
        Index("ix_vouchers_to_account_date", "to_account_id", "date"),
        Index("ix_vouchers_from_account_date", "from_account_id", "date"),
        Index("ix_vouchers_counterpart", "counterpart_type", "counterpart_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), server_default=DRAFT)
    amount: Mapped[int] = mapped_column(BigInteger)
    from_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    to_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    person_in_charge_id: Mapped[int | None] = mapped_column(Integer)
    counterpart_type: Mapped[str | None] = mapped_column(String(10))
    counterpart_id: Mapped[int | None] = mapped_column(Integer)
    counterpart_code: Mapped[str | None] = mapped_column(String(100))
    counterpart_name: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(100))
    date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, server_default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"), unique=True)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"), unique=True)
    created_by_id: Mapped[int] = mapped_column(Integer)
    confirmed_by_id: Mapped[int | None] = mapped_column(Integer)
    cancelled_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint("side IN ('debit', 'credit')", name="side"),
        CheckConstraint("amount > 0", name="amount"),
        UniqueConstraint("voucher_id", "side", name="uq_entries_voucher_id_side"),
        Index("ix_entries_account_id", "account_id", "id"),
        Index("ix_entries_account_posted", "account_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    side: Mapped[str] = mapped_column(String(6))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# a summary row's key: its span and day, then the filter's columns
VOUCHER_DAY_KEY = ("span", "day", "kind", "status", "counterpart_type", "from_account_id", "to_account_id")


class VoucherDay(Base):
    """One business day's (or month's) vouchers of one filter key: how many, and their amount.

    The key's columns may be NULL (a receipt has no ``from_account_id``), so the key is a unique
    index ``NULLS NOT DISTINCT`` (what ``INSERT … ON CONFLICT`` finds the row by), not a primary key.
    A row whose vouchers all moved to another key stays with count 0.
    """

    __tablename__ = "voucher_days"
    __table_args__ = (Index("uq_voucher_days_key", *VOUCHER_DAY_KEY, unique=True, postgresql_nulls_not_distinct=True),)
    __mapper_args__ = {"primary_key": list(VOUCHER_DAY_KEY)}

    span: Mapped[str] = mapped_column(String(5))  # 'day', or 'month': ``day`` is then its first day
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    counterpart_type: Mapped[str | None] = mapped_column(String(10))
    from_account_id: Mapped[int | None] = mapped_column(Integer)
    to_account_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(Numeric(38, 0))  # a bigint could overflow: 10^15 per voucher


class VoucherDaysZone(Base):
    """The one row naming the time zone of ``voucher_days.day`` (checked against
    ``BUSINESS_TIME_ZONE`` before the summary is read)."""

    __tablename__ = "voucher_days_zone"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
