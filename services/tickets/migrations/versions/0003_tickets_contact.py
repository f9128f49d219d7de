"""tickets: the contact of the ticket's customer

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("tickets", sa.Column("contact_id", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("tickets", "contact_id")
