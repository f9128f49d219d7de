"""Domain errors of the inventory service (subclasses of services.core.errors kinds)."""

from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation


class WarehouseNotFound(NotFound):
    code = "WAREHOUSE_NOT_FOUND"
    message = "Warehouse not found."


class WarehouseCodeTaken(Conflict):
    code = "WAREHOUSE_CODE_TAKEN"
    message = "A warehouse with this code already exists."


class WarehouseInUse(Conflict):
    code = "WAREHOUSE_IN_USE"
    message = "This warehouse holds stock or has posted stock moves, so it cannot be deleted; deactivate it instead."


class WarehouseInactive(Conflict):
    code = "WAREHOUSE_INACTIVE"
    message = "An inactive warehouse takes no new stock moves."


class InvalidManagers(InvalidInput):
    code = "INVALID_MANAGERS"
    message = "Warehouse managers must be existing, active users."


class NotWarehouseManager(Forbidden):
    code = "NOT_WAREHOUSE_MANAGER"
    message = "Only the managers of this warehouse (or an admin) can see its stock or move it."


class ProductNotFound(NotFound):
    code = "PRODUCT_NOT_FOUND"
    message = "Product not found."


class ProductSkuTaken(Conflict):
    code = "PRODUCT_SKU_TAKEN"
    message = "A product with this SKU already exists."


class ProductInactive(RuleViolation):
    code = "PRODUCT_INACTIVE"
    message = "Inactive products cannot be received, issued, transferred or counted."


class NotProductEditor(Forbidden):
    code = "NOT_PRODUCT_EDITOR"
    message = "Only admins and warehouse managers can add or edit products."


class StockMoveNotFound(NotFound):
    code = "STOCK_MOVE_NOT_FOUND"
    message = "Stock move not found."


class StockMoveNotDraft(Conflict):
    code = "STOCK_MOVE_NOT_DRAFT"
    message = "Only a draft stock move can be edited, posted or cancelled; this one is no longer a draft."


class InsufficientStock(RuleViolation):
    code = "INSUFFICIENT_STOCK"
    message = "Not enough stock on hand; nothing was posted."
