"""The request id travels with RPC calls and, through the outbox, with events (real RabbitMQ and
PostgreSQL): every line a worker logs carries it, even the handler of an event relayed later."""

import logging
import uuid

import pytest
from nameko.contextdata import ContextDataProvider
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from services.core.db import Database
from services.core.events import handles
from services.core.logs import REQUEST_ID_KEY, RequestIdFilter, ServiceContainer
from services.core.outbox import OutboxRelay, record_event
from services.core.plumbing import outbox
from services.core.rpc import TimedRpcProxy, rpc
from tests.conftest import wait_for

pytestmark = pytest.mark.infra

HANDLED = []


class RequestId(ContextDataProvider):
    context_key = REQUEST_ID_KEY


class Echo:
    name = "echo"
    request_id = RequestId()

    @rpc
    def whose(self):
        return self.request_id


class Recorder:
    """Records an event in a call (on the directory test database); another container relays it."""

    name = "recorder"
    db = Database()
    echo = TimedRpcProxy("echo")

    @rpc
    def act(self):
        logging.getLogger("crm.test.recorder").info("acting")
        seen_by_echo = self.echo.whose()
        event_id = record_event(self.db, "thing_happened", {"n": 1})
        self.db.commit()
        return {"echo": seen_by_echo, "event_id": event_id}


class Relay:
    name = "recorder"  # the same service: it publishes on recorder.events
    relay = OutboxRelay()


class Listener:
    name = "listener"
    request_id = RequestId()

    @handles("recorder", "thing_happened")
    def on_thing(self, event):
        logging.getLogger("crm.test.listener").info("handling %s", event["id"])
        HANDLED.append((event["id"], self.request_id))


@pytest.fixture
def config(service_config):
    HANDLED.clear()
    return service_config("directory")


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    return caplog


def lines_of(caplog, request_id):
    return [r.getMessage() for r in caplog.records if getattr(r, "request_id", None) == request_id]


def test_the_request_id_reaches_the_callee_the_logs_and_the_handler_of_an_event_relayed_later(
    container_factory, config, db_session, logged
):
    for service in (Echo, Recorder, Listener):
        container = container_factory(service, config)
        assert isinstance(container, ServiceContainer)  # config.yml's SERVICE_CONTAINER_CLS
        container.start()
    with ClusterRpcProxy(config, context_data={REQUEST_ID_KEY: "abc-123"}) as cluster:
        answer = cluster.recorder.act()
    assert answer["echo"] == "abc-123"
    session = db_session("directory")
    stored = session.scalar(select(outbox.c.context).where(outbox.c.event_id == answer["event_id"]))
    assert stored[REQUEST_ID_KEY] == "abc-123"  # waiting in the outbox: nobody relays yet
    container_factory(Relay, config).start()
    wait_for(lambda: HANDLED, 15, "the event's handler")
    assert HANDLED == [(answer["event_id"], "abc-123")]
    wait_for(lambda: any(m.startswith("listener.on_thing done") for m in lines_of(logged, "abc-123")), 15, "its line")
    lines = lines_of(logged, "abc-123")
    for expected in ("acting", "echo.whose done", "recorder.act done", "handling " + answer["event_id"]):
        assert any(line.startswith(expected) for line in lines), (expected, lines)


def test_a_call_without_a_request_id_gets_one_which_its_event_keeps(container_factory, config, logged):
    for service in (Echo, Recorder, Relay, Listener):
        container_factory(service, config).start()
    with ClusterRpcProxy(config) as cluster:
        answer = cluster.recorder.act()
    made = answer["echo"]
    assert str(uuid.UUID(made)) == made
    wait_for(lambda: HANDLED, 15, "the event's handler")
    assert HANDLED == [(answer["event_id"], made)]
    assert "acting" in lines_of(logged, made)
