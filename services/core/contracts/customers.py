"""Contracts of the customers service: HTTP bodies, RPC payloads and event payloads."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=max_length))


class CustomerIds(fields.List):
    """1 to 100,000 customer ids, checked in one pass (a list of that size is a normal request)."""

    def __init__(self, **kwargs):
        super().__init__(
            fields.Integer(validate=validate.Range(min=1)), validate=validate.Length(min=1, max=MAX_BULK), **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        if not value:
            raise ValidationError("Give at least one customer.")
        if len(value) > MAX_BULK:
            raise ValidationError("At most {} customers per call (got {}).".format(MAX_BULK, len(value)))
        for item in value:
            if type(item) is not int or item < 1:  # bool is not an id either
                raise ValidationError("Every customer id must be a positive integer (got {!r}).".format(item))
        return list(value)


# -- customers ---------------------------------------------------------------


class Customer(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=50), validate.Regexp(r"^\S(.*\S)?$", error="No spaces at either end.")],
        metadata={"description": "Unique; generated (KH000123) when absent"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="person", validate=validate.OneOf(CUSTOMER_KINDS))
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    email = fields.Email(load_default=None, allow_none=True)
    address = _optional_text(500)
    source = _optional_text(100)
    note = _optional_text(5000)
    owner_id = fields.Integer(dump_only=True)
    owner_department_id = fields.Integer(dump_only=True, allow_none=True)
    group_ids = id_list(load_default=list)
    score = fields.Integer(dump_only=True)
    stars = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class CustomerFilter(Schema):
    """The customer list's filters; a bulk action may take every visible customer matching them."""

    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Part of the name, code, phone or email (any case)"},
    )
    owner_id = fields.Integer(validate=validate.Range(min=1))
    group_id = fields.Integer(validate=validate.Range(min=1))
    stars = fields.List(
        fields.Integer(validate=validate.OneOf(STAR_LEVELS)),
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

    id = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.String(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    email = fields.String(allow_none=True, load_default=None)
    position = fields.String(allow_none=True, load_default=None)


class CustomerSnapshot(Schema):
    """What other services keep of a customer (tickets, messages): the one contract, answered by
    the customers service's ``customer_snapshot`` and stored on a ticket as it was then."""

    id = fields.Integer(required=True, validate=validate.Range(min=1))
    code = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    email = fields.String(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None)
    contact = fields.Nested(
        ContactSnapshot,
        allow_none=True,
        load_default=None,
        metadata={"description": "The ticket's contact of this customer, if one is set (tickets only)"},
    )


class Contact(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    email = fields.Email(load_default=None, allow_none=True)
    position = _optional_text(200)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class Share(Schema):
    """One share; exactly one of user_id / department_id is present."""

    user_id = fields.Integer()
    department_id = fields.Integer()
    level = fields.String(required=True, validate=validate.OneOf(SHARE_LEVELS))


class Shares(Schema):
    items = fields.List(fields.Nested(Share), required=True)


# -- activities and records ---------------------------------------------------


class ActivityType(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    points = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class Activity(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True)
    type_id = fields.Integer(required=True, validate=validate.Range(min=1))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    status = fields.String(load_default="not_started", validate=validate.OneOf(ACTIVITY_STATUSES))
    due_at = fields.DateTime(load_default=None, allow_none=True)
    owner_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    shares = fields.List(fields.Nested(Share), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class Record(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(RECORD_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    amount = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    status = fields.String(load_default="open", validate=validate.Length(min=1, max=50))
    owner_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    shares = fields.List(fields.Nested(Share), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class RecordQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(RECORD_KINDS))


class ActivityQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ACTIVITY_STATUSES))


# -- groups and bulk actions --------------------------------------------------


class CustomerGroup(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    points = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


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

    @validates_schema
    def one_selection(self, data, **kwargs):
        if ("customer_ids" in data) == ("filter" in data):
            raise ValidationError("Give either customer_ids or filter.", "customer_ids")


class BulkGroups(Selection):
    mode = fields.String(required=True, validate=validate.OneOf(GROUP_MODES))
    group_ids = id_list(required=True)

    @validates_schema
    def groups_for_mode(self, data, **kwargs):
        if data.get("mode") in ("add", "remove") and not data.get("group_ids"):
            raise ValidationError("Choose at least one group to {}.".format(data["mode"]), "group_ids")


class Targets(Schema):
    """Users and/or departments a bulk action is aimed at."""

    user_ids = id_list(load_default=list)
    department_ids = id_list(load_default=list)

    @validates_schema
    def some_target(self, data, **kwargs):
        if not data.get("user_ids") and not data.get("department_ids"):
            raise ValidationError("Choose at least one user or department.", "user_ids")


class BulkShare(Targets, Selection):
    mode = fields.String(required=True, validate=validate.OneOf(SHARE_MODES))
    level = fields.String(load_default="view", validate=validate.OneOf(SHARE_LEVELS))
    include = fields.List(fields.String(validate=validate.OneOf(SHARE_INCLUDES)), load_default=list)


class BulkTransferOwner(Targets, Selection):
    split_evenly = fields.Boolean(load_default=False)
    transfer_activities = fields.List(fields.String(validate=validate.OneOf(OPEN_ACTIVITY_STATUSES)), load_default=list)
    share_related = fields.List(fields.String(validate=validate.OneOf(SHARE_RELATED)), load_default=list)


class BulkResult(Schema):
    matched = fields.Integer(required=True, metadata={"description": "Customers of the selection visible to you"})
    changed = fields.Integer(required=True, metadata={"description": "Customers the call changed"})
    skipped = fields.Integer(
        required=True, metadata={"description": "Visible customers you may not edit (left as they were)"}
    )
    skipped_ids = fields.List(fields.Integer(), required=True)


class TransferResult(BulkResult):
    assignments = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Integer()),
        required=True,
        metadata={"description": "New owner id -> the customers given to them, in order"},
    )


# -- history and rating -------------------------------------------------------

HISTORY_ACTIONS = ("owner_transfer", "share_add", "share_transfer", "share_remove")


class HistoryQuery(PageQuery):
    customer_id = fields.Integer(validate=validate.Range(min=1))
    actor_id = fields.Integer(validate=validate.Range(min=1))
    action = fields.String(validate=validate.OneOf(HISTORY_ACTIONS))
    since = fields.DateTime(data_key="from")
    until = fields.DateTime(data_key="to")


class HistoryEntry(Schema):
    change_id = fields.Integer(required=True)
    action = fields.String(required=True)
    actor_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    customer_id = fields.Integer(required=True)
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
        fields.Integer(validate=validate.Range(min=0)),
        required=True,
        validate=validate.Length(equal=5),
        metadata={"description": "Minimum score for 1, 2, 3, 4 and 5 stars"},
    )

    @validates_schema
    def strictly_increasing(self, data, **kwargs):
        values = data.get("thresholds") or []
        if any(later <= earlier for earlier, later in zip(values, values[1:])):
            raise ValidationError("The minimums for 1 to 5 stars must be strictly increasing.", "thresholds")


# -- events -------------------------------------------------------------------


class OwnerChanged(Schema):
    """Event ``owner_changed``: customers that went from one owner to another in one transfer
    (one event per pair of owners and block of up to 10,000 customers)."""

    change_id = fields.Integer(required=True, metadata={"description": "The history change (GET /customers/history)"})
    from_owner_id = fields.Integer(required=True)
    to_owner_id = fields.Integer(required=True)
    customer_ids = fields.List(fields.Integer(), required=True)
