"""Inventory: posting stock moves through the gateway, and one page of a big warehouse's stock.

    .venv/bin/python bench/inventory.py        (or `make bench`, which runs every bench/*.py)

Starts the whole system (bench/common.py: free port, own databases and vhost), seeds with SQL
(not measured) BENCH_INVENTORY_PRODUCTS (10,000) products and 2 × BENCH_INVENTORY_MOVES (10,000)
draft receipts of BENCH_INVENTORY_LINES (10) lines each, then, in the same run:

1. **gateway**: ``POST /api/v1/stock-moves/{id}/post`` for the first set of drafts from
   BENCH_INVENTORY_CLIENTS (8) concurrent clients (threads with a keep-alive ``requests.Session``
   each, admin token): every posting locks its rows, writes on-hand, ledger and ten
   ``stock_changed`` events;
2. **hand-written SQL**: the second set posted by the same number of threads, each with its own
   psycopg2 connection to the same database, one transaction per move doing the least a receipt
   needs (claim the draft, upsert on-hand in (warehouse, product) order, ledger rows, outbox rows);
3. **floor**: the bare nameko ``@http`` → ``@rpc`` echo (bench/_floor.py), ``POST /echo`` from the
   same client for BENCH_DURATION seconds: one hop with nothing behind it;
4. **stock page**: BENCH_INVENTORY_STOCK_PRODUCTS (100,000) products with on-hand in one warehouse
   (SQL, then ANALYZE), ``GET /api/v1/warehouses/{id}/stock?page=1&page_size=50`` through the
   gateway for BENCH_DURATION seconds, from 1 connection (the latency of one page) and from 8.

Goals: gateway moves/s ≥ 0.5 × the lower of SQL moves/s and floor req/s; p99 of one page
< 100 ms.  Exit 1 when something failed (an error, a move not posted, on-hand not as expected).
"""

import datetime
import os
import platform
import sys
import threading
import time

import _floor
import common
import requests
from sqlalchemy import create_engine, text

MOVES = common.env_int("BENCH_INVENTORY_MOVES", 10000)
LINES = common.env_int("BENCH_INVENTORY_LINES", 10)
PRODUCTS = common.env_int("BENCH_INVENTORY_PRODUCTS", 10000)
CLIENTS = common.env_int("BENCH_INVENTORY_CLIENTS", 8)
STOCK_PRODUCTS = common.env_int("BENCH_INVENTORY_STOCK_PRODUCTS", 100000)
DURATION = common.env_float("BENCH_DURATION", 10)
WARMUP = common.env_float("BENCH_WARMUP", 2)


def seed_moves(engine, warehouse_id, first_product, moves):
    """``moves`` draft receipts into ``warehouse_id``, each of LINES distinct products; their ids."""
    with engine.begin() as connection:
        ids = connection.scalars(
            text(
                "INSERT INTO stock_moves (kind, status, warehouse_id, created_by) "
                "SELECT 'receipt', 'draft', :w, 1 FROM generate_series(1, :n) RETURNING id"
            ),
            {"w": warehouse_id, "n": moves},
        ).all()
        connection.execute(
            text(
                "INSERT INTO stock_move_lines (move_id, product_id, position, quantity) "
                "SELECT m.id, :first + ((m.id * 7919 + j * 1009) % :products), j, 1 + (m.id + j) % 5 "
                "FROM unnest(CAST(:ids AS integer[])) AS m(id), generate_series(0, :lines - 1) AS j"
            ),
            {"ids": list(ids), "first": first_product, "products": PRODUCTS, "lines": LINES},
        )
    return list(ids)


def seed(engine):
    with engine.begin() as connection:
        warehouses = connection.scalars(
            text(
                "INSERT INTO warehouses (code, name) VALUES ('BENCH-HTTP', 'via gateway'), "
                "('BENCH-SQL', 'via SQL'), ('BENCH-BIG', '100k products') RETURNING id"
            )
        ).all()
        connection.execute(
            text(
                "INSERT INTO products (sku, name, unit) SELECT 'B' || lpad(i::text, 7, '0'), 'Bench product ' || i, "
                "'pcs' FROM generate_series(1, :n) AS i"
            ),
            {"n": PRODUCTS},
        )
    first = _first_product(engine, "B")
    http_moves = seed_moves(engine, warehouses[0], first, MOVES)
    sql_moves = seed_moves(engine, warehouses[1], first, MOVES)
    return warehouses, http_moves, sql_moves


