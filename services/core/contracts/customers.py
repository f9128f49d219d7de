"""Contracts of the customers service: HTTP bodies, RPC payloads and event payloads."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.core.contracts import common
from services.core.contracts.common import PageQuery, id_list

MAX_BULK = 100_000

CUSTOMER_KINDS = ("person", "company")
ACTIVITY_STATUSES = ("not_started", "in_progress", "done", "cancelled")
OPEN_ACTIVITY_STATUSES = ("not_started", "in_progress")
RECORD_KINDS = ("contract", "quote", "opportunity", "order", "document")
SHARE_LEVELS = ("view", "edit")
# what bulk sharing may also apply to (plural names, as in the request)
SHARE_INCLUDES = ("activities", "contracts", "quotes", "documents", "opportunities", "orders")
SHARE_RELATED = ("contracts", "quotes", "opportunities", "orders")
GROUP_MODES = ("move", "add", "remove")
SHARE_MODES = ("add", "transfer", "remove")
STAR_LEVELS = (0, 1, 2, 3, 4, 5)

PHONE = validate.Regexp(r"^\+?[0-9 .\-()]{6,20}$", error="Not a phone number.")


def _optional_text(max_length):
    return common.String(load_default=None, allow_none=True, validate=validate.Length(max=max_length))


class CustomerIds(fields.List):
    """1 to 100,000 customer ids, checked in one pass (a list of that size is a normal request)."""

    def __init__(self, **kwargs):
        super().__init__(common.Id(), validate=validate.Length(min=1, max=MAX_BULK), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        if not value:
            raise ValidationError("Give at least one customer.")
        if len(value) > MAX_BULK:
            raise ValidationError("At most {} customers per call (got {}).".format(MAX_BULK, len(value)))
        for item in value:
            if type(item) is not int or not 1 <= item <= common.MAX_ID:  # bool is not an id either
                raise ValidationError(
                    "Every customer id must be a positive integer up to {} (got {!r}).".format(common.MAX_ID, item)
                )
        return list(value)


# -- customers ---------------------------------------------------------------


class Customer(Schema):
    id = common.Integer(dump_only=True)
    code = common.String(
        load_default=None,
        validate=[validate.Length(min=1, max=50), validate.Regexp(r"^\S(.*\S)?$", error="No spaces at either end.")],
        metadata={"description": "Unique; generated (KH000123) when absent"},
    )
    name = common.String(required=True, validate=validate.Length(min=1, max=200))
    kind = common.String(load_default="person", validate=validate.OneOf(CUSTOMER_KINDS))
    phone = common.String(load_default=None, allow_none=True, validate=PHONE)
    email = common.Email(load_default=None, allow_none=True)
    address = _optional_text(500)
    source = _optional_text(100)
    note = _optional_text(5000)
    owner_id = common.Integer(dump_only=True)
    owner_department_id = common.Integer(dump_only=True, allow_none=True)
    group_ids = id_list(load_default=list)
    score = common.Integer(dump_only=True)
    stars = common.Integer(dump_only=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class CustomerFilter(Schema):
    """The customer list's filters; a bulk action may take every visible customer matching them."""

    q = common.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Part of the name, code, phone or email (any case)"},
    )
    owner_id = common.Id()
    group_id = common.Id()
    stars = fields.List(
        common.Integer(validate=validate.OneOf(STAR_LEVELS)),
        validate=validate.Length(min=1),
        metadata={"description": "One or several star levels"},
    )


class CustomerQuery(PageQuery, CustomerFilter):
    pass


class VisibleQuery(Schema):
    """Which of these customers may the caller see (RPC ``visible_customer_ids``)."""

    customer_ids = CustomerIds(required=True)


class ContactSnapshot(Schema):
    """What a ticket keeps of the contact of its customer."""

    id = common.Id(required=True)
    name = common.String(required=True)
    phone = common.String(allow_none=True, load_default=None)
    email = common.String(allow_none=True, load_default=None)
    position = common.String(allow_none=True, load_default=None)


