"""notifications: outbox and processed events

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from services.core.plumbing_migration import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_plumbing_tables()


def downgrade():
    drop_plumbing_tables()
