"""tickets: types, support groups, members, tickets, history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:42:34.583645
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "support_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_support_groups_name")),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("available", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_group_members_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["support_groups.id"],
            name=op.f("fk_group_members_group_id_support_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    op.create_index(op.f("ix_group_members_user_id"), "group_members", ["user_id"], unique=False)
    op.create_table(
        "ticket_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["support_groups.id"],
            name=op.f("fk_ticket_types_group_id_support_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_types")),
        sa.UniqueConstraint("name", name=op.f("uq_ticket_types_name")),
    )
    op.create_index(op.f("ix_ticket_types_group_id"), "ticket_types", ["group_id"], unique=False)
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'unassigned' AND assignee_id IS NULL) OR status = 'cancelled' OR (status IN ('assigned', 'in_progress', 'on_hold', 'done') AND assignee_id IS NOT NULL)",
            name=op.f("ck_tickets_assignee_matches_status"),
        ),
        sa.CheckConstraint(
            "status IN ('unassigned', 'assigned', 'in_progress', 'on_hold', 'done', 'cancelled')",
            name=op.f("ck_tickets_status_known"),
        ),
        sa.ForeignKeyConstraint(["group_id"], ["support_groups.id"], name=op.f("fk_tickets_group_id_support_groups")),
        sa.ForeignKeyConstraint(["type_id"], ["ticket_types.id"], name=op.f("fk_tickets_type_id_ticket_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index("ix_tickets_assignee_id_status", "tickets", ["assignee_id", "status"], unique=False)
    op.create_index(op.f("ix_tickets_completed_at"), "tickets", ["completed_at"], unique=False)
    op.create_index(op.f("ix_tickets_creator_id"), "tickets", ["creator_id"], unique=False)
    op.create_index(op.f("ix_tickets_customer_id"), "tickets", ["customer_id"], unique=False)
    op.create_index("ix_tickets_group_id_status", "tickets", ["group_id", "status"], unique=False)
    op.create_table(
        "ticket_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("from_assignee_id", sa.Integer(), nullable=True),
        sa.Column("to_assignee_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_history_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_history")),
    )
    op.create_index(op.f("ix_ticket_history_ticket_id"), "ticket_history", ["ticket_id"], unique=False)
    op.create_index("ix_ticket_history_to_assignee_id_at", "ticket_history", ["to_assignee_id", "at"], unique=False)


def downgrade():
    op.drop_index("ix_ticket_history_to_assignee_id_at", table_name="ticket_history")
    op.drop_index(op.f("ix_ticket_history_ticket_id"), table_name="ticket_history")
    op.drop_table("ticket_history")
    op.drop_index("ix_tickets_group_id_status", table_name="tickets")
    op.drop_index(op.f("ix_tickets_customer_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_creator_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_completed_at"), table_name="tickets")
    op.drop_index("ix_tickets_assignee_id_status", table_name="tickets")
    op.drop_table("tickets")
    op.drop_index(op.f("ix_ticket_types_group_id"), table_name="ticket_types")
    op.drop_table("ticket_types")
    op.drop_index(op.f("ix_group_members_user_id"), table_name="group_members")
    op.drop_table("group_members")
    op.drop_table("support_groups")
