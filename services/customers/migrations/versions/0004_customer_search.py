"""customers: customer_search, the text the list searches, under one trigram (pg_trgm) GIN index

Backfilled from the customers before the index is built (one bulk build, not a million inserts
into the GIN).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SEARCHED = ["name", "code", "phone", "email"]


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # trusted: the database owner may create it
    op.create_table(
        "customer_search",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_search_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_search")),
    )
    op.execute(
        "INSERT INTO customer_search (customer_id, name, code, phone, email) "
        "SELECT id, name, code, phone, email FROM customers"
    )
    op.create_index(
        "ix_customer_search_trgm",
        "customer_search",
        SEARCHED,
        unique=False,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops" for column in SEARCHED},
    )
    op.execute("ANALYZE customer_search")  # the planner's estimates from the start (autovacuum may be off)


def downgrade():
    op.drop_index("ix_customer_search_trgm", table_name="customer_search", postgresql_using="gin")
    op.drop_table("customer_search")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
