from marshmallow import Schema, fields, validate

from services.core.schemas import MAX_PAGE_SIZE


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def page_of(item_schema):
    """The list envelope ``{"items", "total", "page", "page_size"}`` of every list, for ``item_schema``."""
    return type(
        item_schema.__name__ + "Page",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
        },
    )


def id_list(**kwargs):
    return fields.List(fields.Integer(validate=validate.Range(min=1)), **kwargs)
