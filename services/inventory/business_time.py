"""The business time zone (``BUSINESS_TIME_ZONE``, default Asia/Ho_Chi_Minh): timestamps are answered
in it with their offset, and a date-only bound of a period covers that whole day there (SPEC §6)."""

import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import fields
from nameko.extensions import DependencyProvider

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def zone_named(name):
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("BUSINESS_TIME_ZONE is not a known time zone: {!r}".format(name)) from error


class BusinessTimeZone(DependencyProvider):
    """Gives a worker the service's business time zone (a ``ZoneInfo``), read once from its config."""

    def setup(self):
        self.zone = zone_named(self.container.config.get("BUSINESS_TIME_ZONE"))

    def get_dependency(self, worker_ctx):
        return self.zone


def local(moment, zone):
    """An aware datetime as ISO 8601 in the business time zone (None stays None)."""
    return None if moment is None else moment.astimezone(zone).isoformat()


def dump(schema, obj, zone):
    """``schema.dump(obj)`` with every date-time field given in the business time zone."""
    data = schema.dump(obj)
    for name, field in schema.dump_fields.items():
        if isinstance(field, fields.DateTime) and name in data:
            data[name] = local(getattr(obj, field.attribute or name), zone)
    return data


def period_start(bound, zone):
    """The first moment a ``from`` bound includes: a date's midnight there, or the date-time itself."""
    if bound is None or isinstance(bound, datetime.datetime):
        return bound
    return datetime.datetime.combine(bound, datetime.time.min, zone)


def period_end(bound, zone):
    """The first moment after a ``to`` bound: the next midnight for a date, just after a date-time."""
    if bound is None:
        return None
    if isinstance(bound, datetime.datetime):
        return bound + datetime.timedelta(microseconds=1)
    return datetime.datetime.combine(bound + datetime.timedelta(days=1), datetime.time.min, zone)
