"""Benchmark: bulk SMS and email, 10,000 recipients each, end to end.

    .venv/bin/python bench/notifications.py [--recipients 10000]

Runs the whole system (``common.running_system``, i.e. ``deploy/harness.py``:
every service and the gateway, one process each) on its own databases, RabbitMQ
vhost and port, with
the notifications service pointed at the local Twilio and SMTP servers of
``tests/fakes/providers.py`` (real twilio client, real smtplib), rate limits
off.  10,000 customers are inserted straight into the customers database (set
up, not measured); then ``POST /api/v1/customers/bulk/sms`` (and ``/email``)
for all of them, and the message log is watched until every message is sent,
and for SMS until every signed status callback (``delivered``) has come back
through the gateway.

Baseline, measured in the same run: the local servers' own maximum rate
(Messages API POSTs with 20 keep-alive client threads; SMTP with 20
connections), i.e. what the pipeline would reach if sending cost nothing.
Needs RabbitMQ (with the management API) and PostgreSQL at ``AMQP_URI`` /
``DATABASE_URL`` (defaults: localhost).
"""

import argparse
import os
import smtplib
import sys
import threading
import time
import uuid
from email.message import EmailMessage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import common  # noqa: E402  (bench/common.py: the system through deploy/harness.py)
import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.fakes.providers import FakeProviders  # noqa: E402


def twilio_max_rate(fake, total=3000, threads=20):
    """POST /Messages.json as fast as 20 keep-alive clients can (no status callbacks)."""
    fake.behave(callbacks=False)
    url = "{}/2010-04-01/Accounts/{}/Messages.json".format(fake.base_url, fake.account_sid)
    per_thread = total // threads

    def client():
        session = requests.Session()
        for i in range(per_thread):
            session.post(
                url,
                data={"To": "+84900000000", "From": "BENCH", "Body": "baseline {}".format(i)},
                auth=(fake.account_sid, fake.auth_token),
                timeout=30,
            ).raise_for_status()

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    fake.reset()
    return per_thread * threads / elapsed


def smtp_max_rate(fake, total=2000, threads=20):
    per_thread = total // threads

    def client():
        with smtplib.SMTP("127.0.0.1", fake.smtp_port, timeout=30) as smtp:
            for i in range(per_thread):
                mail = EmailMessage()
                mail["From"], mail["To"], mail["Subject"] = "bench@crm.local", "x@example.com", "Baseline {}".format(i)
                mail.set_content("Kính gửi quý khách, đây là thư thử nghiệm.")
                smtp.send_message(mail)

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    fake.reset()
    return per_thread * threads / elapsed


def insert_customers(engine, owner_id, count, tag):
    with engine.begin() as connection:
        connection.execute(
            text("""
            INSERT INTO customers (code, name, kind, phone, email, owner_id, score, created_at, updated_at)
            SELECT :tag || lpad(n::text, 6, '0'), 'Khách hàng ' || n, 'person',
                   '09' || lpad(n::text, 8, '0'), 'khach' || n || '@example.com', :owner, 0, now(), now()
            FROM generate_series(1, :count) AS n
        """),
            {"tag": tag, "owner": owner_id, "count": count},
        )
        connection.execute(
            text("""
            INSERT INTO customer_search (customer_id, name, code, phone, email)
            SELECT id, name, code, phone, email FROM customers WHERE code LIKE :tag || '%'
        """),
            {"tag": tag},
        )  # what create_customer writes beside each customer (the list's search)
        return connection.scalars(
            text("SELECT id FROM customers WHERE code LIKE :tag || '%' ORDER BY id"), {"tag": tag}
        ).all()


def watch(engine, batch_id, count, done_statuses, started):
    """Seconds (since ``started``) until every message of the batch reached one of ``done_statuses``."""
    query = text(
        "SELECT count(*) FILTER (WHERE status = ANY(:done)), count(*) FILTER (WHERE status = 'failed') "
        "FROM messages WHERE batch_id = :batch"
    )
    deadline = time.time() + 1800
    while time.time() < deadline:
        with engine.connect() as connection:
            done, failed = connection.execute(query, {"done": list(done_statuses), "batch": batch_id}).one()
        if done >= count:
            return time.perf_counter() - started, failed
        time.sleep(0.2)
    raise SystemExit("batch {} did not finish in 30 minutes".format(batch_id))


