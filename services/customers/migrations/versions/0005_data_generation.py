"""customers: customers_data_generation, the sequence advanced after every committed change

Read before a list's total is counted, so that a total counted once is used again only while no
change has committed since (services/customers/totals.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE SEQUENCE customers_data_generation")


def downgrade():
    op.execute("DROP SEQUENCE customers_data_generation")
