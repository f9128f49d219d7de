"""Time in the business time zone (``BUSINESS_TIME_ZONE``, default ``Asia/Ho_Chi_Minh``).

A voucher date is a moment; the accountant thinks in days of the business's calendar.  A
date-only bound of a period therefore covers that whole day there: ``from=2026-03-01`` starts
at 2026-03-01 00:00 +07:00, ``to=2026-03-31`` ends before 2026-04-01 00:00 +07:00.  A
date-time bound is that instant (``to`` excluded); without an offset it is read in the
business time zone.  Timestamps are answered in the business time zone, with their offset.
"""

import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def business_zone(config):
    """The zone named by the service's ``BUSINESS_TIME_ZONE`` (a bad name fails at start, loudly)."""
    name = (config or {}).get("BUSINESS_TIME_ZONE") or DEFAULT_ZONE
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("BUSINESS_TIME_ZONE {!r} is not a known time zone".format(name))


def now():
    return datetime.datetime.now(datetime.UTC)


def _aware(moment, zone):
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def start_of(value, zone):
    """The first instant a ``from`` bound (date or date-time) lets in."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return _aware(value, zone)
    return datetime.datetime.combine(value, datetime.time(), zone)


def end_of(value, zone):
    """The first instant a ``to`` / ``at`` bound leaves out: the next day's start for a date."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return _aware(value, zone)
    return datetime.datetime.combine(value + datetime.timedelta(days=1), datetime.time(), zone)


def voucher_moment(value, zone, default=None):
    """A voucher's date as given: a date-time, or a date (its start in the business zone)."""
    if value is None:
        return default or now()
    return start_of(value, zone)


def year_of(moment, zone):
    return moment.astimezone(zone).year


def shown(moment, zone):
    """A timestamp as answered: ISO 8601 in the business time zone, with its offset."""
    return None if moment is None else moment.astimezone(zone).isoformat()