def main(argv=None):
    parser = argparse.ArgumentParser(description="bulk SMS/email benchmark")
    parser.add_argument("--recipients", type=int, default=10_000)
    args = parser.parse_args(argv)

    fake = FakeProviders(ROOT, callback_threads=16)  # Twilio calls back with many connections at once
    try:
        print("measuring the local servers' own rate...", flush=True)
        twilio_rate = twilio_max_rate(fake)
        smtp_rate = smtp_max_rate(fake)
        print("starting the system...", flush=True)
        system_env = dict(
            LOG_LEVEL="WARNING", SMS_RATE_PER_SECOND="0", EMAIL_RATE_PER_SECOND="0", RPC_TIMEOUT="60", **fake.env()
        )
        with common.running_system(start_timeout=180, **system_env) as system:
            measure(system, args.recipients, twilio_rate, smtp_rate)
    finally:
        fake.stop()


def measure(system, n, twilio_rate, smtp_rate):
    """Bulk SMS then bulk email to ``n`` customers inserted straight into the database; prints the table."""
    base = system.base_url
    session = requests.Session()
    session.headers.update(system.headers())
    admin_id = session.get(base + "/api/v1/me", timeout=30).json()["id"]
    session.post(base + "/api/v1/brandnames", json={"name": "BENCH", "kind": "care"}, timeout=30).raise_for_status()
    customers_db = create_engine(system.database_url("customers"))
    notifications_db = create_engine(system.database_url("notifications"))
    ids = insert_customers(customers_db, admin_id, n, "BN" + uuid.uuid4().hex[:4].upper())
    print("{} customers inserted; sending...".format(len(ids)), flush=True)

    rows = []
    started = time.perf_counter()
    response = session.post(
        base + "/api/v1/customers/bulk/sms",
        json={
            "customer_ids": ids,
            "brandname": "BENCH",
            "content": "Chào {name}, mã {code}: ưu đãi dành riêng cho bạn.",
        },
        timeout=120,
    )
    response.raise_for_status()
    accepted = time.perf_counter() - started
    batch = response.json()
    sent, _ = watch(notifications_db, batch["batch_id"], batch["recipients"], ("sent", "delivered", "failed"), started)
    last, failed = watch(notifications_db, batch["batch_id"], batch["recipients"], ("delivered", "failed"), started)
    rows.append(("SMS (Twilio API)", batch["recipients"], accepted, sent, last, failed, twilio_rate))

    started = time.perf_counter()
    response = session.post(
        base + "/api/v1/customers/bulk/email",
        json={
            "customer_ids": ids,
            "subject": "Thư cảm ơn {name}",
            "body": "Kính gửi {name} ({code}),\nCảm ơn quý khách.",
            "html": "<p>Kính gửi <b>{name}</b></p>",
        },
        timeout=120,
    )
    response.raise_for_status()
    accepted = time.perf_counter() - started
    batch = response.json()
    sent, failed = watch(notifications_db, batch["batch_id"], batch["recipients"], ("sent", "failed"), started)
    rows.append(("email (SMTP)", batch["recipients"], accepted, sent, sent, failed, smtp_rate))
    customers_db.dispose()
    notifications_db.dispose()

    print()
    print("Bulk sending, {} recipients, one instance per service, rate limits off".format(n))
    header = "{:<18} {:>10} {:>10} {:>12} {:>12} {:>14} {:>8} {:>22}".format(
        "channel",
        "recipients",
        "202 in s",
        "all sent s",
        "msgs/s e2e",
        "last status s",
        "failed",
        "local server max msg/s",
    )
    print(header)
    print("-" * len(header))
    for channel, count, accepted, sent, last, failed, baseline in rows:
        print(
            "{:<18} {:>10} {:>10.2f} {:>12.2f} {:>12.0f} {:>14.2f} {:>8} {:>22.0f}".format(
                channel, count, accepted, sent, count / sent, last, failed, baseline
            )
        )
    print()
    print(
        "msgs/s e2e = recipients / time from the HTTP request to the last message sent; last status = "
        "time until every SMS is delivered (signed Twilio callbacks through the gateway); baseline = the "
        "local server alone, measured in this run."
    )


if __name__ == "__main__":
    main()
