"""Stock moves on real PostgreSQL, through the use cases and their unit of work.

A hypothesis state machine posts receipts, issues, transfers and adjustments at random and checks
them against a model: on-hand never negative, on-hand = the sum of the posted ledger (and the
running quantity of the last entry), transfers conserve each product's total, a short move posts
nothing, one ``stock_changed`` event per ledger entry.  Plus the database's own guard and the
directory asked before any transaction is opened.
"""

import datetime

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from services.core.actor import ADMIN, Actor
from services.core.plumbing import outbox
from services.core.unit_of_work import UnitOfWork
from services.inventory import exceptions, products, stock_moves, warehouses
from services.inventory.models import Stock, StockLedgerEntry
from tests.conftest import unique

pytestmark = pytest.mark.infra

ADMIN_ACTOR = Actor(id=1, roles=(ADMIN,))


class FakeDirectory:
    """Answers like directory.active_members; records whether a transaction was open when asked."""

    def __init__(self, uow_ref):
        self.uow_ref = uow_ref
        self.asked_in_transaction = []

    def active_members(self, user_ids=(), department_ids=()):
        self.asked_in_transaction.append(self.uow_ref[0].session is not None)
        return {
            "users": [{"id": i, "active": i != 13, "department_id": None} for i in user_ids],
            "missing_user_ids": [],
            "missing_department_ids": [],
            "department_members": {},
        }


@pytest.fixture
def make_session(databases):
    yield sessionmaker(databases.engine("inventory"), expire_on_commit=False)
    databases.truncate("inventory")


def unit(make_session, actor=ADMIN_ACTOR):
    return UnitOfWork(make_session, actor, {"directory": FakeDirectory([None])})


def new_warehouse(make_session, manager_ids=()):
    uow = UnitOfWork(make_session, ADMIN_ACTOR)
    uow.services._proxies["directory"] = FakeDirectory([uow])
    return warehouses.create_warehouse(uow, {"code": unique("W"), "name": "W", "manager_ids": list(manager_ids)})


def new_product(make_session):
    return products.create_product(unit(make_session), {"sku": unique("P"), "name": "P"})


def post(make_session, kind, warehouse_id, lines, to_warehouse_id=None, actor=ADMIN_ACTOR):
    body = {"kind": kind, "warehouse_id": warehouse_id, "lines": lines}
    if to_warehouse_id is not None:
        body["to_warehouse_id"] = to_warehouse_id
    draft = stock_moves.create_move(unit(make_session, actor), body)
    return stock_moves.post_move(unit(make_session, actor), draft["id"])


def test_the_directory_is_asked_before_the_transaction_opens(make_session):
    uow = UnitOfWork(make_session, ADMIN_ACTOR)
    directory = FakeDirectory([uow])
    uow.services._proxies["directory"] = directory
    created = warehouses.create_warehouse(uow, {"code": unique("W"), "name": "W", "manager_ids": [5, 3]})
    assert created["manager_ids"] == [3, 5] and directory.asked_in_transaction == [False]
    with pytest.raises(exceptions.InvalidManagers) as error:
        warehouses.update_warehouse(uow, created["id"], {"manager_ids": [13]})
    assert error.value.fields == {"manager_ids": ["No such active user: 13."]}
    assert directory.asked_in_transaction == [False, False]


def test_the_database_keeps_on_hand_from_going_negative(make_session):
    warehouse, product = new_warehouse(make_session), new_product(make_session)
    post(make_session, "receipt", warehouse["id"], [{"product_id": product["id"], "quantity": 1}])
    with make_session() as session, pytest.raises(IntegrityError):
        session.execute(text("UPDATE stock SET quantity = quantity - 2"))


def test_a_ledger_entry_is_timestamped_in_the_business_time_zone(make_session):
    warehouse, product = new_warehouse(make_session), new_product(make_session)
    done = post(make_session, "receipt", warehouse["id"], [{"product_id": product["id"], "quantity": 1}])
    moment = datetime.datetime.fromisoformat(done["posted_at"])
    assert moment.utcoffset() == datetime.timedelta(hours=7)


WAREHOUSES, PRODUCTS = 3, 4


