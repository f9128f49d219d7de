"""Fault test: the notifications process is killed (SIGKILL) in the middle of a batch and started
again; every message reaches the (local) Twilio server exactly once."""

import os
import signal
import subprocess
import sys
import uuid

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from tests.conftest import ROOT, wait_for
from tests.fakes.providers import FakeProviders

pytestmark = pytest.mark.infra

ADMIN = {"id": 1, "username": "admin", "roles": ["admin"]}


@pytest.fixture
def fake():
    providers = FakeProviders()
    yield providers
    providers.stop()


def test_killed_mid_batch_then_restarted_sends_each_message_once(infra, databases, make_vhost, fake, tmp_path):
    databases.ensure("notifications")
    amqp_uri = infra.amqp_uri_for(make_vhost())
    env = dict(
        os.environ,
        AMQP_URI=amqp_uri,
        DATABASE_URL=infra.database_url,
        DATABASE_PREFIX=databases.prefix,
        CRM_VAR_DIR=str(tmp_path),
        PYTHONWARNINGS="ignore",
        SEND_CONCURRENCY="5",
        SEND_CLAIM_SIZE="10",
        SEND_LEASE_SECONDS="2",
        SMS_RATE_PER_SECOND="0",
        **fake.env(),
    )
    command = [
        os.path.join(os.path.dirname(sys.executable), "nameko"),
        "run",
        "--config",
        os.path.join(ROOT, "services", "notifications", "config.yml"),
        "services.notifications.service",
    ]
    log = open(tmp_path / "notifications.log", "w")

    def start():
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    engine = databases.engine("notifications")

    def statuses():
        with engine.connect() as connection:
            return dict(connection.execute(text("SELECT status, count(*) FROM messages GROUP BY status")).all())

    process = start()
    try:
        config = {"AMQP_URI": amqp_uri}
        with ClusterRpcProxy(config, context_data={"actor": ADMIN}, timeout=60) as cluster:
            wait_for(lambda: _answers(cluster), timeout=90, what="the service to start")
            cluster.notifications.create_brandname({"name": "CSKH", "kind": "care"})
            recipients = [{"to": "+8490200{:04d}".format(i), "body": "Tin nhắn số {}".format(i)} for i in range(80)]
            plan = cluster.notifications.open_batch(
                {"channel": "sms", "brandname": "CSKH", "content": "x", "recipients": recipients}
            )
        fake.behave(delay=0.05)
        dispatch = event_dispatcher(config)
        for part in range(2):
            dispatch(
                "customers",
                "sms_requested",
                {
                    "id": str(uuid.uuid4()),
                    "type": "sms_requested",
                    "data": {
                        "batch_id": plan["batch_id"],
                        "part": part + 1,
                        "parts": 2,
                        "recipients": recipients[part * 40 : (part + 1) * 40],
                    },
                },
            )
        wait_for(lambda: len(fake.sms()) >= 20, timeout=90, what="sending to start")
        fake.behave(delay=60)  # accepted by Twilio, no answer before the crash
        wait_for(lambda: len(fake.sms()) >= 25, timeout=90, what="unanswered messages")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        assert statuses().get("sending", 0) > 0  # the crash left messages in doubt
        fake.behave(delay=0)
        process = start()
        wait_for(lambda: statuses().get("sent") == 80, timeout=90, what="every message sent after the restart")
        received = sorted(m["to"] for m in fake.sms())
        assert received == sorted(r["to"] for r in recipients)  # each exactly once
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        databases.truncate("notifications")


def _answers(cluster):
    try:
        return cluster.notifications.ping() == "pong"
    except Exception:
        return False
