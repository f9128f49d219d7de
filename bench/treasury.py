"""Treasury: confirmations per second, and the voucher filter with totals over 1,000,000 vouchers.

    .venv/bin/python bench/treasury.py        (or `make bench`, which runs every bench/*.py)

Starts the whole system (bench/common.py: free port, own databases and vhost), opens
BENCH_TREASURY_ACCOUNTS (10) accounts through the gateway (5 cash books, 5 bank accounts,
large opening balances), then, in the same run:

1. **confirmations/s through the gateway**: ``POST /api/v1/vouchers/{id}/confirm`` from
   BENCH_TREASURY_CLIENTS (16) keep-alive clients (threads of this script), each confirming
   drafts of random transfers among the 10 accounts (the drafts are written beforehand
   with SQL, not measured);
2. next to it, the **hand-written SQL confirmation** on the same database, from as many
   connections: lock the voucher, lock its two accounts (by id), check the balance, insert
   the two entries, update the two balances and the status, commit;
3. and the **floor**: the same clients against a bare nameko ``@http`` → ``@rpc`` echo
   (``bench/_floor.py``: no auth, no database), ``POST /echo``.
   Goal: gateway ≥ 0.5 × the lower of (2) and (3).
4. **the filter with totals over 1,000,000 vouchers**: the vouchers are written with one
   ``INSERT … SELECT generate_series`` (two years of dates, every kind, the 10 accounts), then
   the service's day summary rebuilt from them (``voucher_days.rebuild``, the statement of its
   migration), ``VACUUM ANALYZE``; ``GET /api/v1/vouchers?…`` for a few filters, one client, serially:
   p50/p99 (goal p99 < 100 ms), and the plan PostgreSQL runs for each (EXPLAIN ANALYZE).

Environment: BENCH_DURATION (10 s per phase), BENCH_WARMUP (2 s), BENCH_TREASURY_CLIENTS,
BENCH_TREASURY_VOUCHERS (1,000,000), BENCH_TREASURY_FILTER_REQUESTS (200 per filter),
plus AMQP_URI / DATABASE_URL / RABBIT_API_URI.
"""

import datetime
import os
import platform
import queue
import sys
import threading
import time
from urllib.parse import urlencode

import _floor
import common
import requests
from sqlalchemy import create_engine, text

from services.core.business_time import DEFAULT_ZONE
from services.treasury import voucher_days

DURATION = common.env_float("BENCH_DURATION", 10)
WARMUP = common.env_float("BENCH_WARMUP", 2)
CLIENTS = common.env_int("BENCH_TREASURY_CLIENTS", 16)
VOUCHERS = common.env_int("BENCH_TREASURY_VOUCHERS", 1_000_000)
FILTER_REQUESTS = common.env_int("BENCH_TREASURY_FILTER_REQUESTS", 200)
DRAFTS = common.env_int("BENCH_TREASURY_DRAFTS", 50_000)  # per confirmation phase, more than it can use
ZONE = os.environ.get("BUSINESS_TIME_ZONE") or DEFAULT_ZONE  # the system's, as it starts from this environment


def database_url(system):
    return "{}/{}_treasury".format(system.env["DATABASE_URL"].rstrip("/"), system.env["DATABASE_PREFIX"])


class Api:
    def __init__(self, system):
        self.base_url, self.session = system.base_url, requests.Session()
        self.session.headers.update(system.headers())

    def post(self, path, body, status=201):
        response = self.session.post(self.base_url + path, json=body, timeout=60)
        if response.status_code != status:
            raise RuntimeError("POST {}: {} {}".format(path, response.status_code, response.text))
        return response.json()


def open_accounts(system):
    api = Api(system)
    cash = [
        api.post("/api/v1/accounts", {"type": "cash", "name": "Quỹ {}".format(n), "opening_balance": 10**12})
        for n in range(5)
    ]
    banks = [
        api.post(
            "/api/v1/accounts",
            {
                "type": "bank",
                "name": "TK {}".format(n),
                "bank_name": "Vietcombank",
                "account_number": "0071{:06d}".format(n),
                "opening_balance": 10**12,
            },
        )
        for n in range(5)
    ]
    return [a["id"] for a in cash], [a["id"] for a in banks]