class CustomerSnapshot(Schema):
    """What other services keep of a customer (tickets, messages): the one contract, answered by
    the customers service's ``customer_snapshot`` and stored on a ticket as it was then."""

    id = common.Id(required=True)
    code = common.String(required=True)
    name = common.String(required=True)
    phone = common.String(allow_none=True, load_default=None)
    email = common.String(allow_none=True, load_default=None)
    address = common.String(allow_none=True, load_default=None)
    contact = fields.Nested(
        ContactSnapshot,
        allow_none=True,
        load_default=None,
        metadata={"description": "The ticket's contact of this customer, if one is set (tickets only)"},
    )


class Contact(Schema):
    id = common.Integer(dump_only=True)
    customer_id = common.Integer(dump_only=True)
    name = common.String(required=True, validate=validate.Length(min=1, max=200))
    phone = common.String(load_default=None, allow_none=True, validate=PHONE)
    email = common.Email(load_default=None, allow_none=True)
    position = _optional_text(200)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class Share(Schema):
    """One share; exactly one of user_id / department_id is present."""

    user_id = common.Id()
    department_id = common.Id()
    level = common.String(required=True, validate=validate.OneOf(SHARE_LEVELS))


class Shares(Schema):
    items = fields.List(fields.Nested(Share), required=True)


# -- activities and records ---------------------------------------------------


