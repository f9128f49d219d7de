"""The vouchers' summary: how many vouchers, and how much, per business day (and month) and key.

The filter of vouchers answers its count and totals over every match (a year: 140,000
vouchers, everything: a million); summing them voucher by voucher took ~150 ms.  ``voucher_days``
keeps, per business day (``BUSINESS_TIME_ZONE``) and key (kind, status, counterpart type, from
and to account: every column the filter takes but ``counterpart_id``), the count and the amount
of those vouchers, and the same per month (``span``): a thousand vouchers a day made ~200 rows
a day, 145,000 over two years, still 30-60 ms to sum; months make those 5,000.  It is changed
in the same transaction as every voucher (:func:`change`: a draft created, edited, cancelled,
confirmed; a reversal).  A change that moves a voucher from one key to another is -1 on the old
key and +1 on the new one, for its day and its month, in one upsert (``INSERT … ON CONFLICT DO
UPDATE``) whose rows are in key order, last in its transaction: the vouchers module's lock order.

:func:`counted` answers the count and totals of a filter from the summary for the whole business
months and days inside ``[from, to)`` and from the vouchers themselves for the parts of days at
its edges (bounds that are not local midnights), in one statement: exactly the sums over the
vouchers.  A filter by ``counterpart_id``, or a summary kept in another zone than the
configured one (the zone was changed: :func:`rebuild` it, ``python -m
services.treasury.voucher_days``), is summed from the vouchers alone.

:func:`rebuild` is one statement over the vouchers (``GROUP BY``): the migration that created the
table and the benchmark, which writes its vouchers in SQL, use it.
"""

import datetime
import logging
import os

from sqlalchemy import ARRAY, bindparam, func, select, text, union_all
from sqlalchemy.dialects.postgresql import insert

from services.core import business_time
from services.treasury.models import VOUCHER_DAY_KEY, Voucher, VoucherDay, VoucherDaysZone

log = logging.getLogger(__name__)

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.yml")
DAY, MONTH = "day", "month"  # a row's span: one business day, or a month (``day`` its first day)
KEY = VOUCHER_DAY_KEY
COLUMNS = (*KEY, "count", "amount")

REBUILD = """
    WITH days AS (
        SELECT (date AT TIME ZONE :zone)::date AS day, kind, status, counterpart_type, from_account_id,
               to_account_id, count(*) AS count, sum(amount) AS amount
        FROM vouchers
        GROUP BY 1, 2, 3, 4, 5, 6
    )
    INSERT INTO voucher_days (span, day, kind, status, counterpart_type, from_account_id, to_account_id, count, amount)
    SELECT 'day', * FROM days
    UNION ALL
    SELECT 'month', date_trunc('month', day)::date, kind, status, counterpart_type, from_account_id, to_account_id,
           sum(count), sum(amount)
    FROM days
    GROUP BY 2, 3, 4, 5, 6, 7
"""


def entry(voucher, **changed):
    """``(key, amount)`` of a voucher in the summary, its day's key (``changed`` overrides its
    fields: the status it had before a confirmation)."""
    values = {name: getattr(voucher, name) for name in ("date", *KEY[2:], "amount")}
    values.update(changed)
    day = business_time.local(values["date"]).date()
    return (day, *(values[name] for name in KEY[2:])), values["amount"]


def _order(key):
    return tuple((value is None, value) for value in key)  # NULLs last, like PostgreSQL


def rows(before, after):
    """The summary's rows (dicts of COLUMNS) a voucher moves, going from ``before`` to ``after``
    (each ``entry(...)``, or None: created), in key order."""
    deltas = {}
    for sign, side in ((-1, before), (1, after)):
        if side is not None:
            (day, *rest), amount = side
            for key in ((DAY, day, *rest), (MONTH, day.replace(day=1), *rest)):
                count, total = deltas.get(key, (0, 0))
                deltas[key] = (count + sign, total + sign * amount)
    return [
        dict(zip(KEY, key), count=deltas[key][0], amount=deltas[key][1])
        for key in sorted(deltas, key=_order)
        if deltas[key] != (0, 0)
    ]


def change(session, before, after):
    """A voucher went from ``before`` to ``after`` (each ``entry(...)`` or None: created)."""
    changed = rows(before, after)
    if changed:
        session.connection().execute(UPSERT, parameters(changed))


def parameters(changed):
    """The parameters of ``upsert``: one array per column."""
    return {"days_" + name: [row[name] for row in changed] for name in COLUMNS}


def upsert(condition=None):
    """``INSERT … ON CONFLICT DO UPDATE`` adding each row's count and amount to its key's.  The
    rows come as one array parameter per column (``parameters``; a Core statement compiled once),
    in key order: their locks are taken in that order.  With a ``condition``, only when it holds:
    for a CTE of a bigger statement whose condition takes the locks that come before these (the
    vouchers module's lock order)."""
    table = VoucherDay.__table__
    given = (
        func.unnest(*[bindparam("days_" + name, type_=ARRAY(table.c[name].type)) for name in COLUMNS])
        .table_valued(*COLUMNS)
        .render_derived(name="given")
    )
    chosen = select(*given.c)
    if condition is not None:
        chosen = chosen.where(condition)
    statement = insert(table).from_select(list(COLUMNS), chosen)
    return statement.on_conflict_do_update(
        index_elements=list(KEY),
        set_={"count": table.c.count + statement.excluded.count, "amount": table.c.amount + statement.excluded.amount},
    )


UPSERT = upsert()


