from marshmallow import Schema, fields, validate

from services.core.actor import ROLES
from services.core.contracts import common
from services.core.contracts.common import PageQuery, id_list

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.\-]{2,64}$", error="2 to 64 letters, digits, '.', '_' or '-'.")


class Login(Schema):
    username = common.String(required=True, validate=validate.Length(min=1, max=64))
    password = common.String(required=True, validate=validate.Length(min=1, max=256))


class Token(Schema):
    access_token = common.String(required=True)
    token_type = common.String(required=True)
    expires_in = common.Integer(required=True)


class Department(Schema):
    id = common.Integer(dump_only=True)
    name = common.String(required=True, validate=validate.Length(min=1, max=200))
    manager_ids = id_list(load_default=list)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class DepartmentQuery(PageQuery):
    q = common.String(validate=validate.Length(max=200))


class User(Schema):
    id = common.Integer(dump_only=True)
    username = common.String(required=True, validate=USERNAME)
    password = common.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))
    current_password = common.String(
        load_only=True,
        validate=validate.Length(min=1, max=256),
        metadata={"description": "Required with `password` when you change your own password"},
    )
    full_name = common.String(load_default="", validate=validate.Length(max=200))
    email = common.Email(load_default=None, allow_none=True)
    phone = common.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\+?[0-9 .\-()]{6,20}$", error="Not a phone number."),
    )
    department_id = common.Id(load_default=None, allow_none=True)
    roles = fields.List(
        common.String(validate=validate.OneOf(ROLES)), load_default=lambda: ["staff"], validate=validate.Length(min=1)
    )
    active = fields.Boolean(load_default=True)
    created_at = common.DateTime(dump_only=True)
    updated_at = common.DateTime(dump_only=True)


class UserQuery(PageQuery):
    q = common.String(validate=validate.Length(max=200))
    department_id = common.Id()
    active = fields.Boolean()
    role = common.String(validate=validate.OneOf(ROLES))


class Me(User):
    managed_department_ids = id_list(dump_only=True)
