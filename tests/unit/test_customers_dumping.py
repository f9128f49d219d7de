"""The customers service's fast dump of rows gives what the contract schema's own dump gives."""

import datetime

import pytest
from marshmallow import Schema, fields

from services.core.contracts.customers import Customer as CustomerSchema
from services.customers.dumping import row_dumper

MOMENT = datetime.datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=datetime.UTC)
FULL = {
    "id": 7,
    "code": "KH000007",
    "name": "Công ty Ánh Dương",
    "kind": "company",
    "phone": "0901234567",
    "email": "a@example.com",
    "address": "12 Lê Lợi",
    "source": "fair",
    "note": "call back",
    "owner_id": 3,
    "owner_department_id": 10,
    "group_ids": [1, 4, 9],
    "score": 45,
    "stars": 3,
    "created_at": MOMENT,
    "updated_at": MOMENT + datetime.timedelta(days=400, hours=13),
}
SPARSE = dict(
    FULL, phone=None, email=None, address=None, source=None, note=None, owner_department_id=None, group_ids=[]
)


@pytest.mark.parametrize("values", [FULL, SPARSE], ids=["every field", "nulls and no groups"])
def test_a_row_dumps_as_the_schema_dumps_it(values):
    schema = CustomerSchema()
    assert row_dumper(schema)(dict(values, rating_setting={"thresholds": [1]})) == schema.dump(values)
    assert list(row_dumper(schema)(values)) == list(schema.dump(values))  # same keys, same order


def test_every_field_must_have_a_value():
    with pytest.raises(KeyError):
        row_dumper(CustomerSchema())({key: value for key, value in FULL.items() if key != "stars"})


def test_fields_that_are_not_read_straight_from_the_row_are_refused():
    class Computed(Schema):
        id = fields.Integer()
        label = fields.Method("make_label")

        def make_label(self, obj):
            return "#{}".format(obj["id"])

    class Renamed(Schema):
        id = fields.Integer(attribute="pk")

    class Defaulted(Schema):
        id = fields.Integer(dump_default=0)

    for schema in (Computed, Renamed, Defaulted):
        with pytest.raises(ValueError):
            row_dumper(schema())
