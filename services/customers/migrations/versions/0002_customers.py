"""customers: customers, contacts, groups, shares, activities, records, rating settings, history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
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
        "activity_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_activity_types_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_types")),
        sa.UniqueConstraint("name", name=op.f("uq_activity_types_name")),
    )
    op.create_table(
        "customer_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_customer_groups_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_customer_groups_name")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('person', 'company')", name=op.f("ck_customers_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("code", name=op.f("uq_customers_code")),
    )
    op.create_index(op.f("ix_customers_owner_department_id"), "customers", ["owner_department_id"], unique=False)
    op.create_index(op.f("ix_customers_owner_id"), "customers", ["owner_id"], unique=False)
    op.create_index(
        "ix_customers_score",
        "customers",
        ["score", "id"],
        unique=False,
        postgresql_include=["owner_id", "owner_department_id"],
    )
    op.create_table(
        "history_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_changes")),
    )
    op.create_index(op.f("ix_history_changes_actor_id"), "history_changes", ["actor_id"], unique=False)
    op.create_index(op.f("ix_history_changes_created_at"), "history_changes", ["created_at"], unique=False)
    op.create_table(
        "history_entries",
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("from_kind", sa.String(length=10), nullable=True),
        sa.Column("from_id", sa.Integer(), nullable=True),
        sa.Column("from_level", sa.String(length=10), nullable=True),
        sa.Column("to_kind", sa.String(length=10), nullable=True),
        sa.Column("to_id", sa.Integer(), nullable=True),
        sa.Column("to_level", sa.String(length=10), nullable=True),
    )
    op.create_index(
        "ix_history_entries_change_id", "history_entries", ["change_id"], unique=False, postgresql_using="brin"
    )
    op.create_index(op.f("ix_history_entries_customer_id"), "history_entries", ["customer_id"], unique=False)
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'done', 'cancelled')", name=op.f("ck_activities_status")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_activities_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["type_id"], ["activity_types.id"], name=op.f("fk_activities_type_id_activity_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index(op.f("ix_activities_customer_id"), "activities", ["customer_id"], unique=False)
    op.create_index("ix_activities_type_id_status", "activities", ["type_id", "status"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_customer_id"), "contacts", ["customer_id"], unique=False)
    op.create_table(
        "customer_group_members",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_group_members_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_customer_group_members_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "group_id", name=op.f("pk_customer_group_members")),
    )
    op.create_index(op.f("ix_customer_group_members_group_id"), "customer_group_members", ["group_id"], unique=False)
    op.create_table(
        "customer_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('contract', 'quote', 'opportunity', 'order', 'document')", name=op.f("ck_customer_records_kind")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_records_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_records")),
    )
    op.create_index("ix_customer_records_customer_id_kind", "customer_records", ["customer_id", "kind"], unique=False)
    op.create_table(
        "customer_shares",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.CheckConstraint("level IN ('view', 'edit')", name=op.f("ck_customer_shares_level")),
        sa.CheckConstraint("target_kind IN ('user', 'department')", name=op.f("ck_customer_shares_target_kind")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_shares_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("customer_id", "target_kind", "target_id", name=op.f("pk_customer_shares")),
    )
    op.create_index(
        "ix_customer_shares_target",
        "customer_shares",
        ["target_kind", "target_id", "customer_id"],
        unique=False,
        postgresql_include=["level"],
    )
    op.create_table(
        "activity_shares",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.CheckConstraint("level IN ('view', 'edit')", name=op.f("ck_activity_shares_level")),
        sa.CheckConstraint("target_kind IN ('user', 'department')", name=op.f("ck_activity_shares_target_kind")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_shares_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "target_kind", "target_id", name=op.f("pk_activity_shares")),
    )
    op.create_index(
        "ix_activity_shares_target",
        "activity_shares",
        ["target_kind", "target_id", "activity_id"],
        unique=False,
        postgresql_include=["level"],
    )
    op.create_table(
        "record_shares",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.CheckConstraint("level IN ('view', 'edit')", name=op.f("ck_record_shares_level")),
        sa.CheckConstraint("target_kind IN ('user', 'department')", name=op.f("ck_record_shares_target_kind")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["customer_records.id"],
            name=op.f("fk_record_shares_record_id_customer_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "target_kind", "target_id", name=op.f("pk_record_shares")),
    )
    op.create_index(
        "ix_record_shares_target",
        "record_shares",
        ["target_kind", "target_id", "record_id"],
        unique=False,
        postgresql_include=["level"],
    )


def downgrade():
    op.drop_index("ix_record_shares_target", table_name="record_shares")
    op.drop_table("record_shares")
    op.drop_index("ix_activity_shares_target", table_name="activity_shares")
    op.drop_table("activity_shares")
    op.drop_index("ix_customer_shares_target", table_name="customer_shares")
    op.drop_table("customer_shares")
    op.drop_index("ix_customer_records_customer_id_kind", table_name="customer_records")
    op.drop_table("customer_records")
    op.drop_index(op.f("ix_customer_group_members_group_id"), table_name="customer_group_members")
    op.drop_table("customer_group_members")
    op.drop_index(op.f("ix_contacts_customer_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index("ix_activities_type_id_status", table_name="activities")
    op.drop_index(op.f("ix_activities_customer_id"), table_name="activities")
    op.drop_table("activities")
    op.drop_table("settings")
    op.drop_index(op.f("ix_history_entries_customer_id"), table_name="history_entries")
    op.drop_index("ix_history_entries_change_id", table_name="history_entries")
    op.drop_table("history_entries")
    op.drop_index(op.f("ix_history_changes_created_at"), table_name="history_changes")
    op.drop_index(op.f("ix_history_changes_actor_id"), table_name="history_changes")
    op.drop_table("history_changes")
    op.drop_index("ix_customers_score", table_name="customers", postgresql_include=["owner_id", "owner_department_id"])
    op.drop_index(op.f("ix_customers_owner_id"), table_name="customers")
    op.drop_index(op.f("ix_customers_owner_department_id"), table_name="customers")
    op.drop_table("customers")
    op.drop_table("customer_groups")
    op.drop_table("activity_types")
