from services.core.errors import EXPECTED
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc
from services.core.unit_of_work import UnitOfWorkProvider
from services.inventory import ledger, products, stock_moves, warehouses


class InventoryService:
    """Warehouses and their managers, products, stock moves, on-hand and the stock ledger."""

    name = "inventory"

    uow = UnitOfWorkProvider("directory")
    outbox = OutboxRelay()

    @rpc
    def ping(self):
        return "pong"

    # -- warehouses ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_warehouses(self, query=None):
        return warehouses.list_warehouses(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_warehouse(self, warehouse_id):
        return warehouses.get_warehouse(self.uow, warehouse_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_warehouse(self, data):
        return warehouses.create_warehouse(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_warehouse(self, warehouse_id, data):
        return warehouses.update_warehouse(self.uow, warehouse_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def delete_warehouse(self, warehouse_id):
        return warehouses.delete_warehouse(self.uow, warehouse_id)

    @rpc(expected_exceptions=EXPECTED)
    def warehouse_stock(self, warehouse_id, query=None):
        return warehouses.stock(self.uow, warehouse_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def warehouse_ledger(self, warehouse_id, query=None):
        return ledger.ledger(self.uow, warehouse_id, query)

    # -- products -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_products(self, query=None):
        return products.list_products(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_product(self, product_id):
        return products.get_product(self.uow, product_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_product(self, data):
        return products.create_product(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_product(self, product_id, data):
        return products.update_product(self.uow, product_id, data)

    # -- stock moves ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_stock_moves(self, query=None):
        return stock_moves.list_moves(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_stock_move(self, move_id):
        return stock_moves.get_move(self.uow, move_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_stock_move(self, data):
        return stock_moves.create_move(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_stock_move(self, move_id, data):
        return stock_moves.update_move(self.uow, move_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_stock_move(self, move_id):
        return stock_moves.cancel_move(self.uow, move_id)

    @rpc(expected_exceptions=EXPECTED)
    def post_stock_move(self, move_id):
        return stock_moves.post_move(self.uow, move_id)