def _first_product(engine, prefix):
    with engine.connect() as connection:
        return connection.scalar(text("SELECT min(id) FROM products WHERE sku LIKE :p"), {"p": prefix + "%"})


def seed_big_warehouse(engine, warehouse_id):
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO products (sku, name, unit) SELECT 'S' || lpad(i::text, 7, '0'), 'Stock product ' || i, "
                "'pcs' FROM generate_series(1, :n) AS i"
            ),
            {"n": STOCK_PRODUCTS},
        )
        connection.execute(
            text(
                "INSERT INTO stock (warehouse_id, product_id, quantity) "
                "SELECT :w, id, 1 + id % 97 FROM products WHERE sku LIKE 'S%'"
            ),
            {"w": warehouse_id},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def run_clients(work, call):
    """Split ``work`` over CLIENTS threads; ``call(state, item)`` -> ok; returns summarize(...)."""
    latencies, errors, lock = [], [0], threading.Lock()
    shares = [work[i::CLIENTS] for i in range(CLIENTS)]

    def client(items):
        state = {}
        own, failed = [], 0
        for item in items:
            started = time.perf_counter()
            good = call(state, item)
            own.append(time.perf_counter() - started)
            failed += 0 if good else 1
        with lock:
            latencies.extend(own)
            errors[0] += failed
        if "close" in state:
            state["close"]()

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return common.summarize(latencies, time.perf_counter() - started, errors[0])


def post_through_gateway(system):
    def call(state, move_id):
        session = state.get("session")
        if session is None:
            session = state["session"] = requests.Session()
            session.headers.update(system.headers())
            state["close"] = session.close
        response = session.post("{}/api/v1/stock-moves/{}/post".format(system.base_url, move_id), timeout=60)
        if response.status_code != 200:
            common.say("post {} answered {}: {}".format(move_id, response.status_code, response.text[:300]))
            return False
        return True

    return call


CLAIM = (
    "UPDATE stock_moves SET status = 'posted', posted_at = now(), posted_by = 1, updated_at = now() "
    "WHERE id = %(id)s AND status = 'draft' RETURNING warehouse_id"
)
# a receipt: on-hand upserted in (warehouse, product) order, its ledger rows, one outbox row per line
RECEIVE = (
    "WITH upserted AS ("
    " INSERT INTO stock (warehouse_id, product_id, quantity)"
    " SELECT %(w)s, l.product_id, l.quantity FROM stock_move_lines l WHERE l.move_id = %(id)s"
    " ORDER BY l.product_id"
    " ON CONFLICT (warehouse_id, product_id) DO UPDATE SET quantity = stock.quantity + excluded.quantity"
    " RETURNING product_id, quantity),"
    " changes AS ("
    " SELECT gen_random_uuid() AS event_id, u.product_id, u.quantity, l.quantity AS change FROM upserted u"
    " JOIN stock_move_lines l ON l.move_id = %(id)s AND l.product_id = u.product_id),"
    " ledger AS ("
    " INSERT INTO stock_ledger (warehouse_id, product_id, move_id, change, quantity, posted_at)"
    " SELECT %(w)s, product_id, %(id)s, change, quantity, now() FROM changes)"
    " INSERT INTO outbox (event_id, event_type, payload)"
    " SELECT c.event_id, 'stock_changed', jsonb_build_object('id', c.event_id::text, 'type', 'stock_changed',"
    " 'occurred_at', now()::text, 'data', jsonb_build_object('warehouse_id', %(w)s, 'product_id', c.product_id,"
    " 'quantity', c.quantity, 'change', c.change, 'move_id', %(id)s))"
    " FROM changes c"
)


def post_with_sql(engine, warehouse_id):
    def call(state, move_id):
        connection = state.get("connection")
        if connection is None:
            connection = state["connection"] = engine.raw_connection()
            state["close"] = connection.close
        try:
            cursor = connection.cursor()
            cursor.execute(CLAIM, {"id": move_id})
            if cursor.fetchone() is None:
                connection.rollback()
                return False
            cursor.execute(RECEIVE, {"w": warehouse_id, "id": move_id})
            connection.commit()
            return True
        except Exception as exc:
            common.say("SQL post {} failed: {!r}".format(move_id, exc))
            connection.rollback()
            return False

    return call


def echo(floor_url):
    body = {"lines": [{"product_id": i, "quantity": 1} for i in range(LINES)]}

    def call(state, _):
        session = state.get("session")
        if session is None:
            session = state["session"] = requests.Session()
            state["close"] = session.close
        return session.post(floor_url, json=body, timeout=60).status_code == 200

    return call


def get_page(page_url, system):
    def call(state, _):
        session = state.get("session")
        if session is None:
            session = state["session"] = requests.Session()
            session.headers.update(system.headers())
            state["close"] = session.close
        response = session.get(page_url, timeout=60)
        if response.status_code != 200:
            common.say("stock page answered {}: {}".format(response.status_code, response.text[:300]))
            return False
        return True

    return call


PAGE_SQL = (
    "SELECT count(*) FROM stock WHERE warehouse_id = %(w)s AND quantity > 0",
    "SELECT s.product_id, p.sku, p.name, p.unit, s.quantity FROM stock s JOIN products p ON p.id = s.product_id "
    "WHERE s.warehouse_id = %(w)s AND s.quantity > 0 ORDER BY s.warehouse_id, s.product_id LIMIT 50",
)


def page_in_sql(engine, warehouse_id):
    """The stock page's two statements straight on the database, serially: what the stack adds is the rest."""
    connection = engine.raw_connection()
    latencies, deadline, started = [], time.time() + DURATION, time.perf_counter()
    try:
        while time.time() < deadline:
            began = time.perf_counter()
            cursor = connection.cursor()
            for statement in PAGE_SQL:
                cursor.execute(statement, {"w": warehouse_id})
                cursor.fetchall()
            connection.rollback()
            latencies.append(time.perf_counter() - began)
    finally:
        connection.close()
    return common.summarize(latencies, time.perf_counter() - started)


def check_posted(engine, warehouse_ids, moves):
    with engine.connect() as connection:
        posted = connection.scalar(
            text("SELECT count(*) FROM stock_moves WHERE warehouse_id = ANY(:w) AND status = 'posted'"),
            {"w": warehouse_ids},
        )
        mismatched = connection.scalar(
            text(
                "SELECT count(*) FROM stock s FULL JOIN (SELECT warehouse_id, product_id, sum(change) AS total "
                "FROM stock_ledger GROUP BY 1, 2) l USING (warehouse_id, product_id) "
                "WHERE s.warehouse_id = ANY(:w) AND s.quantity IS DISTINCT FROM l.total"
            ),
            {"w": warehouse_ids},
        )
    return posted == 2 * moves and mismatched == 0, posted, mismatched


def main():
    common.wait_quiet()
    with common.running_system(LOG_LEVEL="WARNING") as system:
        url = "{}/{}_inventory".format(system.env["DATABASE_URL"], system.env["DATABASE_PREFIX"])
        engine = create_engine(url, pool_size=CLIENTS + 2)
        common.say("seeding {} products and 2 × {} draft moves of {} lines".format(PRODUCTS, MOVES, LINES))
        warehouses, http_moves, sql_moves = seed(engine)
        pids = system.pids()
        services = {"gateway": pids["gateway"], "inventory": pids["inventory"], "directory": pids["directory"]}
        services.update(rabbitmq=lambda: common.pids_named("beam.smp"), postgres=lambda: common.pids_named("postgres"))

        common.say("seeding a warehouse with {} products".format(STOCK_PRODUCTS))
        seed_big_warehouse(engine, warehouses[2])
        page_url = "{}/api/v1/warehouses/{}/stock?page=1&page_size=50".format(system.base_url, warehouses[2])
        probe = requests.get(page_url, headers=system.headers(), timeout=60)
        page_ok = probe.status_code == 200 and probe.json()["total"] == STOCK_PRODUCTS
        if not page_ok:
            common.say("stock page answered {}: {}".format(probe.status_code, probe.text[:300]))
        common.http_load(page_url, system.headers(), connections=1, duration=WARMUP)
        meter = common.CpuMeter(services)
        page_serial = common.http_load(page_url, system.headers(), connections=1, duration=DURATION)
        page_cpu = meter.stop(page_serial.get("child_cpu", 0.0))
        calls = list(range(max(CLIENTS, int(page_serial["rate"] * DURATION))))
        page_busy = run_clients(calls, get_page(page_url, system))
        page_sql = page_in_sql(engine, warehouses[2])

        common.say("posting {} moves through the gateway from {} clients".format(MOVES, CLIENTS))
        meter = common.CpuMeter(services)
        gateway = run_clients(http_moves, post_through_gateway(system))
        gateway_cpu = meter.stop()

        common.say("posting {} moves with hand-written SQL from {} connections".format(MOVES, CLIENTS))
        meter = common.CpuMeter(services)
        sql = run_clients(sql_moves, post_with_sql(engine, warehouses[1]))
        sql_cpu = meter.stop()
        ok, posted, mismatched = check_posted(engine, warehouses[:2], MOVES)

        with _floor.running_floor(system.amqp_uri) as floor:
            warm = run_clients(list(range(CLIENTS * 20)), echo(floor.url))  # warm-up, and the rate to expect
            meter = common.CpuMeter(dict(services, **floor.pids))
            calls = list(range(max(CLIENTS, int(warm["rate"] * DURATION))))
            floor_result = run_clients(calls, echo(floor.url))
            floor_cpu = meter.stop()

        engine.dispose()

    lower = min(sql["rate"], floor_result["rate"])
    print(
        "Inventory, {} UTC, {} cores, Python {}: {} moves × {} lines per phase, {} clients".format(
            datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
            os.cpu_count(),
            platform.python_version(),
            MOVES,
            LINES,
            CLIENTS,
        )
    )
    print()
    rows = []
    for name, result in (
        ("post via gateway (moves/s)", gateway),
        ("post via hand-written SQL (moves/s)", sql),
        ("floor: HTTP → RPC echo (req/s)", floor_result),
        ("GET stock page of 100k, 1 connection", page_serial),
        ("GET stock page of 100k, {} clients".format(CLIENTS), page_busy),
        ("its SQL (count + page) alone, serial", page_sql),
    ):
        rows.append(
            [
                name,
                common.fmt(result["count"]),
                common.fmt(result["rate"]),
                common.fmt(result["p50_ms"], "{:.1f}"),
                common.fmt(result["p99_ms"], "{:.1f}"),
                common.fmt(result["errors"]),
            ]
        )
    rows.append(
        ["gateway ÷ lower of SQL and floor", "", "{:.2f}x (goal ≥ 0.5x)".format(gateway["rate"] / lower), "", "", ""]
    )
    common.print_table(["measurement", "count", "per s", "p50 ms", "p99 ms", "errors"], rows)
    print()
    names = ["gateway", "inventory", "directory", "rabbitmq", "postgres", "this script", "other processes", "machine"]
    common.print_table(
        ["phase (% of one core)"] + names,
        [
            [phase] + [common.fmt(cpu.get(name, 0.0)) for name in names]
            for phase, cpu in (
                ("post via gateway", gateway_cpu),
                ("post via SQL", sql_cpu),
                ("floor", floor_cpu),
                ("stock page, 1 conn.", page_cpu),
            )
        ],
    )
    print()
    print("posted {} of {} moves; on-hand ≠ ledger sum for {} rows".format(posted, 2 * MOVES, mismatched))
    good = (
        ok and page_ok and not (gateway["errors"] or sql["errors"] or floor_result["errors"] or page_serial["errors"])
    )
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
