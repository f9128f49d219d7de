"""The unit of work with real PostgreSQL and RabbitMQ: commit or nothing, events in the same
transaction, no call to another service while a transaction is open, domain errors relayed."""

import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import sessionmaker

from services.core.actor import Actor
from services.core.errors import NotFound
from services.core.plumbing import outbox
from services.core.unit_of_work import RemoteCallInTransaction, UnitOfWork, UnitOfWorkProvider

pytestmark = pytest.mark.infra


class FakeDirectory:
    def __init__(self):
        self.calls = []

    def ping(self):
        self.calls.append("ping")
        return "pong"


@pytest.fixture
def make_session(databases):
    yield sessionmaker(databases.engine("treasury"), expire_on_commit=False)
    databases.truncate("treasury")


def events(make_session):
    with make_session() as session:
        return session.scalars(select(outbox.c.event_type).order_by(outbox.c.id)).all()


def test_leaving_without_commit_rolls_back_the_change_and_its_event(make_session):
    uow = UnitOfWork(make_session, Actor(id=7))
    with uow:
        uow.record_event("nothing_happened", {"n": 1})
    assert events(make_session) == []
    with uow:
        uow.record_event("something_happened", {"n": 2})
        uow.commit()
    assert events(make_session) == ["something_happened"]
    with make_session() as session:
        (context,) = session.scalars(select(outbox.c.context)).all()
    assert context["actor"]["id"] == 7  # the event carries the actor of the use case


def test_record_events_writes_them_in_one_statement_in_order_as_record_event_would(make_session):
    """A posting of many lines records its events together: one INSERT, the given order (the
    relay publishes by outbox id), each row the same as ``record_event`` of that item."""
    uow = UnitOfWork(make_session, Actor(id=7))
    with uow:
        single = uow.record_event("thing_happened", {"n": 0})
        statements = []
        connection = uow.session.connection()

        def count(*args):
            statements.append(args[2])

        event.listen(connection, "before_cursor_execute", count)
        many = uow.record_events("thing_happened", [{"n": n} for n in range(1, 6)])
        event.remove(connection, "before_cursor_execute", count)
        assert uow.record_events("thing_happened", []) == []
        uow.commit()
    assert len(statements) == 1 and len(many) == len(set(many)) == 5
    with make_session() as session:
        rows = session.execute(
            select(outbox.c.event_id, outbox.c.event_type, outbox.c.payload, outbox.c.context).order_by(outbox.c.id)
        ).all()
    assert [row.event_id for row in rows] == [single] + many
    assert [row.payload["data"]["n"] for row in rows] == list(range(6))
    assert {row.context["actor"]["id"] for row in rows} == {7}
    for row in rows:
        assert row.event_type == "thing_happened" and row.payload["type"] == "thing_happened"
        assert row.payload["id"] == row.event_id and set(row.payload) == {"id", "type", "occurred_at", "data"}


def test_an_error_inside_the_block_keeps_nothing(make_session):
    uow = UnitOfWork(make_session)
    with pytest.raises(ZeroDivisionError), uow:
        uow.record_event("half_done", {})
        uow.session.flush()
        raise ZeroDivisionError
    assert events(make_session) == [] and uow.session is None


def test_a_remote_call_after_select_for_update_raises_at_once(make_session):
    directory = FakeDirectory()
    uow = UnitOfWork(make_session, services={"directory": directory})
    with uow:
        uow.session.execute(select(outbox.c.id).with_for_update())
        with pytest.raises(RemoteCallInTransaction):
            uow.services.directory.ping()
        assert directory.calls == []
    assert uow.services.directory.ping() == "pong"  # once the block is over, the call goes


def test_a_remote_call_inside_an_open_read_transaction_raises_too(make_session):
    """Any open transaction counts: its snapshot and locks (advisory ones included) stay while waiting."""
    uow = UnitOfWork(make_session, services={"directory": FakeDirectory()})
    with uow:
        uow.session.execute(text("SELECT pg_advisory_xact_lock(1, 1)"))
        with pytest.raises(RemoteCallInTransaction):
            uow.services.directory.ping()
        uow.rollback()  # ends the transaction: asking is allowed again
        assert uow.services.directory.ping() == "pong"


def test_a_service_not_named_cannot_be_called(make_session):
    uow = UnitOfWork(make_session)
    with pytest.raises(AttributeError):
        uow.services.directory.ping()


def test_commit_outside_the_block_is_refused(make_session):
    with pytest.raises(RuntimeError):
        UnitOfWork(make_session).commit()


class Callee:
    name = "callee"

    @rpc
    def find(self, thing_id):
        raise NotFound("No such thing.", code="THING_NOT_FOUND")


class Asker:
    name = "asker"
    uow = UnitOfWorkProvider("callee")

    @rpc
    def ask(self):
        with self.uow:
            self.uow.session.execute(select(func.count()).select_from(outbox))
        return self.uow.services.callee.find(1)

    @rpc
    def ask_while_locked(self):
        with self.uow:
            self.uow.session.execute(select(outbox.c.id).with_for_update())
            return self.uow.services.callee.find(1)


def test_the_callee_domain_error_is_relayed_as_ours(container_factory, service_config):
    config = service_config("treasury")
    container_factory(Callee, config).start()
    asker = container_factory(Asker, config)
    asker.start()
    with entrypoint_hook(asker, "ask") as ask:
        with pytest.raises(NotFound) as raised:
            ask()
    assert raised.value.code == "THING_NOT_FOUND" and raised.value.message == "No such thing."
    with entrypoint_hook(asker, "ask_while_locked") as ask_while_locked:
        with pytest.raises(RemoteCallInTransaction):
            ask_while_locked()
