"""Tables of the customers service.

A customer carries its owner's department (``owner_department_id``) so that the
visibility rule is one SQL predicate over this database alone, and its rating
``score`` (group points + points of done activities) so that the stars filter
is an index range.  Shares of customers, activities and records have one shape:
``(object, target_kind, target_id, level)`` with target_kind ``user`` or
``department``.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.core.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


def _created_at():
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _updated_at():
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


def _share_table(name, object_column, object_table):
    """A share table: who (a user or a department) may view or edit an object."""
    return Table(
        name,
        Base.metadata,
        Column(object_column, ForeignKey(object_table + ".id", ondelete="CASCADE"), primary_key=True),
        Column("target_kind", String(10), primary_key=True),
        Column("target_id", Integer, primary_key=True),
        Column("level", String(10), nullable=False),
        CheckConstraint("target_kind IN ('user', 'department')", name="target_kind"),
        CheckConstraint("level IN ('view', 'edit')", name="level"),
        # "shared with me": an index-only scan giving the object ids (and the level, for "may edit")
        Index("ix_{}_target".format(name), "target_kind", "target_id", object_column, postgresql_include=["level"]),
    )


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("kind IN ('person', 'company')", name="kind"),
        # the stars filter is a score range; the list's visibility test reads the other columns from the index
        Index("ix_customers_score", "score", "id", postgresql_include=["owner_id", "owner_department_id"]),
        # a user's own customers, newest first, and their stars, without reading the table
        Index("ix_customers_owner", "owner_id", "id", postgresql_include=["score"]),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="person")
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(Integer)
    owner_department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    score: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


customer_table = Customer.__table__  # for set-based SQL (Core statements) on customers


# What the list's text search reads of each customer (name, code, phone, email), one row per
# customer, written in the customer's own transaction when it is created or those fields change.
# A table of its own so that its trigram index (one GIN over the four columns: ``ILIKE '%q%'``
# on any of them is a bitmap OR of one index scan each) costs nothing when bulk actions
# rewrite the score, owner or updated_at of 100,000 customers: a GIN on customers would get
# every one of those rows' trigrams again (new row versions, not HOT: the table's other indexes
# cover those columns).
SEARCHED = ("name", "code", "phone", "email")

customer_search = Table(
    "customer_search",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("code", String(50), nullable=False),
    Column("phone", String(32)),
    Column("email", String(320)),
    Index(
        "ix_customer_search_trgm",
        *SEARCHED,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops" for column in SEARCHED},
    ),
)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    position: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class CustomerGroup(Base):
    __tablename__ = "customer_groups"
    __table_args__ = (CheckConstraint("points >= 0", name="points"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


group_members = Table(
    "customer_group_members",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("customer_groups.id", ondelete="CASCADE"), primary_key=True, index=True),
)

customer_shares = _share_table("customer_shares", "customer_id", "customers")


class ActivityType(Base):
    __tablename__ = "activity_types"
    __table_args__ = (CheckConstraint("points >= 0", name="points"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("status IN ('not_started', 'in_progress', 'done', 'cancelled')", name="status"),
        Index("ix_activities_type_id_status", "type_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


activity_shares = _share_table("activity_shares", "activity_id", "activities")


class Record(Base):
    """A contract, quote, opportunity, order or document of a customer."""

    __tablename__ = "customer_records"
    __table_args__ = (
        CheckConstraint("kind IN ('contract', 'quote', 'opportunity', 'order', 'document')", name="kind"),
        Index("ix_customer_records_customer_id_kind", "customer_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(50))
    owner_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


record_shares = _share_table("record_shares", "record_id", "customer_records")


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = _updated_at()


class HistoryChange(Base):
    """One ownership or sharing change made by one call (who, when, how)."""

    __tablename__ = "history_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[dict] = mapped_column(JSONB)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


# What a change did to each customer: from whom to whom.  An ownership change is
# (user, old owner, "owner") -> (user, new owner, "owner"); a share added is
# nothing -> (target, level), removed is (target, level) -> nothing, re-levelled is
# (target, old level) -> (target, new level).  An append-only log written 100,000 rows
# at a time: no surrogate key, a BRIN index on change_id (rows arrive in change order),
# a B-tree on customer_id for "the history of this customer", and no foreign keys
# (entries are written in their change's transaction; the history outlives a deleted customer).
history_entries = Table(
    "history_entries",
    Base.metadata,
    Column("change_id", Integer, nullable=False),
    Column("customer_id", Integer, nullable=False, index=True),
    Column("from_kind", String(10)),
    Column("from_id", Integer),
    Column("from_level", String(10)),
    Column("to_kind", String(10)),
    Column("to_id", Integer),
    Column("to_level", String(10)),
    Index("ix_history_entries_change_id", "change_id", postgresql_using="brin"),
)


# The generation of this database's data: advanced right after every committed unit of work of
# the service, read before counting a list's total (services/customers/totals.py).  A sequence:
# advancing it takes no lock a writer would wait on, and every session sees its last value at once.
data_generation = Sequence("customers_data_generation", metadata=Base.metadata)