def write_drafts(engine, cash, banks, year):
    """DRAFTS draft transfers among the accounts (cash → bank, bank → cash, bank → bank), by SQL."""
    with engine.begin() as connection:
        first = connection.scalar(text("SELECT coalesce(max(id), 0) FROM vouchers"))
        connection.execute(
            text(
                """
                INSERT INTO vouchers (number, kind, year, sequence, status, amount, from_account_id,
                                      to_account_id, person_in_charge_id, date, note, created_by_id)
                SELECT prefix || '-' || :year || '-' || lpad(g::text, 6, '0'), kind, :year, g, 'draft',
                       1 + g % 1000, from_id, to_id, 1, now(), '', 1
                FROM (
                    SELECT g,
                           (ARRAY['cash_to_bank', 'bank_to_cash', 'internal_transfer'])[1 + g % 3] AS kind,
                           (ARRAY['NT', 'RT', 'CK'])[1 + g % 3] AS prefix,
                           CASE g % 3 WHEN 0 THEN (:cash)[1 + g % 5] ELSE (:banks)[1 + g % 5] END AS from_id,
                           CASE g % 3 WHEN 1 THEN (:cash)[1 + (g / 5) % 5]
                                      WHEN 0 THEN (:banks)[1 + (g / 5) % 5]
                                      ELSE (:banks)[1 + (g % 5 + 1 + (g / 5) % 4) % 5] END AS to_id
                    FROM generate_series(1, :n) AS g
                ) AS drafts
                """
            ),
            {"year": year, "n": DRAFTS, "cash": cash, "banks": banks},
        )
        ids = connection.scalars(text("SELECT id FROM vouchers WHERE id > :first ORDER BY id"), {"first": first}).all()
        voucher_days.rebuild(connection)  # the service's day summary counts them, as if drafted through it
    return ids


def run_clients(work, ids, duration, warmup):
    """``work(state, voucher_id)`` from CLIENTS threads over ``ids`` for warmup + duration seconds."""
    todo = queue.SimpleQueue()
    for voucher_id in ids:
        todo.put(voucher_id)
    latencies, errors, lock = [], [0], threading.Lock()
    start = time.time()
    measure_from, end = start + warmup, start + warmup + duration

    def client():
        state = {}
        while time.time() < end:
            try:
                voucher_id = todo.get_nowait()
            except queue.Empty:
                return
            began = time.perf_counter()
            try:
                good = work(state, voucher_id)
            except Exception:
                good = False
            took = time.perf_counter() - began
            if time.time() >= measure_from:
                with lock:
                    if good:
                        latencies.append(took)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if todo.empty():
        common.say("warning: the drafts ran out before the end of the phase")
    return common.summarize(latencies, min(duration, max(time.time() - measure_from, 1e-9)), errors[0])


def confirm_over_http(system):
    headers = system.headers()

    def work(state, voucher_id):
        session = state.setdefault("session", requests.Session())
        url = "{}/api/v1/vouchers/{}/confirm".format(system.base_url, voucher_id)
        return session.post(url, headers=headers, timeout=60).status_code == 200

    return work


def confirm_in_sql(url):
    """The hand-written confirmation: what the service does, without the service."""
    import psycopg2

    dsn = url.replace("postgresql+psycopg2://", "postgresql://")

    def work(state, voucher_id):
        connection = state.get("connection")
        if connection is None:
            connection = state["connection"] = psycopg2.connect(dsn)
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT from_account_id, to_account_id, amount FROM vouchers "
                "WHERE id = %s AND status = 'draft' FOR NO KEY UPDATE",
                (voucher_id,),
            )
            source, target, amount = cursor.fetchone()
            cursor.execute(
                "SELECT id, balance FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR NO KEY UPDATE", (source, target)
            )
            balances = dict(cursor.fetchall())
            if balances[source] < amount:
                raise RuntimeError("insufficient funds")
            cursor.execute(
                "UPDATE accounts SET balance = balance + CASE id WHEN %s THEN %s ELSE %s END "
                "WHERE id IN (%s, %s) RETURNING id, balance",
                (target, amount, -amount, source, target),
            )
            after = dict(cursor.fetchall())
            cursor.execute(
                "INSERT INTO entries (voucher_id, account_id, side, amount, balance_after, posted_at) "
                "VALUES (%s, %s, 'debit', %s, %s, now()), (%s, %s, 'credit', %s, %s, now())",
                (voucher_id, target, amount, after[target], voucher_id, source, amount, after[source]),
            )
            cursor.execute(
                "UPDATE vouchers SET status = 'confirmed', confirmed_at = now(), confirmed_by_id = 1 WHERE id = %s "
                "RETURNING (date AT TIME ZONE %s)::date, kind",
                (voucher_id, ZONE),
            )
            day, kind = cursor.fetchone()
            month = day.replace(day=1)
            cursor.execute(  # the day summary: -1 draft, +1 confirmed, day and month (services/treasury/voucher_days.py)
                "INSERT INTO voucher_days AS d (span, day, kind, status, counterpart_type, from_account_id, "
                "to_account_id, count, amount) VALUES ('day', %(day)s, %(k)s, 'confirmed', NULL, %(f)s, %(t)s, 1, %(a)s), "
                "('day', %(day)s, %(k)s, 'draft', NULL, %(f)s, %(t)s, -1, -%(a)s), "
                "('month', %(month)s, %(k)s, 'confirmed', NULL, %(f)s, %(t)s, 1, %(a)s), "
                "('month', %(month)s, %(k)s, 'draft', NULL, %(f)s, %(t)s, -1, -%(a)s) "
                "ON CONFLICT (span, day, kind, status, counterpart_type, from_account_id, to_account_id) "
                "DO UPDATE SET count = d.count + excluded.count, amount = d.amount + excluded.amount",
                {"day": day, "month": month, "k": kind, "f": source, "t": target, "a": amount},
            )
        return True

    return work


