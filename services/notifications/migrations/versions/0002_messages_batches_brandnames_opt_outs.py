"""messages, batches, brandnames, opt-outs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("brandname", sa.String(length=50), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index(op.f("ix_batches_requested_by"), "batches", ["requested_by"], unique=False)
    op.create_table(
        "brandnames",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('care', 'advertising')", name=op.f("ck_brandnames_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brandnames")),
        sa.UniqueConstraint("name", name=op.f("uq_brandnames_name")),
    )
    op.create_table(
        "opt_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_outs")),
        sa.UniqueConstraint("channel", "address", name="uq_opt_outs_channel_address"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("advertising", sa.Boolean(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'skipped')", name=op.f("ck_messages_status")
        ),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_messages_batch_id_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_messages_dedupe_key")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_messages_provider_id")),
    )
    op.create_index(op.f("ix_messages_batch_id"), "messages", ["batch_id"], unique=False)
    op.create_index(
        "ix_messages_due", "messages", ["next_attempt_at"], unique=False, postgresql_where=sa.text("status = 'queued'")
    )
    op.create_index(
        "ix_messages_in_doubt",
        "messages",
        ["claimed_until"],
        unique=False,
        postgresql_where=sa.text("status = 'sending'"),
    )
    op.create_index(op.f("ix_messages_requested_by"), "messages", ["requested_by"], unique=False)
    op.create_index(op.f("ix_messages_status"), "messages", ["status"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_messages_status"), table_name="messages")
    op.drop_index(op.f("ix_messages_requested_by"), table_name="messages")
    op.drop_index("ix_messages_in_doubt", table_name="messages", postgresql_where=sa.text("status = 'sending'"))
    op.drop_index("ix_messages_due", table_name="messages", postgresql_where=sa.text("status = 'queued'"))
    op.drop_index(op.f("ix_messages_batch_id"), table_name="messages")
    op.drop_table("messages")
    op.drop_table("opt_outs")
    op.drop_table("brandnames")
    op.drop_index(op.f("ix_batches_requested_by"), table_name="batches")
    op.drop_table("batches")
