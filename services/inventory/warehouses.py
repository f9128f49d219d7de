"""Use cases of warehouses (admins add, edit and delete them; everyone signed in sees them) and of
who may see a warehouse's quantities: its managers and the admins (SPEC §4)."""

from sqlalchemy import delete, exists, func, or_, select

from services.core.actor import require_actor, require_admin
from services.core.contracts.inventory import StockQuery, WarehouseQuery
from services.core.contracts.inventory import Warehouse as WarehouseSchema
from services.core.db import flush_unique
from services.core.schemas import load, paginate
from services.inventory import exceptions
from services.inventory.models import Product, Stock, StockMove, Warehouse, WarehouseManager

warehouse_schema = WarehouseSchema()


def contains(column, q):
    """``column`` contains ``q``, any case; ``%``, ``_`` and ``\\`` in q are literal."""
    pattern = "%{}%".format(q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    return column.ilike(pattern, escape="\\")


# -- who may see quantities -----------------------------------------------------------


def managed_warehouse_ids(session, actor):
    """The warehouses the actor manages (the admins see every warehouse's stock without managing it)."""
    return set(session.scalars(select(WarehouseManager.warehouse_id).where(WarehouseManager.user_id == actor.id)))


def require_manager(session, actor, warehouse_ids):
    """403 unless the actor is an admin or manages every one of ``warehouse_ids`` (both ends of a transfer)."""
    require_actor(actor)
    if actor.is_admin:
        return
    managed = managed_warehouse_ids(session, actor)
    if not set(warehouse_ids) <= managed:
        raise exceptions.NotWarehouseManager()


def get_or_404(session, warehouse_id, lock=None):
    statement = select(Warehouse).where(Warehouse.id == warehouse_id)
    if lock == "update":
        statement = statement.with_for_update()
    warehouse = session.scalar(statement)
    if warehouse is None:
        raise exceptions.WarehouseNotFound()
    return warehouse


# -- warehouses ---------------------------------------------------------------------


def dump(warehouse):
    return warehouse_schema.dump(warehouse)


def list_warehouses(uow, query):
    """Every signed-in user sees every warehouse: code, name, address, managers, active."""
    require_actor(uow.actor)
    query = load(WarehouseQuery(), query)
    statement = select(Warehouse).order_by(func.lower(Warehouse.code))
    if query.get("q"):
        statement = statement.where(or_(contains(Warehouse.code, query["q"]), contains(Warehouse.name, query["q"])))
    if "active" in query:
        statement = statement.where(Warehouse.active.is_(query["active"]))
    if "manager_id" in query:
        statement = statement.where(Warehouse.managers.any(WarehouseManager.user_id == query["manager_id"]))
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], lambda w: dump(w))


def get_warehouse(uow, warehouse_id):
    require_actor(uow.actor)
    with uow:
        return dump(get_or_404(uow.session, warehouse_id))


def check_managers(uow, user_ids):
    """Managers must be existing, active directory users: asked before any transaction is opened."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    found = uow.services.directory.active_members(user_ids=user_ids, department_ids=[])
    active = {user["id"] for user in found["users"] if user["active"]}
    refused = [user_id for user_id in user_ids if user_id not in active]
    if refused:
        raise exceptions.InvalidManagers(
            fields={"manager_ids": ["No such active user: {}.".format(", ".join(str(user_id) for user_id in refused))]}
        )
    return user_ids


def create_warehouse(uow, data):
    require_admin(uow.actor)
    data = load(warehouse_schema, data)
    manager_ids = check_managers(uow, data["manager_ids"])
    with uow:
        warehouse = Warehouse(
            code=data["code"].strip(),
            name=data["name"].strip(),
            address=data["address"],
            note=data["note"],
            active=data["active"],
            managers=[WarehouseManager(user_id=user_id) for user_id in manager_ids],
        )
        uow.session.add(warehouse)
        flush_unique(uow.session, exceptions.WarehouseCodeTaken)
        uow.session.refresh(warehouse)
        uow.commit()
        return dump(warehouse)


def update_warehouse(uow, warehouse_id, data):
    """Edit any field; ``manager_ids`` replaces the managers; ``active: false`` stops new moves."""
    require_admin(uow.actor)
    data = load(warehouse_schema, data, partial=True)
    manager_ids = check_managers(uow, data["manager_ids"]) if "manager_ids" in data else None
    with uow:
        warehouse = get_or_404(uow.session, warehouse_id, lock="update")
        for name in ("code", "name"):
            if name in data:
                setattr(warehouse, name, data[name].strip())
        for name in ("address", "note", "active"):
            if name in data:
                setattr(warehouse, name, data[name])
        if manager_ids is not None:
            kept = {manager.user_id: manager for manager in warehouse.managers}
            warehouse.managers = [kept.get(user_id) or WarehouseManager(user_id=user_id) for user_id in manager_ids]
        warehouse.updated_at = func.now()
        flush_unique(uow.session, exceptions.WarehouseCodeTaken)
        uow.session.refresh(warehouse)
        uow.commit()
        return dump(warehouse)


def delete_warehouse(uow, warehouse_id):
    """Delete an empty warehouse that never had a posted move (its drafts go with it); else 409.

    The row lock waits for postings in flight (they hold the warehouse FOR SHARE), so a posting
    that commits first is seen here and the warehouse is kept.
    """
    require_admin(uow.actor)
    with uow:
        session = uow.session
        get_or_404(session, warehouse_id, lock="update")
        touches = or_(StockMove.warehouse_id == warehouse_id, StockMove.to_warehouse_id == warehouse_id)
        holds_stock = exists().where(Stock.warehouse_id == warehouse_id, Stock.quantity > 0)
        posted = exists().where(touches, StockMove.status == "posted")
        if session.scalar(select(holds_stock | posted)):
            raise exceptions.WarehouseInUse()
        session.execute(delete(StockMove).where(touches))
        session.execute(delete(Stock).where(Stock.warehouse_id == warehouse_id))
        session.execute(delete(Warehouse).where(Warehouse.id == warehouse_id))
        uow.commit()


# -- stock -----------------------------------------------------------------------------


def stock(uow, warehouse_id, query):
    """On-hand of each product in the warehouse, by product id: its managers and admins only.

    The total is counted on ``stock`` alone (every row has its product: a foreign key): for 100,000
    products a scan of those rows, 4-5x cheaper than counting the page's join with the products.
    """
    require_actor(uow.actor)
    query = load(StockQuery(), query)
    held = [Stock.warehouse_id == warehouse_id]
    if not query["include_empty"]:
        held.append(Stock.quantity > 0)
    page, page_size = query["page"], query["page_size"]
    statement = (
        select(Stock.product_id, Product.sku, Product.name, Product.unit, Stock.quantity)
        .join(Product, Product.id == Stock.product_id)
        .where(*held)
        .order_by(Stock.warehouse_id, Stock.product_id)  # the primary key's order: read from its index
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    with uow:
        session = uow.session
        get_or_404(session, warehouse_id)
        require_manager(session, uow.actor, [warehouse_id])
        total = session.scalar(select(func.count()).select_from(Stock).where(*held))
        items = [row._asdict() for row in session.execute(statement)]
        return {"items": items, "total": total, "page": page, "page_size": page_size}
