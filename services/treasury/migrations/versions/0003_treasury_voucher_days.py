"""treasury: voucher_days, the vouchers' count and amount per business day (and month) and filter key

Backfilled from the vouchers (services.treasury.voucher_days.rebuild, the statement the benchmark
uses too) in the treasury's configured ``BUSINESS_TIME_ZONE``, recorded in voucher_days_zone.  An
unknown zone fails the migration only when there are vouchers to count: otherwise the services
refuse it themselves when they start (the launcher's supervision reports it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.treasury.voucher_days import configured_zone, rebuild

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "voucher_days",
        sa.Column("span", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("counterpart_type", sa.String(length=10), nullable=True),
        sa.Column("from_account_id", sa.Integer(), nullable=True),
        sa.Column("to_account_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=38, scale=0), nullable=False),
    )
    op.create_index(
        "uq_voucher_days_key",
        "voucher_days",
        ["span", "day", "kind", "status", "counterpart_type", "from_account_id", "to_account_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "voucher_days_zone",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_voucher_days_zone")),
    )
    try:
        zone = configured_zone()
    except ValueError:  # not a time zone: the services refuse it when they start, with its name
        if op.get_bind().scalar(sa.text("SELECT EXISTS (SELECT FROM vouchers)")):
            raise  # vouchers to count, and no zone to count them in
        return  # nothing to count; the zone is recorded by a rebuild (none recorded: the configured one)
    rebuild(op.get_bind(), zone)
    op.execute("ANALYZE voucher_days")  # the planner's estimates from the start (autovacuum may be off)


def downgrade():
    op.drop_table("voucher_days_zone")
    op.drop_index("uq_voucher_days_key", table_name="voucher_days")
    op.drop_table("voucher_days")
