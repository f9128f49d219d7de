"""The advertising rule: advertising SMS go out only in the day, prefixed ``[QC]``.

Vietnamese regulation (Decree 91/2020) allows advertising messages between
07:00 and 22:00 local time; the window is configurable (``ADVERTISING_HOURS``)
but the clock is always the one of ``ADVERTISING_TIMEZONE``.
"""

import datetime
from zoneinfo import ZoneInfo

PREFIX = "[QC]"
DEFAULT_HOURS = "07:00-22:00"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def parse_hours(value):
    """``"07:00-22:00"`` -> (time(7), time(22)); the window may not cross midnight."""
    try:
        start, end = (datetime.time.fromisoformat(part.strip()) for part in str(value).split("-"))
    except ValueError:
        raise ValueError("ADVERTISING_HOURS must look like 07:00-22:00 (got {!r})".format(value))
    if not start < end:
        raise ValueError("ADVERTISING_HOURS must start before it ends (got {!r})".format(value))
    return start, end


class AdvertisingWindow:
    def __init__(self, hours=DEFAULT_HOURS, timezone=DEFAULT_TIMEZONE):
        self.start, self.end = parse_hours(hours)
        self.zone = ZoneInfo(timezone)

    def is_open(self, now):
        local = now.astimezone(self.zone).time()
        return self.start <= local < self.end

    def next_opening(self, now):
        """``now`` (in local time) when open, else the next start of the window."""
        local = now.astimezone(self.zone)
        if self.is_open(now):
            return local
        day = local.date() if local.time() < self.start else local.date() + datetime.timedelta(days=1)
        return datetime.datetime.combine(day, self.start, tzinfo=self.zone)


def with_prefix(text):
    """The advertising text as sent: ``[QC] ...`` (never prefixed twice)."""
    return text if text.startswith(PREFIX) else "{} {}".format(PREFIX, text)