def echo_floor(floor):
    def work(state, voucher_id):
        session = state.setdefault("session", requests.Session())
        response = session.post(floor.url, json={"voucher_id": voucher_id}, timeout=60)
        return response.status_code == 200

    return work


def seed_vouchers(engine, cash, banks):
    """VOUCHERS confirmed vouchers over 2025-2026, every kind, by one INSERT … SELECT."""
    accounts = cash + banks
    with engine.begin() as connection:
        connection.execute(
            text(
                """
                INSERT INTO vouchers (number, kind, year, sequence, status, amount, from_account_id, to_account_id,
                                      person_in_charge_id, counterpart_type, counterpart_id, counterpart_name,
                                      category, date, note, created_by_id, confirmed_at)
                SELECT prefix || '-' || extract(year FROM date)::int || '-' || lpad(g::text, 7, '0'), kind,
                       extract(year FROM date)::int, 1000000 + g,
                       CASE WHEN g % 20 = 0 THEN 'draft' WHEN g % 20 = 1 THEN 'cancelled' ELSE 'confirmed' END,
                       1000 * (1 + g % 5000),
                       CASE kind WHEN 'receipt' THEN NULL WHEN 'cash_to_bank' THEN (:cash)[1 + g % 5]
                                 WHEN 'payment' THEN (:accounts)[1 + (g / 10) % 10] ELSE (:banks)[1 + g % 5] END,
                       CASE kind WHEN 'payment' THEN NULL WHEN 'bank_to_cash' THEN (:cash)[1 + (g / 10) % 5]
                                 WHEN 'receipt' THEN (:accounts)[1 + (g / 10) % 10]
                                 WHEN 'internal_transfer' THEN (:banks)[1 + (g % 5 + 1) % 5]
                                 ELSE (:banks)[1 + (g / 10) % 5] END,
                       CASE WHEN kind IN ('cash_to_bank', 'bank_to_cash', 'internal_transfer') THEN 1 END,
                       counterpart,
                       CASE WHEN counterpart IN ('customer', 'employee') THEN 1 + g % 5000 END,
                       CASE WHEN counterpart IS NOT NULL THEN 'Đối tác ' || g % 5000 END,
                       CASE WHEN counterpart IS NOT NULL THEN 'bán hàng' END,
                       date, '', 1, date
                FROM (
                    SELECT g, kind, prefix,
                           CASE WHEN kind IN ('receipt', 'payment')
                                THEN (ARRAY['customer', 'customer', 'supplier', 'employee', 'other'])[1 + (g / 7) % 5]
                           END AS counterpart,
                           timestamptz '2025-01-01 00:00+07' + (g::float8 / :n) * interval '730 days' AS date
                    FROM (
                        SELECT g,
                               (ARRAY['receipt', 'receipt', 'payment', 'payment', 'cash_to_bank', 'bank_to_cash',
                                      'internal_transfer'])[1 + g % 7] AS kind,
                               (ARRAY['PT', 'PT', 'PC', 'PC', 'NT', 'RT', 'CK'])[1 + g % 7] AS prefix
                        FROM generate_series(1, :n) AS g
                    ) AS numbered
                ) AS seeded
                """
            ),
            {"n": VOUCHERS, "cash": cash, "banks": banks, "accounts": accounts},
        )
        voucher_days.rebuild(connection)  # the day summary, by the statement of the migration that made it
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE vouchers, voucher_days"))


