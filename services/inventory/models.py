"""Tables of the inventory service.

On-hand lives in ``stock`` (one row per warehouse and product, ``quantity >= 0`` checked by the
database); every posted line writes ``stock_ledger`` rows whose ``change`` sums to that on-hand
and whose ``quantity`` is the running on-hand right after it.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.core.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (Index("uq_warehouses_code_lower", func.lower(text("code")), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), server_default="")
    note: Mapped[str] = mapped_column(Text, server_default="")
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    updated_at = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)

    managers = relationship(
        "WarehouseManager", order_by="WarehouseManager.user_id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def manager_ids(self):
        return [manager.user_id for manager in self.managers]


class WarehouseManager(Base):
    __tablename__ = "warehouse_managers"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (Index("uq_products_sku_lower", func.lower(text("sku")), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    updated_at = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Stock(Base):
    """On-hand of one product in one warehouse."""

    __tablename__ = "stock"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class StockMove(Base):
    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint("kind IN ('receipt', 'issue', 'transfer', 'adjustment')", name="kind_known"),
        CheckConstraint("status IN ('draft', 'posted', 'cancelled')", name="status_known"),
        CheckConstraint(
            "(kind = 'transfer') = (to_warehouse_id IS NOT NULL) AND to_warehouse_id IS DISTINCT FROM warehouse_id",
            name="transfer_goes_elsewhere",
        ),
        Index("ix_stock_moves_warehouse_id_id", "warehouse_id", "id"),
        Index("ix_stock_moves_to_warehouse_id_id", "to_warehouse_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), server_default="draft")
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[int] = mapped_column(Integer)
    posted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    updated_at = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    posted_at = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_at = mapped_column(DateTime(timezone=True), nullable=True)

    lines = relationship("StockMoveLine", order_by="StockMoveLine.position", cascade="all, delete-orphan")

    @property
    def warehouse_ids(self):
        """The warehouses the move touches (both for a transfer)."""
        return sorted({self.warehouse_id, self.to_warehouse_id} - {None})


class StockMoveLine(Base):
    __tablename__ = "stock_move_lines"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    move_id: Mapped[int] = mapped_column(ForeignKey("stock_moves.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(BigInteger)


class StockLedgerEntry(Base):
    """One change of on-hand by a posted move; ``quantity`` is the running on-hand after it."""

    __tablename__ = "stock_ledger"
    __table_args__ = (
        Index("ix_stock_ledger_warehouse_id_product_id_id", "warehouse_id", "product_id", "id"),
        Index("ix_stock_ledger_warehouse_id_posted_at", "warehouse_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    move_id: Mapped[int] = mapped_column(ForeignKey("stock_moves.id"), index=True)
    change: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    posted_at = mapped_column(DateTime(timezone=True), nullable=False)