class ActivityType(Schema):
    id = common.Integer(dump_only=True)
    name = common.String(required=True, validate=validate.Length(min=1, max=200))
    points = common.Integer(load_default=0, min=0, max=1_000_000)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class Activity(Schema):
    id = common.Integer(dump_only=True)
    customer_id = common.Integer(dump_only=True)
    type_id = common.Id(required=True)
    title = common.String(required=True, validate=validate.Length(min=1, max=300))
    status = common.String(load_default="not_started", validate=validate.OneOf(ACTIVITY_STATUSES))
    due_at = common.DateTime(load_default=None, allow_none=True)
    owner_id = common.Id(load_default=None, allow_none=True)
    shares = fields.List(fields.Nested(Share), dump_only=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class Record(Schema):
    id = common.Integer(dump_only=True)
    customer_id = common.Integer(dump_only=True)
    kind = common.String(required=True, validate=validate.OneOf(RECORD_KINDS))
    title = common.String(required=True, validate=validate.Length(min=1, max=300))
    amount = common.Integer(load_default=None, allow_none=True, min=0)
    status = common.String(load_default="open", validate=validate.Length(min=1, max=50))
    owner_id = common.Id(load_default=None, allow_none=True)
    shares = fields.List(fields.Nested(Share), dump_only=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class RecordQuery(PageQuery):
    kind = common.String(validate=validate.OneOf(RECORD_KINDS))


class ActivityQuery(PageQuery):
    status = common.String(validate=validate.OneOf(ACTIVITY_STATUSES))


# -- groups and bulk actions --------------------------------------------------


class CustomerGroup(Schema):
    id = common.Integer(dump_only=True)
    name = common.String(required=True, validate=validate.Length(min=1, max=200))
    points = common.Integer(load_default=0, min=0, max=1_000_000)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class Selection(Schema):
    """The customers of a bulk action: the given ids (in that order), or every customer visible to
    the caller that matches ``filter`` (newest first, as listed); one or the other."""

    customer_ids = CustomerIds(metadata={"description": "Up to {:,} ids, in order".format(MAX_BULK)})
    filter = fields.Nested(
        CustomerFilter,
        metadata={
            "description": "Instead of customer_ids: every visible customer matching these filters, newest first "
            "(at most {:,}; `{{}}` is every visible customer)".format(MAX_BULK)
        },
    )

    rules = "Give exactly one of `customer_ids` and `filter`."

    @validates_schema
    def one_selection(self, data, **kwargs):
        if ("customer_ids" in data) == ("filter" in data):
            raise ValidationError("Give either customer_ids or filter.", "customer_ids")


class BulkGroups(Selection):
    mode = common.String(required=True, validate=validate.OneOf(GROUP_MODES))
    group_ids = id_list(required=True)

    rules = "`group_ids` may be empty only with mode `move` (which then takes the customers out of every group)."

    @validates_schema
    def groups_for_mode(self, data, **kwargs):
        if data.get("mode") in ("add", "remove") and not data.get("group_ids"):
            raise ValidationError("Choose at least one group to {}.".format(data["mode"]), "group_ids")


class Targets(Schema):
    """Users and/or departments a bulk action is aimed at."""

    user_ids = id_list(load_default=list)
    department_ids = id_list(load_default=list)

    rules = "Give at least one of `user_ids` and `department_ids`."

    @validates_schema
    def some_target(self, data, **kwargs):
        if not data.get("user_ids") and not data.get("department_ids"):
            raise ValidationError("Choose at least one user or department.", "user_ids")


class BulkShare(Targets, Selection):
    mode = common.String(required=True, validate=validate.OneOf(SHARE_MODES))
    level = common.String(load_default="view", validate=validate.OneOf(SHARE_LEVELS))
    include = fields.List(common.String(validate=validate.OneOf(SHARE_INCLUDES)), load_default=list)


class BulkTransferOwner(Targets, Selection):
    split_evenly = fields.Boolean(load_default=False)
    transfer_activities = fields.List(common.String(validate=validate.OneOf(OPEN_ACTIVITY_STATUSES)), load_default=list)
    share_related = fields.List(common.String(validate=validate.OneOf(SHARE_RELATED)), load_default=list)


class BulkResult(Schema):
    matched = common.Integer(required=True, metadata={"description": "Customers of the selection visible to you"})
    changed = common.Integer(required=True, metadata={"description": "Customers the call changed"})
    skipped = common.Integer(
        required=True, metadata={"description": "Visible customers you may not edit (left as they were)"}
    )
    skipped_ids = fields.List(common.Integer(), required=True)


class TransferResult(BulkResult):
    assignments = fields.Dict(
        keys=common.String(),
        values=fields.List(common.Integer()),
        required=True,
        metadata={"description": "New owner id -> the customers given to them, in order"},
    )


# -- history and rating -------------------------------------------------------

HISTORY_ACTIONS = ("owner_transfer", "share_add", "share_transfer", "share_remove")


class HistoryQuery(PageQuery):
    customer_id = common.Id()
    actor_id = common.Id()
    action = common.String(validate=validate.OneOf(HISTORY_ACTIONS))
    since = common.PeriodBound(data_key="from")
    until = common.PeriodBound(end=True, data_key="to")


class HistoryEntry(Schema):
    change_id = common.Integer(required=True)
    action = common.String(required=True)
    actor_id = common.Integer(allow_none=True)
    created_at = common.DateTime(required=True)
    customer_id = common.Integer(required=True)
    from_ = fields.Dict(
        data_key="from",
        attribute="from",
        allow_none=True,
        metadata={
            "description": '{"user_id"|"department_id", "level": "owner"|"view"|"edit"} before; null for a share added'
        },
    )
    to = fields.Dict(
        allow_none=True,
        metadata={
            "description": '{"user_id"|"department_id", "level": "owner"|"view"|"edit"} after; null for a share removed'
        },
    )
    details = fields.Dict()


class PotentialRating(Schema):
    thresholds = fields.List(
        common.Integer(min=0),
        required=True,
        validate=validate.Length(equal=5),
        metadata={"description": "Minimum score for 1, 2, 3, 4 and 5 stars"},
    )

    rules = "The five minimums are strictly increasing."

    @validates_schema
    def strictly_increasing(self, data, **kwargs):
        values = data.get("thresholds") or []
        if any(later <= earlier for earlier, later in zip(values, values[1:])):
            raise ValidationError("The minimums for 1 to 5 stars must be strictly increasing.", "thresholds")


# -- events -------------------------------------------------------------------


class OwnerChanged(Schema):
    """Event ``owner_changed``: customers that went from one owner to another in one transfer
    (one event per pair of owners and block of up to 10,000 customers)."""

    change_id = common.Integer(required=True, metadata={"description": "The history change (GET /customers/history)"})
    from_owner_id = common.Integer(required=True)
    to_owner_id = common.Integer(required=True)
    customer_ids = fields.List(common.Integer(), required=True)
