"""Contracts of the tickets service: ticket types, support groups, tickets, history, KPI."""

import datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.core.contracts import common
from services.core.contracts.common import PageQuery, id_list
from services.core.contracts.customers import CustomerSnapshot

STATUSES = ("unassigned", "assigned", "in_progress", "on_hold", "done", "cancelled")


class TicketType(Schema):
    id = common.Integer(dump_only=True)
    name = common.String(required=True, validate=validate.Length(min=1, max=200))
    group_id = common.Integer(dump_only=True, allow_none=True)
    created_at = common.DateTime(dump_only=True)


class TicketTypeQuery(PageQuery):
    q = common.String(validate=validate.Length(max=200))


class GroupMember(Schema):
    user_id = common.Id(required=True)
    priority = common.Integer(load_default=0, min=-1000, max=1000)
    capacity = common.Integer(load_default=1, min=1, max=1000)
    available = fields.Boolean(dump_only=True)
    open_tickets = common.Integer(dump_only=True)


class SupportGroup(Schema):
    id = common.Integer(dump_only=True)
    name = common.String(required=True, validate=validate.Length(min=1, max=200))
    ticket_type_ids = id_list(load_default=list)
    members = fields.List(fields.Nested(GroupMember), load_default=list)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)

    rules = "A user appears at most once in `members`."

    @validates_schema
    def members_once(self, data, **kwargs):
        user_ids = [member["user_id"] for member in data.get("members") or []]
        if len(user_ids) != len(set(user_ids)):
            raise ValidationError("A user can be a member only once.", "members")


class SupportGroupQuery(PageQuery):
    q = common.String(validate=validate.Length(max=200))
    user_id = common.Id()


class Availability(Schema):
    available = fields.Boolean(required=True)


class Ticket(Schema):
    id = common.Integer(dump_only=True)
    title = common.String(required=True, validate=validate.Length(min=1, max=300))
    content = common.String(load_default="", validate=validate.Length(max=20000))
    type_id = common.Id(required=True)
    deadline = common.DateTime(load_default=None, allow_none=True, default_timezone=datetime.UTC)
    customer_id = common.Id(load_default=None, allow_none=True)
    contact_id = common.Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "A contact of the ticket's customer (shown in the customer snapshot)"},
    )
    customer = fields.Nested(CustomerSnapshot, dump_only=True, allow_none=True)
    customer_hidden = fields.Boolean(
        dump_only=True,
        dump_default=False,
        metadata={"description": "The ticket has a customer you may not see (customer_id and customer are then null)"},
    )
    status = common.String(dump_only=True)
    assignee_id = common.Integer(dump_only=True, allow_none=True)
    group_id = common.Integer(dump_only=True)
    creator_id = common.Integer(dump_only=True)
    assigned_at = common.DateTime(dump_only=True, allow_none=True)
    started_at = common.DateTime(dump_only=True, allow_none=True)
    completed_at = common.DateTime(dump_only=True, allow_none=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class CustomerTicket(Ticket):
    """A ticket opened from a customer's page: the customer comes from the path."""

    class Meta:
        exclude = ("customer_id",)


class TicketQuery(PageQuery):
    status = common.String(validate=validate.OneOf(STATUSES))
    assignee_id = common.Id()
    group_id = common.Id()
    customer_id = common.Id()
    type_id = common.Id()


class Transfer(Schema):
    user_id = common.Id(required=True)
    reason = common.String(required=True, validate=validate.Length(min=1, max=2000))


class TicketHistoryEntry(Schema):
    id = common.Integer()
    ticket_id = common.Integer()
    at = common.DateTime()
    actor_id = common.Integer(allow_none=True)
    action = common.String()
    from_status = common.String(allow_none=True)
    to_status = common.String()
    from_assignee_id = common.Integer(allow_none=True)
    to_assignee_id = common.Integer(allow_none=True)
    reason = common.String(allow_none=True)
    changes = fields.Dict(allow_none=True)


class TicketHistory(Schema):
    items = fields.List(fields.Nested(TicketHistoryEntry), required=True)


class KpiQuery(Schema):
    start = common.PeriodBound(data_key="from", required=True)
    end = common.PeriodBound(end=True, data_key="to", required=True)
    user_id = id_list()

    @validates_schema
    def ordered(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError("Must be after 'from'.", "to")


class KpiRow(Schema):
    user_id = common.Integer(required=True)
    received = common.Integer(required=True)
    completed = common.Integer(required=True)
    completed_on_time = common.Integer(required=True)
    open = common.Integer(required=True)
    avg_hours_to_complete = fields.Float(allow_none=True, required=True)


class Kpi(Schema):
    start = common.String(data_key="from")
    end = common.String(data_key="to")
    items = fields.List(fields.Nested(KpiRow), required=True)
