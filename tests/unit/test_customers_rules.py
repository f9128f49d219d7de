"""Unit tests of the customers rules: split evenly, potential rating, bulk modes, bulk input."""

import time

import pytest

from services.core.contracts.customers import MAX_BULK, BulkGroups, BulkShare, BulkTransferOwner, PotentialRating
from services.core.errors import InvalidInput
from services.core.schemas import load
from services.customers.modes import GROUP_MODES, SHARE_MODES
from services.customers.ownership import split_evenly
from services.customers.rating import score_ranges, stars

# -- split evenly ----------------------------------------------------------------


@pytest.mark.parametrize(
    "count, targets, sizes",
    [
        (10, 3, [4, 3, 3]),  # the SPEC example
        (9, 3, [3, 3, 3]),
        (11, 3, [4, 4, 3]),
        (2, 3, [1, 1, 0]),
        (0, 2, [0, 0]),
        (7, 1, [7]),
        (100_000, 10, [10_000] * 10),
        (100_001, 10, [10_001] + [10_000] * 9),
    ],
)
def test_split_evenly_sizes(count, targets, sizes):
    blocks = split_evenly(list(range(count)), targets)
    assert [len(block) for block in blocks] == sizes


def test_split_evenly_keeps_the_given_order_in_contiguous_blocks():
    items = [50, 3, 41, 7, 9, 12, 88, 1, 2, 60]
    blocks = split_evenly(items, 3)
    assert blocks == [[50, 3, 41, 7], [9, 12, 88], [1, 2, 60]]
    assert [item for block in blocks for item in block] == items


# -- potential rating ----------------------------------------------------------------

THRESHOLDS = [10, 20, 40, 70, 100]


@pytest.mark.parametrize(
    "score, expected",
    [
        (0, 0),
        (9, 0),
        (10, 1),
        (19, 1),
        (20, 2),
        (39, 2),
        (40, 3),
        (69, 3),
        (70, 4),
        (99, 4),
        (100, 5),
        (10_000, 5),
    ],
)
def test_stars_is_the_highest_level_reached(score, expected):
    assert stars(score, THRESHOLDS) == expected


def test_stars_with_a_zero_one_star_minimum():
    assert stars(0, [0, 1, 2, 3, 4]) == 1


@pytest.mark.parametrize(
    "levels, ranges",
    [
        ([4], [(70, 100)]),
        ([5], [(100, None)]),
        ([0], [(None, 10)]),
        ([4, 5], [(70, None)]),  # adjacent levels merge into one range
        ([5, 4], [(70, None)]),
        ([1, 3], [(10, 20), (40, 70)]),
        ([0, 1, 2, 3, 4, 5], [(None, None)]),
    ],
)
def test_star_levels_become_score_ranges(levels, ranges):
    assert score_ranges(levels, THRESHOLDS) == ranges


@pytest.mark.parametrize("score", range(0, 130, 3))
def test_score_ranges_agree_with_stars(score):
    for level in range(6):
        ((low, high),) = score_ranges([level], THRESHOLDS)
        inside = (low is None or score >= low) and (high is None or score < high)
        assert inside == (stars(score, THRESHOLDS) == level)


@pytest.mark.parametrize(
    "thresholds, ok",
    [
        ([10, 20, 40, 70, 100], True),
        ([0, 1, 2, 3, 4], True),
        ([10, 10, 40, 70, 100], False),  # not strictly increasing
        ([10, 20, 15, 70, 100], False),
        ([-1, 20, 40, 70, 100], False),  # negative
        ([10, 20, 40, 70], False),  # four levels
        ([10, 20, 40, 70, 100, 200], False),
    ],
)
def test_thresholds_must_be_five_strictly_increasing_non_negative_integers(thresholds, ok):
    if ok:
        assert load(PotentialRating(), {"thresholds": thresholds}) == {"thresholds": thresholds}
    else:
        with pytest.raises(InvalidInput) as error:
            load(PotentialRating(), {"thresholds": thresholds})
        assert "thresholds" in str(error.value.fields)