def explaining(url):
    """An engine whose every statement is sent as ``EXPLAIN (ANALYZE, BUFFERS) <statement>``."""
    from sqlalchemy import event

    engine = create_engine(url)

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def explain_it(connection, cursor, statement, parameters, context, executemany):
        return "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters

    return engine


def explain(engine, params):
    """The plans PostgreSQL runs for the filter's two statements (totals, page), as the service sends them."""
    from sqlalchemy import select

    from services.core.schemas import load
    from services.treasury import vouchers
    from services.treasury.models import Voucher

    query = load(vouchers.VoucherQuery(), {k: v for k, v in params.items()})
    conditions = vouchers._filter(query)
    totals = voucher_days.counting(query, *vouchers._counting_parts(query))
    page = select(Voucher).where(*conditions).order_by(Voucher.date.desc(), Voucher.id.desc()).limit(50)
    plans = []
    with engine.connect() as connection:
        for statement in (totals, page):
            plans.append("\n".join(row[0] for row in connection.execute(statement)))
    return plans


def filter_latency(system, params):
    session = requests.Session()
    session.headers.update(system.headers())
    url = system.base_url + "/api/v1/vouchers?" + urlencode(params, doseq=True)
    for _ in range(5):  # warm-up
        session.get(url, timeout=60)
    latencies, errors, body = [], 0, None
    began = time.time()
    for _ in range(FILTER_REQUESTS):
        start = time.perf_counter()
        response = session.get(url, timeout=60)
        took = time.perf_counter() - start
        if response.status_code == 200:
            latencies.append(took)
            body = response.json()
        else:
            errors += 1
    result = common.summarize(latencies, time.time() - began, errors)
    result["matched"] = body["total"] if body else None
    result["totals"] = body["totals"] if body else None
    return result


def _figures(result):
    return result["matched"] or 0, result["p50_ms"] or 0.0, result["p99_ms"] or 0.0


