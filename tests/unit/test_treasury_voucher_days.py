"""The day summary's pure parts: which whole days a period holds, and the months and days that
cover them (the filter's totals read those rows, and the vouchers for the rest)."""

import datetime

from services.core import business_time
from services.treasury.voucher_days import DAY, MONTH, spans, whole_days

D = datetime.date
HCM = datetime.timezone(datetime.timedelta(hours=7))


def at(*parts, zone=HCM):
    return datetime.datetime(*parts, tzinfo=zone)


def test_whole_days_are_those_from_the_first_local_midnight_to_the_last():
    business_time.configure({})
    assert whole_days(at(2026, 3, 1), at(2026, 4, 1)) == (D(2026, 3, 1), D(2026, 4, 1))
    assert whole_days(at(2026, 3, 1, 8, 15), at(2026, 3, 3, 12)) == (D(2026, 3, 2), D(2026, 3, 3))
    utc = datetime.UTC  # 17:00 UTC is the next local midnight
    assert whole_days(at(2026, 2, 28, 17, zone=utc), at(2026, 3, 2, 16, 59, zone=utc)) == (
        D(2026, 3, 1),
        D(2026, 3, 2),
    )
    assert whole_days(None, at(2026, 3, 2, 9)) == (None, D(2026, 3, 2))
    assert whole_days(at(2026, 3, 2, 9), None) == (D(2026, 3, 3), None)
    assert whole_days(None, None) == (None, None)
    assert whole_days(at(2026, 3, 1, 9), at(2026, 3, 1, 23)) is None  # inside one day
    assert whole_days(at(2026, 3, 1, 9), at(2026, 3, 2, 8)) is None  # across a midnight, no whole day


def test_spans_take_whole_months_and_the_days_around_them():
    assert spans(D(2026, 3, 1), D(2026, 4, 1)) == [(MONTH, D(2026, 3, 1), D(2026, 4, 1))]
    assert spans(D(2026, 3, 1), D(2026, 3, 31)) == [(DAY, D(2026, 3, 1), D(2026, 3, 31))]
    assert spans(D(2026, 2, 27), D(2026, 4, 3)) == [
        (MONTH, D(2026, 3, 1), D(2026, 4, 1)),
        (DAY, D(2026, 2, 27), D(2026, 3, 1)),
        (DAY, D(2026, 4, 1), D(2026, 4, 3)),
    ]
    assert spans(D(2026, 12, 15), D(2027, 2, 1)) == [
        (MONTH, D(2027, 1, 1), D(2027, 2, 1)),
        (DAY, D(2026, 12, 15), D(2027, 1, 1)),
    ]
    assert spans(None, D(2026, 3, 5)) == [(MONTH, None, D(2026, 3, 1)), (DAY, D(2026, 3, 1), D(2026, 3, 5))]
    assert spans(D(2026, 1, 31), None) == [(MONTH, D(2026, 2, 1), None), (DAY, D(2026, 1, 31), D(2026, 2, 1))]
    assert spans(None, None) == [(MONTH, None, None)]
