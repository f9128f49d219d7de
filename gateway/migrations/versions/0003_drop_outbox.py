"""gateway: drop the outbox and processed-events tables (the gateway publishes and consumes no event)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from services.core.plumbing_migration import create_plumbing_tables, drop_plumbing_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    drop_plumbing_tables()


def downgrade():
    create_plumbing_tables()
