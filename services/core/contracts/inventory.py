"""Contracts of the inventory service: warehouses, products, stock, stock moves, the stock ledger."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.core.contracts import common
from services.core.contracts.common import PageQuery, id_list

POSITIVE_ID = validate.Range(min=1)
MOVE_KINDS = ("receipt", "issue", "transfer", "adjustment")
MOVE_STATUSES = ("draft", "posted", "cancelled")
MAX_LINES = 1000
MAX_QUANTITY = 1_000_000_000
NOT_BLANK = validate.Regexp(r"[\s\S]*\S", error="Must not be blank.")


class Warehouse(Schema):
    id = fields.Integer(dump_only=True)
    code = common.String(required=True, validate=[validate.Length(min=1, max=50), NOT_BLANK])
    name = common.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    address = common.String(load_default="", validate=validate.Length(max=500))
    note = common.String(load_default="", validate=validate.Length(max=2000))
    manager_ids = id_list(
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "Users who see this warehouse's quantities and move its stock (active users)"},
    )
    active = fields.Boolean(load_default=True, metadata={"description": "An inactive warehouse takes no new moves"})
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class WarehouseQuery(PageQuery):
    q = common.String(validate=validate.Length(max=200), metadata={"description": "Part of the code or the name"})
    active = fields.Boolean()
    manager_id = fields.Integer(validate=POSITIVE_ID)


class StockItem(Schema):
    product_id = fields.Integer()
    sku = common.String()
    name = common.String()
    unit = common.String()
    quantity = fields.Integer()


class StockQuery(PageQuery):
    include_empty = fields.Boolean(
        load_default=False, metadata={"description": "Also list products whose on-hand went back to 0"}
    )


class Product(Schema):
    id = fields.Integer(dump_only=True)
    sku = common.String(required=True, validate=[validate.Length(min=1, max=64), NOT_BLANK])
    name = common.String(required=True, validate=[validate.Length(min=1, max=300), NOT_BLANK])
    unit = common.String(load_default="pcs", validate=[validate.Length(min=1, max=30), NOT_BLANK])
    active = fields.Boolean(load_default=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class ProductOnHand(Schema):
    warehouse_id = fields.Integer()
    warehouse_code = common.String()
    warehouse_name = common.String()
    quantity = fields.Integer()


class ProductDetail(Product):
    on_hand = fields.List(
        fields.Nested(ProductOnHand),
        dump_only=True,
        metadata={"description": "On-hand in the warehouses you manage (every warehouse for an admin)"},
    )


class ProductQuery(PageQuery):
    q = common.String(
        validate=validate.Length(max=200), metadata={"description": "Part of the SKU or the name (% and _ literal)"}
    )
    active = fields.Boolean()


class MoveLine(Schema):
    product_id = fields.Integer(required=True, validate=POSITIVE_ID)
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_QUANTITY),
        metadata={"description": "Units moved (> 0); for an adjustment, the counted on-hand (≥ 0)"},
    )


class StockMove(Schema):
    id = fields.Integer(dump_only=True)
    kind = common.String(required=True, validate=validate.OneOf(MOVE_KINDS))
    warehouse_id = fields.Integer(
        required=True,
        validate=POSITIVE_ID,
        metadata={"description": "Where a receipt arrives, an issue leaves, a transfer starts, a count is made"},
    )
    to_warehouse_id = fields.Integer(
        load_default=None, allow_none=True, validate=POSITIVE_ID, metadata={"description": "A transfer's destination"}
    )
    note = common.String(load_default="", validate=validate.Length(max=2000))
    lines = fields.List(fields.Nested(MoveLine), required=True, validate=validate.Length(min=1, max=MAX_LINES))
    line_count = fields.Integer(dump_only=True)
    status = common.String(dump_only=True, metadata={"enum": list(MOVE_STATUSES)})
    created_by = fields.Integer(dump_only=True)
    posted_by = fields.Integer(dump_only=True, allow_none=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)
    posted_at = common.DateTime(dump_only=True, allow_none=True)
    cancelled_at = common.DateTime(dump_only=True, allow_none=True)

    @validates_schema
    def consistent(self, data, partial=False, **kwargs):
        """A product once per move; quantities > 0 except an adjustment's count; a transfer goes elsewhere.

        Checks what is present (a partial update is checked again, merged, by the service)."""
        lines = data.get("lines") or []
        product_ids = [line["product_id"] for line in lines]
        if len(product_ids) != len(set(product_ids)):
            raise ValidationError("A product can appear only once in a move.", "lines")
        kind = data.get("kind")
        if kind is not None and kind != "adjustment" and any(line["quantity"] < 1 for line in lines):
            raise ValidationError("Quantities must be at least 1 (only an adjustment counts 0).", "lines")
        if kind == "transfer":
            if "to_warehouse_id" in data or not partial:
                if data.get("to_warehouse_id") is None:
                    raise ValidationError("A transfer needs the warehouse it goes to.", "to_warehouse_id")
                if data.get("warehouse_id") is not None and data["to_warehouse_id"] == data["warehouse_id"]:
                    raise ValidationError("A transfer goes to another warehouse.", "to_warehouse_id")
        elif kind is not None and data.get("to_warehouse_id") is not None:
            raise ValidationError("Only a transfer has a destination warehouse.", "to_warehouse_id")


class StockMoveQuery(PageQuery):
    warehouse_id = fields.Integer(
        validate=POSITIVE_ID, metadata={"description": "Moves from or to this warehouse (its managers and admins)"}
    )
    kind = common.String(validate=validate.OneOf(MOVE_KINDS))
    status = common.String(validate=validate.OneOf(MOVE_STATUSES))


class LedgerQuery(PageQuery):
    product_id = fields.Integer(validate=POSITIVE_ID)
    from_ = common.PeriodBound(data_key="from")
    to = common.PeriodBound(end=True)


class LedgerEntry(Schema):
    id = fields.Integer()
    warehouse_id = fields.Integer()
    product_id = fields.Integer()
    sku = common.String()
    move_id = fields.Integer()
    kind = common.String(metadata={"enum": list(MOVE_KINDS)})
    change = fields.Integer(metadata={"description": "Signed change of on-hand"})
    quantity = fields.Integer(metadata={"description": "Running on-hand of the product in the warehouse after it"})
    posted_at = common.DateTime()


class StockChanged(Schema):
    """Payload of the ``stock_changed`` event: one per warehouse and product a posted line changed."""

    warehouse_id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    quantity = fields.Integer(required=True, metadata={"description": "The new on-hand"})
    change = fields.Integer(required=True)
    move_id = fields.Integer(required=True)