def main():
    common.say("starting the system")
    with common.running_system(LOG_LEVEL="WARNING") as system:
        engine = create_engine(database_url(system))
        cash, banks = open_accounts(system)
        pids = system.pids()
        rows = []

        common.say("confirmations through the gateway ({} clients)".format(CLIENTS))
        ids = write_drafts(engine, cash, banks, 2030)
        meter = common.CpuMeter({"gateway": pids["gateway"], "treasury": pids["treasury"]})
        gateway = run_clients(confirm_over_http(system), ids, DURATION, WARMUP)
        cpu_gateway = meter.stop()
        rows.append(("gateway POST /vouchers/{id}/confirm", gateway, cpu_gateway))
        common.say("  {:,} confirmed, {:.1f}/s".format(gateway["count"], gateway["rate"]))

        common.say("hand-written SQL confirmation ({} connections)".format(CLIENTS))
        ids = write_drafts(engine, cash, banks, 2031)
        meter = common.CpuMeter({"gateway": pids["gateway"], "treasury": pids["treasury"]})
        sql = run_clients(confirm_in_sql(database_url(system)), ids, DURATION, WARMUP)
        cpu_sql = meter.stop()
        rows.append(("SQL: lock 2 rows, 2 entries, status", sql, cpu_sql))
        common.say("  {:,} confirmed, {:.1f}/s".format(sql["count"], sql["rate"]))

        common.say("the floor: bare nameko HTTP -> RPC echo ({} clients)".format(CLIENTS))
        with _floor.running_floor(system.amqp_uri) as floor:
            meter = common.CpuMeter(floor.pids)
            echo = run_clients(echo_floor(floor), range(300_000), DURATION, WARMUP)
            cpu_echo = meter.stop()
        rows.append(("floor: nameko @http -> @rpc echo", echo, cpu_echo))
        common.say("  {:,} echoes, {:.1f}/s".format(echo["count"], echo["rate"]))

        with engine.connect() as connection:
            bad = connection.scalar(
                text(
                    "SELECT count(*) FROM accounts a WHERE a.type <> 'outside' AND a.balance <> a.opening_balance + "
                    "(SELECT coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0) "
                    "FROM entries e WHERE e.account_id = a.id)"
                )
            )
        if bad:
            raise SystemExit("the books do not balance after the confirmations: {} accounts".format(bad))

        common.say("writing {:,} vouchers".format(VOUCHERS))
        began = time.time()
        seed_vouchers(engine, cash, banks)
        seeded_in = time.time() - began
        account = banks[0]
        filters = [
            ("one month", {"from": "2026-03-01", "to": "2026-03-31"}),
            (
                "one month, receipts + payments with customers, confirmed",
                {
                    "from": "2026-03-01",
                    "to": "2026-03-31",
                    "kind": ["receipt", "payment"],
                    "counterpart_type": ["customer"],
                    "status": ["confirmed"],
                },
            ),
            ("one account, one quarter", {"account_id": account, "from": "2026-01-01", "to": "2026-03-31"}),
            (
                "one account, one month, payments",
                {"account_id": account, "from": "2026-03-01", "to": "2026-03-31", "kind": ["payment"]},
            ),
            ("one year, receipts", {"from": "2026-01-01", "to": "2026-12-31", "kind": ["receipt"]}),
            ("everything ({:,} vouchers)".format(VOUCHERS + 2 * DRAFTS), {}),
        ]
        latency_rows, plans = [], []
        explainer = explaining(database_url(system))
        meter = common.CpuMeter({"gateway": pids["gateway"], "treasury": pids["treasury"]})
        for name, params in filters:
            common.say("filter: " + name)
            latency_rows.append((name, filter_latency(system, params)))
            common.say("  {:,} matched, p50 {:.1f} ms, p99 {:.1f} ms".format(*_figures(latency_rows[-1][1])))
            plans.append((name, explain(explainer, params)))
            print(
                "-- plan: {} (totals)\n{}\n-- plan: {} (page)\n{}\n".format(
                    name, plans[-1][1][0], name, plans[-1][1][1]
                ),
                flush=True,
            )
        cpu_filter = meter.stop()
        engine.dispose()
        explainer.dispose()

    lower = min(sql["rate"], echo["rate"])
    print()
    print(
        "Treasury, {} UTC, {} cores ({}, Python {}); {} clients, {:.0f} s per phase after {:.0f} s warm-up".format(
            datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
            os.cpu_count(),
            platform.machine(),
            platform.python_version(),
            CLIENTS,
            DURATION,
            WARMUP,
        )
    )
    print()
    common.print_table(
        [
            "confirmations",
            "done",
            "per s",
            "p50 ms",
            "p99 ms",
            "errors",
            "gateway cpu %",
            "treasury cpu %",
            "machine %",
        ],
        [
            [
                name,
                common.fmt(result["count"]),
                common.fmt(result["rate"], "{:,.1f}"),
                common.fmt(result["p50_ms"], "{:.1f}"),
                common.fmt(result["p99_ms"], "{:.1f}"),
                result["errors"],
                common.fmt(cpu.get("gateway", cpu.get("echo_http")), "{:.0f}"),
                common.fmt(cpu.get("treasury", cpu.get("echo_rpc")), "{:.0f}"),
                common.fmt(cpu["machine"], "{:.0f}"),
            ]
            for name, result, cpu in rows
        ]
        + [
            [
                "gateway / lower of SQL and floor (goal >= 0.5x)",
                "",
                "{:.2f}x".format(gateway["rate"] / lower),
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        ],
    )
    print()
    print(
        "{:,} vouchers written in {:.0f} s (INSERT … SELECT generate_series, then VACUUM ANALYZE)".format(
            VOUCHERS, seeded_in
        )
    )
    print()
    common.print_table(
        ["filter with totals (1 client)", "matched", "in", "out", "p50 ms", "p99 ms", "errors"],
        [
            [
                name,
                common.fmt(result["matched"]),
                common.fmt(result["totals"]["in"] if result["totals"] else None),
                common.fmt(result["totals"]["out"] if result["totals"] else None),
                common.fmt(result["p50_ms"], "{:.1f}"),
                common.fmt(result["p99_ms"], "{:.1f}"),
                result["errors"],
            ]
            for name, result in latency_rows
        ],
    )
    print(
        "CPU during the filters: gateway {:.0f}%, treasury {:.0f}%, machine {:.0f}%".format(
            cpu_filter["gateway"], cpu_filter["treasury"], cpu_filter["machine"]
        )
    )
    print("(the plans are printed above, as each filter ran)")
    failed = any(result["errors"] or not result["count"] for _, result, _ in rows) or any(
        result["errors"] or not result["count"] for _, result in latency_rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
