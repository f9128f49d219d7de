"""Tables every service database has: the outbox and the processed-event record.

Each service's Alembic migrations create them (``target_metadata`` includes
``plumbing_metadata``).
"""

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, Integer, String, Table, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.core.db import make_metadata

plumbing_metadata = make_metadata()

outbox = Table(
    "outbox",
    plumbing_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("context", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # an event nobody consumes yet is tried again later, not on every poll
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("available_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_outbox_available_at", "available_at"),
)

processed_events = Table(
    "processed_events",
    plumbing_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
