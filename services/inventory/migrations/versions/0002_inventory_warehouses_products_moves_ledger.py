"""inventory: warehouses, managers, products, stock, moves, ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:14:36.770439
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_index("uq_products_sku_lower", "products", [sa.literal_column("lower(sku)")], unique=True)
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
    )
    op.create_index("uq_warehouses_code_lower", "warehouses", [sa.literal_column("lower(code)")], unique=True)
    op.create_table(
        "stock",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_quantity_not_negative")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_stock_product_id_products")),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_warehouse_id_warehouses")),
        sa.PrimaryKeyConstraint("warehouse_id", "product_id", name=op.f("pk_stock")),
    )
    op.create_index(op.f("ix_stock_product_id"), "stock", ["product_id"], unique=False)
    op.create_table(
        "stock_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("to_warehouse_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("posted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'transfer') = (to_warehouse_id IS NOT NULL) AND to_warehouse_id IS DISTINCT FROM warehouse_id",
            name=op.f("ck_stock_moves_transfer_goes_elsewhere"),
        ),
        sa.CheckConstraint(
            "kind IN ('receipt', 'issue', 'transfer', 'adjustment')", name=op.f("ck_stock_moves_kind_known")
        ),
        sa.CheckConstraint("status IN ('draft', 'posted', 'cancelled')", name=op.f("ck_stock_moves_status_known")),
        sa.ForeignKeyConstraint(
            ["to_warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_moves_to_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_moves_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_moves")),
    )
    op.create_index("ix_stock_moves_to_warehouse_id_id", "stock_moves", ["to_warehouse_id", "id"], unique=False)
    op.create_index("ix_stock_moves_warehouse_id_id", "stock_moves", ["warehouse_id", "id"], unique=False)
    op.create_table(
        "warehouse_managers",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_warehouse_managers_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("warehouse_id", "user_id", name=op.f("pk_warehouse_managers")),
    )
    op.create_index(op.f("ix_warehouse_managers_user_id"), "warehouse_managers", ["user_id"], unique=False)
    op.create_table(
        "stock_ledger",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("move_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["move_id"], ["stock_moves.id"], name=op.f("fk_stock_ledger_move_id_stock_moves")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_stock_ledger_product_id_products")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_ledger_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger")),
    )
    op.create_index(op.f("ix_stock_ledger_move_id"), "stock_ledger", ["move_id"], unique=False)
    op.create_index(
        "ix_stock_ledger_warehouse_id_posted_at", "stock_ledger", ["warehouse_id", "posted_at"], unique=False
    )
    op.create_index(
        "ix_stock_ledger_warehouse_id_product_id_id", "stock_ledger", ["warehouse_id", "product_id", "id"], unique=False
    )
    op.create_table(
        "stock_move_lines",
        sa.Column("move_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_move_lines_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["move_id"], ["stock_moves.id"], name=op.f("fk_stock_move_lines_move_id_stock_moves"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_stock_move_lines_product_id_products")),
        sa.PrimaryKeyConstraint("move_id", "product_id", name=op.f("pk_stock_move_lines")),
    )
    op.create_index(op.f("ix_stock_move_lines_product_id"), "stock_move_lines", ["product_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_stock_move_lines_product_id"), table_name="stock_move_lines")
    op.drop_table("stock_move_lines")
    op.drop_index("ix_stock_ledger_warehouse_id_product_id_id", table_name="stock_ledger")
    op.drop_index("ix_stock_ledger_warehouse_id_posted_at", table_name="stock_ledger")
    op.drop_index(op.f("ix_stock_ledger_move_id"), table_name="stock_ledger")
    op.drop_table("stock_ledger")
    op.drop_index(op.f("ix_warehouse_managers_user_id"), table_name="warehouse_managers")
    op.drop_table("warehouse_managers")
    op.drop_index("ix_stock_moves_warehouse_id_id", table_name="stock_moves")
    op.drop_index("ix_stock_moves_to_warehouse_id_id", table_name="stock_moves")
    op.drop_table("stock_moves")
    op.drop_index(op.f("ix_stock_product_id"), table_name="stock")
    op.drop_table("stock")
    op.drop_index("uq_warehouses_code_lower", table_name="warehouses")
    op.drop_table("warehouses")
    op.drop_index("uq_products_sku_lower", table_name="products")
    op.drop_table("products")
