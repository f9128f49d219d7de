"""The effect of each kind of stock move on on-hand (services/inventory/move_effects.py)."""

import datetime

import pytest
from marshmallow import ValidationError

from services.core import business_time
from services.core.contracts.inventory import LedgerQuery, StockMove
from services.inventory.move_effects import (
    KINDS,
    Entry,
    Shortage,
    post_lines,
    receives_every_row,
    receiving_keys,
    stock_keys,
)


def lines(*pairs):
    return [{"product_id": product_id, "quantity": quantity} for product_id, quantity in pairs]


def test_receipt_adds_to_on_hand():
    posting = post_lines("receipt", 1, None, lines((7, 5), (8, 2)), {(1, 7): 3})
    assert posting.ok
    assert posting.entries == (Entry(1, 7, 5, 8), Entry(1, 8, 2, 2))


def test_issue_takes_from_on_hand_down_to_zero():
    posting = post_lines("issue", 1, None, lines((7, 3)), {(1, 7): 3})
    assert posting.entries == (Entry(1, 7, -3, 0),)


def test_one_short_line_refuses_the_whole_issue_naming_every_shortage():
    posting = post_lines("issue", 1, None, lines((7, 1), (8, 5), (9, 2)), {(1, 7): 4, (1, 8): 2})
    assert not posting.ok
    assert posting.entries == ()
    assert posting.shortages == (Shortage(1, 8, 5, 2), Shortage(1, 9, 2, 0))


def test_transfer_moves_quantity_from_one_warehouse_to_the_other():
    posting = post_lines("transfer", 1, 2, lines((7, 3)), {(1, 7): 5, (2, 7): 1})
    assert posting.entries == (Entry(1, 7, -3, 2), Entry(2, 7, 3, 4))
    assert sum(entry.change for entry in posting.entries) == 0


def test_transfer_short_at_the_source_posts_nothing():
    posting = post_lines("transfer", 1, 2, lines((7, 6)), {(1, 7): 5})
    assert posting.shortages == (Shortage(1, 7, 6, 5),)
    assert posting.entries == ()


def test_adjustment_replaces_on_hand_with_the_count():
    posting = post_lines("adjustment", 1, None, lines((7, 2), (8, 9), (9, 0), (10, 4)), {(1, 7): 5, (1, 8): 9})
    assert posting.entries == (Entry(1, 7, -3, 2), Entry(1, 8, 0, 9), Entry(1, 9, 0, 0), Entry(1, 10, 4, 4))


def test_adjustment_never_runs_short_and_posting_the_same_count_again_changes_nothing():
    first = post_lines("adjustment", 1, None, lines((7, 0)), {(1, 7): 5})
    assert first.ok and first.entries == (Entry(1, 7, -5, 0),)
    again = post_lines("adjustment", 1, None, lines((7, 0)), {(1, 7): 0})
    assert again.entries == (Entry(1, 7, 0, 0),)


def test_rows_are_locked_in_one_order_whatever_the_line_order():
    assert stock_keys("transfer", 5, 2, lines((9, 1), (3, 1))) == [(2, 3), (2, 9), (5, 3), (5, 9)]
    assert stock_keys("issue", 5, None, lines((9, 1), (3, 1))) == [(5, 3), (5, 9)]


def test_only_receiving_rows_may_be_created():
    assert receiving_keys("issue", 1, None, lines((7, 1))) == []
    assert receiving_keys("receipt", 1, None, lines((8, 1), (7, 1))) == [(1, 7), (1, 8)]
    assert receiving_keys("transfer", 1, 2, lines((7, 1))) == [(2, 7)]
    assert receiving_keys("adjustment", 1, None, lines((7, 0))) == [(1, 7)]


def test_a_receipt_or_an_adjustment_receives_every_row_it_touches_and_only_they_do():
    """What lets posting read the lines and lock (creating) their rows in one statement."""
    some = lines((9, 1), (3, 0), (7, 2))
    for kind in KINDS:
        target = 2 if kind == "transfer" else None
        every = receiving_keys(kind, 1, target, some) == stock_keys(kind, 1, target, some)
        assert receives_every_row(kind) == every, kind
    assert [kind for kind in KINDS if receives_every_row(kind)] == ["receipt", "adjustment"]


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        post_lines("gift", 1, None, lines((7, 1)), {})


# -- the contract of a move ------------------------------------------------------------


def move(**fields):
    data = {"kind": "issue", "warehouse_id": 1, "lines": lines((7, 1))}
    data.update(fields)
    return data


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"lines": lines((7, 1), (7, 2))}, "lines"),
        ({"lines": lines((7, 0))}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": lines(*[(i, 1) for i in range(1, 1002)])}, "lines"),
        ({"lines": [{"product_id": 7, "quantity": 1.5}]}, "lines"),
        ({"lines": [{"product_id": 7, "quantity": "2"}]}, "lines"),
        ({"kind": "transfer"}, "to_warehouse_id"),
        ({"kind": "transfer", "to_warehouse_id": 1}, "to_warehouse_id"),
        ({"to_warehouse_id": 2}, "to_warehouse_id"),
        ({"kind": "sale"}, "kind"),
    ],
)
def test_invalid_moves_name_the_field(fields, field):
    with pytest.raises(ValidationError) as error:
        StockMove().load(move(**fields))
    assert field in error.value.messages


def test_an_adjustment_may_count_zero_and_a_move_may_have_1000_lines():
    assert StockMove().load(move(kind="adjustment", lines=lines((7, 0))))["lines"] == lines((7, 0))
    assert len(StockMove().load(move(lines=lines(*[(i, 1) for i in range(1, 1001)])))["lines"]) == 1000


# -- periods in the business time zone --------------------------------------------------


def test_a_date_only_period_covers_whole_days_in_the_business_time_zone():
    business_time.configure({})
    query = LedgerQuery().load({"from": "2026-12-01", "to": "2026-12-01"})
    assert query["from_"] == datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
    assert query["to"] == datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)


def test_a_date_time_bound_is_that_instant():
    query = LedgerQuery().load({"to": "2026-12-01T10:00:00+07:00"})
    assert query["to"] == datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC)
    with pytest.raises(ValidationError):
        LedgerQuery().load({"from": "yesterday"})


def test_timestamps_are_answered_in_the_business_time_zone_with_their_offset():
    business_time.configure({})
    moment = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC)
    assert business_time.shown(moment) == "2026-12-01T10:00:00+07:00"
