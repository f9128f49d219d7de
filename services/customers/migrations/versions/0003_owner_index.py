"""customers: the owner index walks a user's customers newest first and carries their score

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_customers_owner", "customers", ["owner_id", "id"], unique=False, postgresql_include=["score"])
    op.drop_index("ix_customers_owner_id", table_name="customers")


def downgrade():
    op.create_index("ix_customers_owner_id", "customers", ["owner_id"], unique=False)
    op.drop_index("ix_customers_owner", table_name="customers", postgresql_include=["score"])
