"""The stock ledger of a warehouse: every change of on-hand by a posted move, oldest first, with the
running on-hand of the product right after it.  The managers of the warehouse and admins only.

Per (warehouse, product), the ledger's changes sum to on-hand: both are written by the same
posting, under the on-hand row's lock, so the running quantity of an entry is exact.
"""

from sqlalchemy import select

from services.core.actor import require_actor
from services.core.business_time import shown
from services.core.contracts.inventory import LedgerQuery
from services.core.schemas import load, paginate
from services.inventory.models import Product, StockLedgerEntry, StockMove
from services.inventory.warehouses import get_or_404, require_manager


def ledger(uow, warehouse_id, query):
    """``from`` / ``to``: a date is that whole day in the business time zone; a date-time is that
    instant (``to`` excluded), :class:`services.core.contracts.common.PeriodBound`."""
    require_actor(uow.actor)
    query = load(LedgerQuery(), query)
    start = query.get("from_")
    end = query.get("to")
    statement = (
        select(
            StockLedgerEntry.id,
            StockLedgerEntry.warehouse_id,
            StockLedgerEntry.product_id,
            Product.sku,
            StockLedgerEntry.move_id,
            StockMove.kind,
            StockLedgerEntry.change,
            StockLedgerEntry.quantity,
            StockLedgerEntry.posted_at,
        )
        .join(Product, Product.id == StockLedgerEntry.product_id)
        .join(StockMove, StockMove.id == StockLedgerEntry.move_id)
        .where(StockLedgerEntry.warehouse_id == warehouse_id)
        .order_by(StockLedgerEntry.id)
    )
    if "product_id" in query:
        statement = statement.where(StockLedgerEntry.product_id == query["product_id"])
    if start is not None:
        statement = statement.where(StockLedgerEntry.posted_at >= start)
    if end is not None:
        statement = statement.where(StockLedgerEntry.posted_at < end)

    def entry(row):
        data = row._asdict()
        data["posted_at"] = shown(row.posted_at)
        return data

    with uow:
        get_or_404(uow.session, warehouse_id)
        require_manager(uow.session, uow.actor, [warehouse_id])
        return paginate(uow.session, statement, query["page"], query["page_size"], entry, rows=True)
