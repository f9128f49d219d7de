from gateway.api import router
from services.core.contracts.common import page_of
from services.core.contracts.inventory import (
    LedgerEntry,
    LedgerQuery,
    Product,
    ProductDetail,
    ProductQuery,
    StockItem,
    StockMove,
    StockMoveQuery,
    StockQuery,
    Warehouse,
    WarehouseQuery,
)

TAG = "Inventory"


def _inventory(req, method, *args):
    return req.rpc("inventory", method, *args)


# -- warehouses ---------------------------------------------------------------


@router.route(
    "GET",
    "/api/v1/warehouses",
    query=WarehouseQuery,
    response=page_of(Warehouse),
    tag=TAG,
    summary="List warehouses with their managers (everyone signed in)",
)
def list_warehouses(req):
    return _inventory(req, "list_warehouses", req.query)


@router.route(
    "POST",
    "/api/v1/warehouses",
    body=Warehouse,
    response=Warehouse,
    status=201,
    tag=TAG,
    summary="Add a warehouse with its managers (admin)",
    errors=(400, 403, 409),
)
def create_warehouse(req):
    return _inventory(req, "create_warehouse", req.body)


@router.route(
    "GET",
    "/api/v1/warehouses/<int:warehouse_id>",
    response=Warehouse,
    tag=TAG,
    summary="One warehouse",
    errors=(404,),
)
def get_warehouse(req, warehouse_id):
    return _inventory(req, "get_warehouse", warehouse_id)


@router.route(
    "PATCH",
    "/api/v1/warehouses/<int:warehouse_id>",
    body=Warehouse,
    response=Warehouse,
    tag=TAG,
    summary="Edit a warehouse, replace its managers, or deactivate it (admin)",
    errors=(400, 403, 404, 409),
)
def update_warehouse(req, warehouse_id):
    return _inventory(req, "update_warehouse", warehouse_id, req.body)


@router.route(
    "DELETE",
    "/api/v1/warehouses/<int:warehouse_id>",
    status=204,
    tag=TAG,
    summary="Delete an empty warehouse that never had a posted move (admin); else 409 WAREHOUSE_IN_USE",
    errors=(403, 404, 409),
)
def delete_warehouse(req, warehouse_id):
    _inventory(req, "delete_warehouse", warehouse_id)
    return None, 204


@router.route(
    "GET",
    "/api/v1/warehouses/<int:warehouse_id>/stock",
    query=StockQuery,
    response=page_of(StockItem),
    tag=TAG,
    summary="On-hand of each product in the warehouse (its managers and admins)",
    errors=(403, 404),
)
def warehouse_stock(req, warehouse_id):
    return _inventory(req, "warehouse_stock", warehouse_id, req.query)


@router.route(
    "GET",
    "/api/v1/warehouses/<int:warehouse_id>/ledger",
    query=LedgerQuery,
    response=page_of(LedgerEntry),
    tag=TAG,
    summary="Stock ledger of the warehouse with running on-hand, by period (its managers and admins)",
    errors=(403, 404),
)
def warehouse_ledger(req, warehouse_id):
    return _inventory(req, "warehouse_ledger", warehouse_id, req.query)


@router.route(
    "GET",
    "/api/v1/warehouses/<int:warehouse_id>/stock-moves",
    query=StockMoveQuery,
    response=page_of(StockMove),
    tag=TAG,
    summary="Stock moves from or to the warehouse (its managers and admins)",
    errors=(403, 404),
)
def warehouse_stock_moves(req, warehouse_id):
    return _inventory(req, "list_stock_moves", dict(req.query, warehouse_id=warehouse_id))


# -- products -------------------------------------------------------------------


@router.route(
    "GET",
    "/api/v1/products",
    query=ProductQuery,
    response=page_of(Product),
    tag=TAG,
    summary="List products, searching the SKU and the name",
)
def list_products(req):
    return _inventory(req, "list_products", req.query)


@router.route(
    "POST",
    "/api/v1/products",
    body=Product,
    response=Product,
    status=201,
    tag=TAG,
    summary="Add a product (admins and warehouse managers)",
    errors=(400, 403, 409),
)
def create_product(req):
    return _inventory(req, "create_product", req.body)


@router.route(
    "GET",
    "/api/v1/products/<int:product_id>",
    response=ProductDetail,
    tag=TAG,
    summary="One product, with its on-hand in the warehouses you manage",
    errors=(404,),
)
def get_product(req, product_id):
    return _inventory(req, "get_product", product_id)


@router.route(
    "PATCH",
    "/api/v1/products/<int:product_id>",
    body=Product,
    response=Product,
    tag=TAG,
    summary="Edit or deactivate a product (admins and warehouse managers)",
    errors=(400, 403, 404, 409),
)
def update_product(req, product_id):
    return _inventory(req, "update_product", product_id, req.body)


# -- stock moves ------------------------------------------------------------------


@router.route(
    "GET",
    "/api/v1/stock-moves",
    query=StockMoveQuery,
    response=page_of(StockMove),
    tag=TAG,
    summary="Stock moves of the warehouses you manage, newest first (every move for an admin)",
    errors=(403, 404),
)
def list_stock_moves(req):
    return _inventory(req, "list_stock_moves", req.query)


@router.route(
    "POST",
    "/api/v1/stock-moves",
    body=StockMove,
    response=StockMove,
    status=201,
    tag=TAG,
    summary="Create a draft receipt, issue, transfer or adjustment (managers of its warehouses, admins)",
    errors=(400, 403, 404, 409, 422),
)
def create_stock_move(req):
    return _inventory(req, "create_stock_move", req.body)


@router.route(
    "GET",
    "/api/v1/stock-moves/<int:move_id>",
    response=StockMove,
    tag=TAG,
    summary="One stock move with its lines (managers of its warehouses, admins)",
    errors=(403, 404),
)
def get_stock_move(req, move_id):
    return _inventory(req, "get_stock_move", move_id)


@router.route(
    "PATCH",
    "/api/v1/stock-moves/<int:move_id>",
    body=StockMove,
    response=StockMove,
    tag=TAG,
    summary="Edit a draft stock move; lines replaces every line",
    errors=(400, 403, 404, 409, 422),
)
def update_stock_move(req, move_id):
    return _inventory(req, "update_stock_move", move_id, req.body)


@router.route(
    "POST",
    "/api/v1/stock-moves/<int:move_id>/post",
    response=StockMove,
    tag=TAG,
    summary="Post a draft: on-hand changes for every line or none (422 INSUFFICIENT_STOCK); once (409)",
    errors=(403, 404, 409, 422),
)
def post_stock_move(req, move_id):
    return _inventory(req, "post_stock_move", move_id)


@router.route(
    "POST",
    "/api/v1/stock-moves/<int:move_id>/cancel",
    response=StockMove,
    tag=TAG,
    summary="Cancel a draft stock move",
    errors=(403, 404, 409),
)
def cancel_stock_move(req, move_id):
    return _inventory(req, "cancel_stock_move", move_id)
