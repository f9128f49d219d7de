from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.core.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class Brandname(Base):
    """A configured SMS sender name, for customer care or advertising."""

    __tablename__ = "brandnames"
    __table_args__ = (CheckConstraint("kind IN ('care', 'advertising')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OptOut(Base):
    """An address that must never receive messages of a channel."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_opt_outs_channel_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(320))
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Batch(Base):
    """A bulk sending requested from the customer list; its messages arrive by event."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    brandname: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer)
    segments: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Message(Base):
    """One SMS or email to one address, with its delivery status.

    ``dedupe_key`` makes each message exist once (batch + recipient, or event +
    channel), so a redelivered request never creates a second message.
    Statuses: queued -> sending -> sent -> delivered | failed; skipped (opt-out).
    """

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'skipped')", name="status"),
        Index("ix_messages_due", "next_attempt_at", postgresql_where=text("status = 'queued'")),
        Index("ix_messages_in_doubt", "claimed_until", postgresql_where=text("status = 'sending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(30))
    to: Mapped[str] = mapped_column(String(320))
    sender: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(Integer, default=0)
    advertising: Mapped[bool] = mapped_column(default=False)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
