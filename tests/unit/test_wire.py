"""The JSON of the messages on the bus (services/core/wire.py): orjson where the value is plain
JSON, kombu's encoder otherwise, and in both cases a message kombu's own JSON reads the same, and
the other way round."""

import datetime
import decimal
import glob
import os

import kombu.serialization
import pytest
from kombu.utils import json as kombu_json
from nameko import serialization

from services.core import wire
from services.core.config import load_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PLAIN = {
    "result": {
        "items": [{"id": 7, "name": "Nguyễn Văn An", "stars": 4, "score": 12.5, "group_ids": [1, 2], "tax_code": None}],
        "total": 1,
        "more": True,
    },
    "error": None,
}
TAGGED = {
    "at": datetime.datetime(2026, 12, 3, 11, 40, 3, 123456, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 12, 3),
    "amount": decimal.Decimal("1234.50"),
    "raw": b"\x00\xff",
}
# what orjson refuses and kombu's encoder writes: each must come back as it left
UNUSUAL = [
    {"big": 2**64, "negative": -(2**70)},
    {"name": "\udc80 lone surrogate"},
    {1: "an int key", "2": "a str key"},
    TAGGED,
]


def test_plain_values_are_orjson_compact_json_that_kombus_own_json_reads():
    body = wire.dumps(PLAIN)
    assert isinstance(body, bytes) and not body.startswith(b" ")
    assert b", " not in body and b": " not in body  # compact
    assert kombu_json.loads(body) == PLAIN
    assert wire.loads(body) == PLAIN


def test_what_kombus_own_json_wrote_is_read_as_it_reads_it():
    for value in [PLAIN, TAGGED, UNUSUAL[0], {"nan": float("nan")}]:
        body = kombu_json.dumps(value).encode("utf-8")
        expected = kombu_json.loads(body)
        got = wire.loads(body)
        if "nan" in value:
            assert got["nan"] != got["nan"]  # NaN, which orjson refuses to read
        else:
            assert got == expected == value


@pytest.mark.parametrize("value", UNUSUAL, ids=["big-ints", "surrogate", "int-keys", "tagged"])
def test_what_orjson_cannot_carry_goes_the_kombu_way_and_comes_back_as_it_left(value):
    body = wire.dumps(value)
    assert body.startswith(wire.KOMBU)
    assert wire.loads(body) == kombu_json.loads(body) == kombu_json.loads(kombu_json.dumps(value))
    if value is TAGGED:
        assert wire.loads(body) == TAGGED  # types given back: a datetime, a date, a Decimal, bytes
    if value is UNUSUAL[0]:
        assert wire.loads(body) == value and isinstance(wire.loads(body)["big"], int)  # exact, not a float


def test_a_body_is_read_from_bytes_a_memoryview_or_a_str():
    body = wire.dumps(PLAIN)
    kombus = wire.dumps(TAGGED)
    for given in (body, memoryview(body), bytearray(body), body.decode()):
        assert wire.loads(given) == PLAIN
    for given in (kombus, memoryview(kombus), kombus.decode()):
        assert wire.loads(given) == TAGGED


def test_a_body_that_is_not_json_is_a_decode_error_as_with_kombu():
    for body in (b"{not json", b" {not json"):
        with pytest.raises(ValueError):
            wire.loads(body)


def test_plain_json_is_none_for_what_is_not_plain():
    assert wire.plain_json({"a": [1, 2.5, "x", None, True]}) == b'{"a":[1,2.5,"x",null,true]}'
    for value in UNUSUAL + [{"when": datetime.datetime(2026, 1, 1)}, {"s": {1, 2}}]:
        assert wire.plain_json(value) is None


CONFIGS = sorted(
    glob.glob(os.path.join(ROOT, "services", "*", "config.yml")) + [os.path.join(ROOT, "gateway", "config.yml")]
)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: os.path.relpath(path, ROOT))
def test_every_process_registers_it_as_kombus_json(path):
    registry = kombu.serialization.registry
    encoder, decoder = registry._encoders["json"], registry._decoders["application/json"]
    try:
        serializer, accept = serialization.setup(load_config(path))  # what a nameko container does
        assert (serializer, accept) == ("json", ["json"])
        content_type, encoding, body = kombu.serialization.dumps(PLAIN, "json")
        assert (content_type, encoding) == ("application/json", "utf-8")
        assert body == wire.dumps(PLAIN)
        assert kombu.serialization.loads(wire.dumps(TAGGED), content_type, encoding) == TAGGED
    finally:  # as this process had it
        registry._encoders["json"], registry._decoders["application/json"] = encoder, decoder