# -- mode semantics ----------------------------------------------------------------------
# (mode, what the customer has, what is chosen, what it has afterwards); values are share levels

GROUP_CASES = [
    ("move", {1: None, 2: None}, {3: None}, {3: None}),
    ("move", {1: None, 2: None}, {2: None, 3: None}, {2: None, 3: None}),
    ("move", {1: None}, {}, {}),
    ("move", {}, {1: None}, {1: None}),
    ("add", {1: None, 2: None}, {3: None}, {1: None, 2: None, 3: None}),
    ("add", {1: None}, {1: None}, {1: None}),
    ("remove", {1: None, 2: None}, {2: None, 3: None}, {1: None}),
    ("remove", {}, {1: None}, {}),
]

B, C, D = ("user", 2), ("user", 3), ("department", 9)
SHARE_CASES = [
    ("add", {B: "view"}, {C: "view"}, {B: "view", C: "view"}),  # A shared with B, add C -> B and C
    ("transfer", {B: "view"}, {C: "view"}, {C: "view"}),  # transfer to C -> C only
    ("remove", {B: "view"}, {B: "view"}, {}),  # remove B -> nobody
    ("add", {B: "view"}, {B: "edit"}, {B: "edit"}),  # re-level
    ("add", {B: "edit"}, {B: "view", D: "view"}, {B: "view", D: "view"}),
    ("transfer", {B: "edit", D: "view"}, {B: "edit"}, {B: "edit"}),
    ("transfer", {B: "view"}, {B: "edit", C: "edit"}, {B: "edit", C: "edit"}),
    ("remove", {B: "edit", D: "view"}, {D: "edit"}, {B: "edit"}),  # the level does not matter to remove
    ("remove", {B: "view"}, {C: "view"}, {B: "view"}),
]


@pytest.mark.parametrize("mode, current, chosen, expected", GROUP_CASES)
def test_group_modes(mode, current, chosen, expected):
    assert GROUP_MODES[mode].after(current, chosen) == expected


@pytest.mark.parametrize("mode, current, chosen, expected", SHARE_CASES)
def test_share_modes(mode, current, chosen, expected):
    assert SHARE_MODES[mode].after(current, chosen) == expected


# -- bulk input ----------------------------------------------------------------------------


def test_a_hundred_thousand_ids_are_accepted_quickly():
    ids = list(range(1, MAX_BULK + 1))
    began = time.perf_counter()
    data = load(BulkGroups(), {"customer_ids": ids, "mode": "add", "group_ids": [1]})
    assert time.perf_counter() - began < 0.5
    assert data["customer_ids"] == ids


@pytest.mark.parametrize(
    "customer_ids, message",
    [
        (list(range(1, MAX_BULK + 2)), "At most 100000"),
        ([], "at least one"),
        ([1, 0], "positive integer"),
        ([1, "2"], "positive integer"),
        ([1, True], "positive integer"),
        ("1,2", "Not a valid list"),
    ],
)
def test_bad_customer_ids_are_refused(customer_ids, message):
    with pytest.raises(InvalidInput) as error:
        load(BulkShare(), {"customer_ids": customer_ids, "mode": "add", "user_ids": [1]})
    assert message in str(error.value.fields["customer_ids"])


def test_bulk_requests_need_targets_and_groups():
    with pytest.raises(InvalidInput) as error:
        load(BulkShare(), {"customer_ids": [1], "mode": "add"})
    assert "user_ids" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        load(BulkTransferOwner(), {"customer_ids": [1], "user_ids": [], "department_ids": []})
    assert "user_ids" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        load(BulkGroups(), {"customer_ids": [1], "mode": "add", "group_ids": []})
    assert "group_ids" in error.value.fields
    assert load(BulkGroups(), {"customer_ids": [1], "mode": "move", "group_ids": []})["group_ids"] == []


def test_unknown_fields_are_refused():
    with pytest.raises(InvalidInput) as error:
        load(BulkShare(), {"customer_ids": [1], "mode": "add", "user_ids": [1], "owner_id": 5})
    assert "owner_id" in error.value.fields
