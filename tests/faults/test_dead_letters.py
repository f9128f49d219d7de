"""Poison events: a handler that keeps refusing an event sends it to ``crm.dead-letters``;
``make dead-letters`` lists it (and leaves it there), ``make replay-dead-letters`` sends it back
to that handler only, which then applies it once."""

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from services.core.consumer import first_delivery
from services.core.db import Database
from services.core.dead_letters import list_dead_letters, replay
from services.core.errors import RuleViolation
from services.core.events import handles
from services.core.outbox import OutboxRelay, record_event
from tests.conftest import ROOT, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.infra]

REFUSING = {"on": True, "applied": 0}


class Producer:
    name = "producer"
    db = Database()
    relay = OutboxRelay()


class Picky:
    """Refuses every event while REFUSING["on"] (a rule it cannot pass: dead-lettered at once)."""

    name = "picky"
    db = Database()

    @handles("producer", "thing_happened")
    def on_thing(self, event):
        if REFUSING["on"]:
            raise RuleViolation("not today")
        if first_delivery(self.db, "picky.on_thing", event["id"]):
            self.db.execute(
                text("UPDATE departments SET name = name || '+' WHERE id = :id"), {"id": event["data"]["department_id"]}
            )
            REFUSING["applied"] += 1
        self.db.commit()


class Bystander:
    """Another consumer of the same event: handles it the first time, must not see the replay."""

    name = "bystander"
    seen = []

    @handles("producer", "thing_happened")
    def on_thing(self, event):
        Bystander.seen.append(event["id"])


def cli(amqp_uri, *args):
    done = subprocess.run(
        [sys.executable, "-m", "services.core.dead_letters", *args],
        cwd=ROOT,
        env=dict(os.environ, AMQP_URI=amqp_uri, PYTHONWARNINGS="ignore"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_dead_letters_are_listed_then_replayed_to_their_handler_once(container_factory, service_config, db_session):
    REFUSING.update(on=True, applied=0)
    Bystander.seen.clear()
    config = service_config("directory")
    amqp_uri = config["AMQP_URI"]
    for service in (Picky, Bystander, Producer):
        container_factory(service, config).start()
    session = db_session("directory")
    target = session.scalar(text("INSERT INTO departments (name) VALUES ('poison') RETURNING id"))
    event_id = record_event(session, "thing_happened", {"department_id": target})
    session.commit()

    letters = wait_for(lambda: list_dead_letters(amqp_uri), timeout=30, what="the dead letter")
    assert [(x.event_id, x.handler, x.source_queue) for x in letters] == [
        (event_id, "picky.on_thing", letters[0].source_queue)
    ]
    assert "not today" in letters[0].error and letters[0].attempts == 1
    listed = cli(amqp_uri, "list")
    assert event_id in listed and "picky.on_thing" in listed and "1 dead letter(s)" in listed
    assert len(list_dead_letters(amqp_uri)) == 1  # listing took nothing away
    assert cli(amqp_uri, "show", event_id).count(event_id) >= 1
    assert replay(amqp_uri, ["some-other-event"]) == []

    REFUSING["on"] = False
    assert "1 dead letter(s) sent back" in cli(amqp_uri, "replay")
    wait_for(lambda: REFUSING["applied"] == 1, timeout=30, what="the replayed event applied")
    session.rollback()
    assert session.scalar(text("SELECT name FROM departments WHERE id = :id"), {"id": target}) == "poison+"
    assert list_dead_letters(amqp_uri) == []
    assert replay(amqp_uri) == []
    time.sleep(0.5)
    assert Bystander.seen == [event_id]  # the replay went to the picky handler's queue only
    assert REFUSING["applied"] == 1
