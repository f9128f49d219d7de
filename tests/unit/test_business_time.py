"""Timestamps in the business time zone; a date-only period bound covers that whole day there."""

import datetime

import pytest
from marshmallow import Schema, ValidationError

from services.core import business_time
from services.core.contracts import common

UTC = datetime.UTC


class Period(Schema):
    start = common.PeriodBound(data_key="from")
    end = common.PeriodBound(end=True, data_key="to")
    at = common.DateTime()


@pytest.fixture(autouse=True)
def vietnam():
    business_time.configure({})
    yield
    business_time.configure({})


def test_timestamps_are_answered_in_the_business_time_zone_with_its_offset():
    moment = datetime.datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    assert Period().dump({"at": moment}) == {"at": "2026-12-01T09:30:00+07:00"}
    business_time.configure({"BUSINESS_TIME_ZONE": "Europe/Paris"})
    assert Period().dump({"at": moment}) == {"at": "2026-12-01T03:30:00+01:00"}


def test_a_deadline_sent_with_plus_seven_comes_back_as_sent():
    sent = "2026-12-31T17:00:00+07:00"
    loaded = Period().load({"at": sent})
    assert loaded["at"] == datetime.datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    assert Period().dump(loaded)["at"] == sent


def test_date_only_bounds_cover_the_whole_day_in_the_business_time_zone():
    period = Period().load({"from": "2026-12-31", "to": "2026-12-31"})
    assert period["start"] == datetime.datetime(2026, 12, 30, 17, 0, tzinfo=UTC)  # 00:00 +07:00
    assert period["end"] == datetime.datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # next 00:00 +07:00, excluded
    last_minute = datetime.datetime(2026, 12, 31, 23, 59, tzinfo=business_time.zone())
    assert period["start"] <= last_minute < period["end"]


def test_a_date_time_bound_is_taken_as_given():
    period = Period().load({"from": "2026-12-31T08:00:00+07:00", "to": "2026-12-31T09:00:00Z"})
    assert period["start"] == datetime.datetime(2026, 12, 31, 1, 0, tzinfo=UTC)
    assert period["end"] == datetime.datetime(2026, 12, 31, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01", "0001-01-01", "2020-01-01T00:00:00+19:56", "9999-12-31", 20261231]
)
def test_bad_bounds_are_refused(value):
    with pytest.raises(ValidationError):
        Period().load({"from": value})


def test_an_unknown_zone_fails_the_start():
    with pytest.raises(ValueError):
        business_time.configure({"BUSINESS_TIME_ZONE": "Mars/Olympus"})
