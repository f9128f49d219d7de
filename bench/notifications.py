"""Benchmark: bulk SMS and email, 10,000 recipients each, end to end.

    .venv/bin/python bench/notifications.py [--recipients 10000]

Runs the whole system (``deploy/launcher.py run``: every service and the
gateway, one process each) on its own databases, RabbitMQ vhost and port, with
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
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from urllib.parse import quote, urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.fakes.providers import FakeProviders  # noqa: E402

SERVICES = ("directory", "customers", "tickets", "inventory", "treasury", "notifications", "gateway")
AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432").rstrip("/")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Vhost:
    def __init__(self):
        parts = urlparse(AMQP_URI)
        self.user, self.password = parts.username or "guest", parts.password or "guest"
        self.api = os.environ.get("RABBIT_API_URI") or "http://{}:15672".format(parts.hostname or "127.0.0.1")
        self.name = "bench_notifications_{}".format(os.getpid())
        self.auth = (self.user, self.password)
        requests.put(
            "{}/api/vhosts/{}".format(self.api, quote(self.name)), auth=self.auth, timeout=10
        ).raise_for_status()
        requests.put(
            "{}/api/permissions/{}/{}".format(self.api, quote(self.name), self.user),
            auth=self.auth,
            json={"configure": ".*", "write": ".*", "read": ".*"},
            timeout=10,
        ).raise_for_status()
        self.uri = "{}://{}/{}".format(parts.scheme, parts.netloc, self.name)

    def delete(self):
        requests.delete("{}/api/vhosts/{}".format(self.api, quote(self.name)), auth=self.auth, timeout=10)


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


def wait_healthy(base_url, process, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit("the system exited during start (see the log above)")
        try:
            if requests.get(base_url + "/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("the system did not become healthy")


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
    n = args.recipients

    fake = FakeProviders(ROOT, callback_threads=16)  # Twilio calls back with many connections at once
    vhost = Vhost()
    prefix = "benchnotif{}".format(os.getpid())
    port = free_port()
    password = secrets.token_urlsafe(12)
    workdir = tempfile.mkdtemp(prefix="bench-notifications-")
    env = dict(
        os.environ,
        AMQP_URI=vhost.uri,
        DATABASE_URL=DATABASE_URL,
        DATABASE_PREFIX=prefix,
        GATEWAY_PORT=str(port),
        CRM_ADMIN_USERNAME="admin",
        CRM_ADMIN_PASSWORD=password,
        JWT_SECRET=secrets.token_urlsafe(32),
        CRM_VAR_DIR=workdir,
        PYTHONWARNINGS="ignore",
        LOG_LEVEL="WARNING",
        PUBLIC_BASE_URL="http://127.0.0.1:{}".format(port),
        SMS_RATE_PER_SECOND="0",
        EMAIL_RATE_PER_SECOND="0",
        RPC_TIMEOUT="60",
        **fake.env(),
    )
    log = open(os.path.join(workdir, "system.log"), "w")
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "deploy", "launcher.py"), "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = "http://127.0.0.1:{}".format(port)
    try:
        print("measuring the local servers' own rate...", flush=True)
        twilio_rate = twilio_max_rate(fake)
        smtp_rate = smtp_max_rate(fake)
        print("starting the system (log: {})...".format(log.name), flush=True)
        wait_healthy(base, process)
        session = requests.Session()
        token = session.post(
            base + "/api/v1/auth/login", json={"username": "admin", "password": password}, timeout=30
        ).json()["access_token"]
        session.headers["Authorization"] = "Bearer " + token
        admin_id = session.get(base + "/api/v1/me", timeout=30).json()["id"]
        session.post(base + "/api/v1/brandnames", json={"name": "BENCH", "kind": "care"}, timeout=30).raise_for_status()
        customers_db = create_engine("{}/{}_customers".format(DATABASE_URL, prefix))
        notifications_db = create_engine("{}/{}_notifications".format(DATABASE_URL, prefix))
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
        sent, _ = watch(
            notifications_db, batch["batch_id"], batch["recipients"], ("sent", "delivered", "failed"), started
        )
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
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        fake.stop()
        engine = create_engine(DATABASE_URL + "/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for service in SERVICES:
                connection.execute(text('DROP DATABASE IF EXISTS "{}_{}" WITH (FORCE)'.format(prefix, service)))
        engine.dispose()
        vhost.delete()


if __name__ == "__main__":
    main()
