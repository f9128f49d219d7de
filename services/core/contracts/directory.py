from marshmallow import Schema, fields, validate

from services.core.actor import ROLES
from services.core.contracts.common import PageQuery, id_list

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.\-]{3,64}$", error="3 to 64 letters, digits, '.', '_' or '-'.")


class Login(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class Token(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class Department(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    manager_ids = id_list(load_default=list)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class DepartmentQuery(PageQuery):
    q = fields.String(validate=validate.Length(max=200))


class User(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))
    full_name = fields.String(load_default="", validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\+?[0-9 .\-()]{6,20}$", error="Not a phone number."),
    )
    department_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)), load_default=lambda: ["staff"], validate=validate.Length(min=1)
    )
    active = fields.Boolean(load_default=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class UserQuery(PageQuery):
    q = fields.String(validate=validate.Length(max=200))
    department_id = fields.Integer(validate=validate.Range(min=1))
    active = fields.Boolean()
    role = fields.String(validate=validate.OneOf(ROLES))


class Me(User):
    managed_department_ids = id_list(dump_only=True)
