"""Use cases of products: everyone signed in finds them; admins and warehouse managers add and edit
them; a product's on-hand is shown only for the warehouses the caller manages (all, for an admin)."""

from sqlalchemy import exists, func, or_, select

from services.core.actor import require_actor
from services.core.contracts.inventory import Product as ProductSchema
from services.core.contracts.inventory import ProductDetail, ProductQuery
from services.core.db import flush_unique
from services.core.schemas import load, paginate
from services.inventory import exceptions
from services.inventory.models import Product, Stock, Warehouse, WarehouseManager
from services.inventory.warehouses import contains

product_schema = ProductSchema()
detail_schema = ProductDetail()


def require_editor(session, actor):
    """Products are added by those who move stock: admins and the managers of some warehouse."""
    require_actor(actor)
    if actor.is_admin:
        return
    if not session.scalar(select(exists().where(WarehouseManager.user_id == actor.id))):
        raise exceptions.NotProductEditor()


def get_or_404(session, product_id, lock=False):
    statement = select(Product).where(Product.id == product_id)
    if lock:
        statement = statement.with_for_update()
    product = session.scalar(statement)
    if product is None:
        raise exceptions.ProductNotFound()
    return product


def list_products(uow, query):
    require_actor(uow.actor)
    query = load(ProductQuery(), query)
    statement = select(Product).order_by(func.lower(Product.sku))
    if query.get("q"):
        statement = statement.where(or_(contains(Product.sku, query["q"]), contains(Product.name, query["q"])))
    if "active" in query:
        statement = statement.where(Product.active.is_(query["active"]))
    with uow:
        return paginate(
            uow.session,
            statement,
            query["page"],
            query["page_size"],
            lambda product: product_schema.dump(product),
        )


def on_hand(session, actor, product_id):
    """The product's on-hand per warehouse, in the warehouses the actor may see the stock of."""
    statement = (
        select(
            Stock.warehouse_id,
            Warehouse.code.label("warehouse_code"),
            Warehouse.name.label("warehouse_name"),
            Stock.quantity,
        )
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Stock.product_id == product_id)
        .order_by(func.lower(Warehouse.code))
    )
    if not actor.is_admin:
        statement = statement.where(
            Stock.warehouse_id.in_(select(WarehouseManager.warehouse_id).where(WarehouseManager.user_id == actor.id))
        )
    return [row._asdict() for row in session.execute(statement)]


def get_product(uow, product_id):
    require_actor(uow.actor)
    with uow:
        product = get_or_404(uow.session, product_id)
        data = detail_schema.dump(product)
        data["on_hand"] = on_hand(uow.session, uow.actor, product_id)
        return data


def create_product(uow, data):
    data = load(product_schema, data)
    with uow:
        require_editor(uow.session, uow.actor)
        product = Product(
            sku=data["sku"].strip(), name=data["name"].strip(), unit=data["unit"].strip(), active=data["active"]
        )
        uow.session.add(product)
        flush_unique(uow.session, exceptions.ProductSkuTaken)
        uow.session.refresh(product)
        uow.commit()
        return product_schema.dump(product)


def update_product(uow, product_id, data):
    data = load(product_schema, data, partial=True)
    with uow:
        require_editor(uow.session, uow.actor)
        product = get_or_404(uow.session, product_id, lock=True)
        for name in ("sku", "name", "unit"):
            if name in data:
                setattr(product, name, data[name].strip())
        if "active" in data:
            product.active = data["active"]
        product.updated_at = func.now()
        flush_unique(uow.session, exceptions.ProductSkuTaken)
        uow.session.refresh(product)
        uow.commit()
        return product_schema.dump(product)
