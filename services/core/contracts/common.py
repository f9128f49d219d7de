"""What every contract shares: the project's own field types, the page query, the error body.

Every contract module uses ``common.String``, ``common.Integer``, ``common.Id``,
``common.DateTime``, ``common.Date`` and ``common.Email`` instead of marshmallow's own, so
that one boundary rule keeps out what the databases cannot store or would store as poison:

- ``String`` refuses NUL characters (PostgreSQL text cannot hold them) and lone UTF-16
  surrogates such as ``"\\ud800"`` (not encodable as UTF-8);
- ``Integer`` is a whole number within signed 64 bits (``BIGINT``) unless narrower bounds
  are given; ``1.5`` is refused, never rounded, and ``true`` is not ``1``;
- ``Id`` is a positive ``INTEGER`` primary key (at most 2,147,483,647), the type of every id
  column;
- ``DateTime`` is timezone-aware (naive values are taken as UTC), ``Date`` a calendar day; both
  lie in the years 1900 to 2999 with a UTC offset within ±14:00, the range a CRM's deadlines,
  due dates and filters need, so a stored value can always be read back, shifted and compared.
"""

import datetime

from marshmallow import Schema, ValidationError, fields, validate

from services.core import business_time
from services.core.schemas import MAX_PAGE_SIZE

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
MAX_PAGE = 2**31 - 1  # (page - 1) * page_size stays far inside a 64-bit OFFSET
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
MAX_UTC_OFFSET = datetime.timedelta(hours=14)


def _with_validator(kwargs, validator):
    given = kwargs.get("validate")
    given = [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
    kwargs["validate"] = [validator, *given]
    return kwargs


class String(fields.String):
    """Text without NUL characters or lone surrogates."""

    default_error_messages = {
        "nul": "Must not contain NUL characters.",
        "surrogate": "Not valid Unicode (a lone surrogate).",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("surrogate")
        return text


class Email(String):
    """An email address (as marshmallow's ``Email``), with ``String``'s rules."""

    def __init__(self, **kwargs):
        super().__init__(**_with_validator(kwargs, validate.Email(error="Not a valid email address.")))


class Integer(fields.Integer):
    """A whole number within ``min``..``max`` (always within signed 64 bits); never rounded.

    A JSON number must be whole (``2`` or ``2.0``, not ``1.5``); a query-string value is
    its decimal digits.  Bounds given here appear in the OpenAPI document.
    """

    default_error_messages = {
        "invalid": "Not a valid integer.",
        "int64": "Must be within the signed 64-bit range.",
    }

    def __init__(self, *, min=None, max=None, **kwargs):  # noqa: A002
        if min is not None or max is not None:
            kwargs = _with_validator(kwargs, validate.Range(min=min, max=max))
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        if isinstance(value, str) and len(value.strip()) > 40:  # int() of a huge string is slow
            raise self.make_error("int64")
        number = super()._validated(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise self.make_error("int64")
        return number


class Id(Integer):
    """The id of a row: 1 to 2,147,483,647."""

    def __init__(self, **kwargs):
        super().__init__(min=1, max=MAX_ID, **kwargs)


def check_moment(moment):
    """Raise ValidationError unless ``moment`` (a date or an aware date-time) is in the business range."""
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValidationError("Must be in the years {} to {}.".format(EARLIEST_YEAR, LATEST_YEAR))
    if isinstance(moment, datetime.datetime):
        offset = moment.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError("The UTC offset must be within -14:00 and +14:00.")
        if not EARLIEST_YEAR <= moment.astimezone(datetime.UTC).year <= LATEST_YEAR:
            raise ValidationError("Must be in the years {} to {}.".format(EARLIEST_YEAR, LATEST_YEAR))
    return moment


class DateTime(fields.AwareDateTime):
    """An ISO 8601 date-time with offset (naive: UTC), years 1900-2999, offset within ±14:00;
    answered in the business time zone with its offset (:mod:`services.core.business_time`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > 64:
            raise self.make_error("invalid", input=value[:64], obj_type=self.OBJ_TYPE)
        return check_moment(super()._deserialize(value, attr, data, **kwargs))

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = business_time.local(value)
        return super()._serialize(value, attr, obj, **kwargs)


class PeriodBound(fields.Field):
    """One end of a period filter: an ISO date-time (naive: UTC), or a date meaning that whole
    day in the business time zone — ``PeriodBound()`` its first instant (``from``),
    ``PeriodBound(end=True)`` the first instant after it (``to``, an excluded bound)."""

    default_error_messages = {"invalid": "Not a date or date-time (ISO 8601)."}

    def __init__(self, end=False, **kwargs):
        self.end = end
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("type", "string")
        kwargs["metadata"].setdefault(
            "description",
            "A date-time, or a date: {} (business time zone)".format(
                "up to the end of that day, excluded" if end else "from the start of that day"
            ),
        )
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 64:
            raise self.make_error("invalid")
        text = value.strip()
        try:
            if len(text) == 10:
                day = check_moment(datetime.date.fromisoformat(text))
                return business_time.day_end(day) if self.end else business_time.day_start(day)
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, OverflowError):
            raise self.make_error("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return check_moment(moment)

    def _serialize(self, value, attr, obj, **kwargs):
        return business_time.shown(value)


class Date(fields.Date):
    """An ISO 8601 calendar date, years 1900-2999."""

    def _deserialize(self, value, attr, data, **kwargs):
        return check_moment(super()._deserialize(value, attr, data, **kwargs))


# -- shared schemas -----------------------------------------------------------


class ErrorDetail(Schema):
    code = String(required=True)
    message = String(required=True)
    fields = fields.Dict(keys=String(), values=fields.List(String()))


class ErrorBody(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class PageQuery(Schema):
    page = Integer(load_default=1, min=1, max=MAX_PAGE)
    page_size = Integer(load_default=50, min=1, max=MAX_PAGE_SIZE)


def page_of(item_schema):
    """The list envelope ``{"items", "total", "page", "page_size"}`` of every list, for ``item_schema``."""
    return type(
        item_schema.__name__ + "Page",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": Integer(required=True),
            "page": Integer(required=True),
            "page_size": Integer(required=True),
        },
    )


def id_list(**kwargs):
    return fields.List(Id(), **kwargs)