class StockMachine(RuleBasedStateMachine):
    """Random moves against a dict model of on-hand."""

    make_session = None  # set by the test

    @initialize()
    def setup(self):
        self.warehouse_ids = [new_warehouse(self.make_session)["id"] for _ in range(WAREHOUSES)]
        self.product_ids = [new_product(self.make_session)["id"] for _ in range(PRODUCTS)]
        self.model = {}

    def lines(self, data, counted=False):
        chosen = data.draw(st.lists(st.sampled_from(self.product_ids), min_size=1, max_size=PRODUCTS, unique=True))
        low = 0 if counted else 1
        return [{"product_id": p, "quantity": data.draw(st.integers(low, 6))} for p in chosen]

    def totals(self):
        totals = {}
        for (_, product_id), quantity in self.model.items():
            totals[product_id] = totals.get(product_id, 0) + quantity
        return totals

    def attempt(self, kind, warehouse, lines, to=None):
        """Post the move; the model changes only if every line can be posted."""
        changes = {}
        for line in lines:
            key, quantity = (warehouse, line["product_id"]), line["quantity"]
            if kind == "receipt":
                changes[key] = self.model.get(key, 0) + quantity
            elif kind == "adjustment":
                changes[key] = quantity
            else:
                changes[key] = self.model.get(key, 0) - quantity
                if kind == "transfer":
                    target = (to, line["product_id"])
                    changes[target] = self.model.get(target, 0) + quantity
        short = any(value < 0 for value in changes.values())
        try:
            post(self.make_session, kind, warehouse, lines, to)
        except exceptions.InsufficientStock:
            assert short, (kind, lines, self.model)
            return
        assert not short, (kind, lines, self.model)
        self.model.update(changes)

    @rule(data=st.data())
    def receipt(self, data):
        self.attempt("receipt", data.draw(st.sampled_from(self.warehouse_ids)), self.lines(data))

    @rule(data=st.data())
    def issue(self, data):
        self.attempt("issue", data.draw(st.sampled_from(self.warehouse_ids)), self.lines(data))

    @rule(data=st.data())
    def transfer(self, data):
        source, target = data.draw(st.permutations(self.warehouse_ids))[:2]
        before = self.totals()
        self.attempt("transfer", source, self.lines(data), target)
        assert {p: q for p, q in self.totals().items() if q} == {p: q for p, q in before.items() if q}
        assert self.database_totals() == {p: q for p, q in before.items() if q}

    @rule(data=st.data())
    def adjustment(self, data):
        self.attempt("adjustment", data.draw(st.sampled_from(self.warehouse_ids)), self.lines(data, counted=True))

    def database_totals(self):
        with self.make_session() as session:
            rows = session.execute(
                select(Stock.product_id, func.sum(Stock.quantity))
                .where(Stock.warehouse_id.in_(self.warehouse_ids))
                .group_by(Stock.product_id)
            ).all()
        return {product_id: int(total) for product_id, total in rows if total}

    @invariant()
    def on_hand_matches_the_model_and_the_ledger(self):
        if not hasattr(self, "model"):
            return
        with self.make_session() as session:
            stock = {
                (row.warehouse_id, row.product_id): row.quantity
                for row in session.execute(select(Stock).where(Stock.warehouse_id.in_(self.warehouse_ids))).scalars()
            }
            ledger_sums = {
                (row.warehouse_id, row.product_id): int(row.total)
                for row in session.execute(
                    select(
                        StockLedgerEntry.warehouse_id,
                        StockLedgerEntry.product_id,
                        func.sum(StockLedgerEntry.change).label("total"),
                    )
                    .where(StockLedgerEntry.warehouse_id.in_(self.warehouse_ids))
                    .group_by(StockLedgerEntry.warehouse_id, StockLedgerEntry.product_id)
                )
            }
            last_running = {
                (row.warehouse_id, row.product_id): row.quantity
                for row in session.execute(
                    select(StockLedgerEntry.warehouse_id, StockLedgerEntry.product_id, StockLedgerEntry.quantity)
                    .where(StockLedgerEntry.warehouse_id.in_(self.warehouse_ids))
                    .distinct(StockLedgerEntry.warehouse_id, StockLedgerEntry.product_id)
                    .order_by(StockLedgerEntry.warehouse_id, StockLedgerEntry.product_id, StockLedgerEntry.id.desc())
                )
            }
        assert all(quantity >= 0 for quantity in stock.values())
        assert {k: v for k, v in stock.items() if v} == {k: v for k, v in self.model.items() if v}
        assert ledger_sums == {k: v for k, v in stock.items() if k in ledger_sums}
        assert {k: v for k, v in stock.items() if v} == {k: v for k, v in ledger_sums.items() if v}
        assert last_running == {k: v for k, v in stock.items() if k in last_running}


def test_random_moves_keep_on_hand_equal_to_the_ledger_and_never_negative(make_session):
    StockMachine.make_session = staticmethod(make_session)
    run_state_machine_as_test(
        StockMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=(Phase.explicit, Phase.generate),  # no shrinking on a database: a failure is reported as found
        ),
    )
    with make_session() as session:
        events = session.scalar(select(func.count()).select_from(outbox).where(outbox.c.event_type == "stock_changed"))
        entries = session.scalar(select(func.count()).select_from(StockLedgerEntry))
    assert events == entries > 0  # one stock_changed per warehouse and product a posted line changed