def rebuild(connection, zone=None):
    """Count every voucher again into the summary, by days of ``zone`` (default: the zone it is
    kept in).  Writers of vouchers wait meanwhile (the table's lock)."""
    connection.execute(text("LOCK TABLE voucher_days IN EXCLUSIVE MODE"))
    zone = zone or connection.scalar(text("SELECT zone FROM voucher_days_zone"))
    connection.execute(text("DELETE FROM voucher_days"))
    connection.execute(text(REBUILD), {"zone": zone})
    connection.execute(text("DELETE FROM voucher_days_zone"))
    connection.execute(text("INSERT INTO voucher_days_zone (zone) VALUES (:zone)"), {"zone": zone})


def whole_days(start, end):
    """``(first, end_day)``: the business days ``first <= day < end_day`` wholly inside
    ``[start, end)`` (None: unbounded), or None when there is none."""
    first = end_day = None
    if start is not None:
        first = business_time.local(start).date()
        if business_time.day_start(first) != start:
            first += datetime.timedelta(days=1)
    if end is not None:
        end_day = business_time.local(end).date()
    if first is not None and end_day is not None and first >= end_day:
        return None
    return first, end_day


def spans(first, end_day):
    """``(span, from_day, to_day)`` ranges of summary rows that cover the days ``[first, end_day)``
    (None: unbounded): whole months where they fit, days around them."""
    month = None if first is None else first.replace(day=1)
    if month is not None and month != first:
        month = (month + datetime.timedelta(days=31)).replace(day=1)
    end_month = None if end_day is None else end_day.replace(day=1)
    if month is not None and end_month is not None and month >= end_month:
        return [(DAY, first, end_day)]
    ranges = [(MONTH, month, end_month)]
    if first is not None and first < month:
        ranges.append((DAY, first, month))
    if end_day is not None and end_month < end_day:
        ranges.append((DAY, end_month, end_day))
    return ranges


def _kept_in_this_zone(session):
    """Whether the summary's days are those of ``BUSINESS_TIME_ZONE``.  No zone recorded: the table
    was emptied with the vouchers (a TRUNCATE of every table, as the tests do), and every row since
    was written by :func:`change` in the configured zone."""
    kept = session.scalar(select(VoucherDaysZone.zone))
    if kept is None or kept == business_time.zone().key:
        return True
    log.warning(
        "voucher_days is kept in %s, not %s: totals summed from the vouchers "
        "(python -m services.treasury.voucher_days rebuilds it)",
        kept,
        business_time.zone().key,
    )
    return False


def counting(query, conditions, totals_conditions, summary=True):
    """The statement of the filter's ``(count, in, out)``.  ``conditions(columns)`` are the
    filter's conditions but the period, on ``Voucher`` or ``VoucherDay``; ``totals_conditions(columns)``
    its ``in`` / ``out``; ``summary=False``: summed from the vouchers alone."""

    def sums(columns, count, amount, *where):
        money_in, money_out = totals_conditions(columns)
        return select(
            count.label("count"),
            func.sum(amount).filter(money_in).label("money_in"),
            func.sum(amount).filter(money_out).label("money_out"),
        ).where(*conditions(columns), *where)

    def vouchers(start, end):
        period = [Voucher.date >= start] if start is not None else []
        period += [Voucher.date < end] if end is not None else []
        return sums(Voucher, func.count(), Voucher.amount, *period)

    start, end = query.get("start"), query.get("end")
    if not (summary and _summary_serves(query)):
        return vouchers(start, end)
    first, end_day = whole_days(start, end)
    parts = []
    for span, low, high in spans(first, end_day):
        period = [VoucherDay.span == span, VoucherDay.count != 0]
        period += [VoucherDay.day >= low] if low is not None else []
        period += [VoucherDay.day < high] if high is not None else []
        parts.append(sums(VoucherDay, func.sum(VoucherDay.count), VoucherDay.amount, *period))
    if first is not None and business_time.day_start(first) > start:
        parts.append(vouchers(start, business_time.day_start(first)))
    if end_day is not None and business_time.day_start(end_day) < end:
        parts.append(vouchers(business_time.day_start(end_day), end))
    every = union_all(*parts).subquery()
    return select(func.sum(every.c.count), func.sum(every.c.money_in), func.sum(every.c.money_out))


def counted(session, query, conditions, totals_conditions):
    """``(count, in, out)`` of the filter (see :func:`counting`), from the summary when it is kept
    in the configured zone."""
    summary = _summary_serves(query) and _kept_in_this_zone(session)
    statement = counting(query, conditions, totals_conditions, summary=summary)
    return _answer(session.execute(statement).one())


def _summary_serves(query):
    """Whether the filter's period holds whole business days and its key is the summary's (it keeps
    no ``counterpart_id``)."""
    return "counterpart_id" not in query and whole_days(query.get("start"), query.get("end")) is not None


def _answer(row):
    count, money_in, money_out = row
    return int(count or 0), int(money_in or 0), int(money_out or 0)


def configured_zone():
    """The ``BUSINESS_TIME_ZONE`` of the treasury's ``config.yml`` (its variable, else the default)."""
    from services.core.config import load_config

    return business_time.configure(load_config(CONFIG)).key


def main():
    """``python -m services.treasury.voucher_days``: rebuild the summary in the configured zone."""
    from sqlalchemy import create_engine

    from services.core.config import load_config
    from services.core.db import database_url

    zone = configured_zone()
    engine = create_engine(database_url(load_config(CONFIG)))
    with engine.begin() as connection:
        rebuild(connection, zone)
    engine.dispose()
    print("voucher_days rebuilt in {}".format(zone))


if __name__ == "__main__":
    main()
