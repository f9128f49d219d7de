"""The business time zone: where timestamps are answered and what a date-only period bound means.

``BUSINESS_TIME_ZONE`` (config, default ``Asia/Ho_Chi_Minh``) is set once per process by
:func:`configure` (the unit of work's provider and the gateway call it at setup).  Timestamps are
stored in UTC; every timestamp a contract dumps is shown in this zone with its offset
(``2026-12-01T09:30:00+07:00``), and a date-only bound of a period filter covers that whole day
here: ``from=2026-12-31`` starts at its midnight, ``to=2026-12-31`` ends at the next one.
"""

import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

_zone = ZoneInfo(DEFAULT_ZONE)


def configure(config):
    """Take ``BUSINESS_TIME_ZONE`` from a service's config (an unknown zone fails the start)."""
    global _zone
    name = str(config.get("BUSINESS_TIME_ZONE") or DEFAULT_ZONE)
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("BUSINESS_TIME_ZONE {!r} is not a known time zone".format(name))
    return _zone


def zone():
    return _zone


def local(moment):
    """An aware date-time as seen in the business time zone."""
    return moment.astimezone(_zone)


def day_start(day):
    """The first instant of ``day`` (a date) in the business time zone."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=_zone)


def day_end(day):
    """The first instant after ``day``: a period ending on ``day`` includes all of it (excluded bound)."""
    return day_start(day + datetime.timedelta(days=1))


def shown(moment):
    """A timestamp as answered: ISO 8601 in the business time zone, with its offset (None stays None)."""
    return None if moment is None else local(moment).isoformat()


def now():
    """This instant (aware, UTC)."""
    return datetime.datetime.now(datetime.UTC)
