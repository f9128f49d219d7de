"""Records related to a customer (activities; contracts, quotes, opportunities, orders, documents).

Each has its own owner and shares.  Visible with its customer, or to its owner, or to whom it
is shared with; editable by who may edit its customer, by its owner, or through an
``edit`` share.  Activities carry rating points: a ``done`` activity adds its type's
points to the customer's score.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select

from services.core.actor import require_actor, require_role
from services.core.contracts.common import PageQuery
from services.core.contracts.customers import Activity as ActivitySchema
from services.core.contracts.customers import ActivityQuery, RecordQuery
from services.core.contracts.customers import ActivityType as ActivityTypeSchema
from services.core.contracts.customers import Record as RecordSchema
from services.core.db import flush_unique
from services.core.schemas import load, paginate
from services.customers import exceptions, people, rating
from services.customers.customers import editable_customer, visible_customer
from services.customers.models import Activity, ActivityType, Record, activity_shares, record_shares
from services.customers.sharing import shares_of
from services.customers.visibility import related_rule

activity_type_schema = ActivityTypeSchema()


@dataclass(frozen=True)
class Kind:
    """How one kind of related record is stored and checked."""

    model: type
    shares: object
    share_column: str
    schema: object
    not_found: type
    cannot_edit: type

    def dump(self, session, rows):
        shares = shares_of(session, self.shares, self.share_column, [row.id for row in rows])
        return [dict(self.schema.dump(row), shares=shares[row.id]) for row in rows]

    def visible_one(self, session, actor, object_id, lock=False):
        require_actor(actor)
        table = self.model.__table__
        query = select(self.model).where(
            self.model.id == object_id, related_rule(actor, table, self.shares, self.share_column)
        )
        if lock:
            query = query.with_for_update(of=self.model)
        found = session.scalar(query)
        if found is None:
            raise self.not_found()
        return found

    def editable_one(self, session, actor, object_id):
        found = self.visible_one(session, actor, object_id, lock=True)
        table = self.model.__table__
        rule = related_rule(actor, table, self.shares, self.share_column, ("edit",))
        if not session.scalar(select(exists().where(table.c.id == object_id, rule))):
            raise self.cannot_edit()
        return found

    def list_for(self, session, actor, customer_id, query, schema, **filters):
        customer = visible_customer(session, actor, customer_id)
        query = load(schema, query)
        statement = select(self.model).where(self.model.customer_id == customer.id).order_by(self.model.id)
        for key, column in filters.items():
            if key in query:
                statement = statement.where(column == query[key])
        page = paginate(session, statement, query["page"], query["page_size"], lambda row: row)
        page["items"] = self.dump(session, page["items"])
        return page


ACTIVITIES = Kind(
    Activity,
    activity_shares,
    "activity_id",
    ActivitySchema(),
    exceptions.ActivityNotFound,
    exceptions.CannotEditActivity,
)
RECORDS = Kind(
    Record, record_shares, "record_id", RecordSchema(), exceptions.RecordNotFound, exceptions.CannotEditRecord
)


def _owner_id(directory, actor, requested):
    """The owner of a new or re-assigned record: the actor, or an active user they name."""
    if requested is None or requested == actor.id:
        return actor.id
    return people.active_owner(directory, requested).user_id


# -- activity types --------------------------------------------------------------


def list_activity_types(session, actor, query):
    require_actor(actor)
    query = load(PageQuery(), query)
    return paginate(
        session,
        select(ActivityType).order_by(ActivityType.id),
        query["page"],
        query["page_size"],
        activity_type_schema.dump,
    )


def create_activity_type(session, actor, data):
    require_role(actor, "admin")
    data = load(activity_type_schema, data)
    activity_type = ActivityType(**data)
    session.add(activity_type)
    flush_unique(session, exceptions.ActivityTypeNameTaken)
    session.commit()
    return activity_type_schema.dump(activity_type)


def update_activity_type(session, actor, type_id, data):
    require_role(actor, "admin")
    data = load(activity_type_schema, data, partial=True)
    activity_type = session.scalar(select(ActivityType).where(ActivityType.id == type_id).with_for_update())
    if activity_type is None:
        raise exceptions.ActivityTypeNotFound()
    if "points" in data:
        rating.activity_type_points_changed(session, activity_type.id, data["points"] - activity_type.points)
    for key, value in data.items():
        setattr(activity_type, key, value)
    flush_unique(session, exceptions.ActivityTypeNameTaken)
    session.commit()
    return activity_type_schema.dump(activity_type)


def _type_points(session, type_id):
    """The points of an activity type, held (FOR SHARE) until commit so they cannot change under us."""
    points = session.scalar(select(ActivityType.points).where(ActivityType.id == type_id).with_for_update(read=True))
    if points is None:
        raise exceptions.ActivityTypeNotFound(fields={"type_id": ["No such activity type."]})
    return points


# -- activities --------------------------------------------------------------------


def list_activities(session, actor, customer_id, query):
    return ACTIVITIES.list_for(session, actor, customer_id, query, ActivityQuery(), status=Activity.status)


def create_activity(session, directory, actor, customer_id, data):
    data = load(ACTIVITIES.schema, data)
    customer = editable_customer(session, actor, customer_id)
    points = _type_points(session, data["type_id"])
    data["owner_id"] = _owner_id(directory, actor, data["owner_id"])
    activity = Activity(customer_id=customer.id, **data)
    session.add(activity)
    rating.add_to_score(session, customer.id, rating.activity_points(activity.status, points))
    session.flush()
    (body,) = ACTIVITIES.dump(session, [activity])
    session.commit()
    return body


def get_activity(session, actor, activity_id):
    return ACTIVITIES.dump(session, [ACTIVITIES.visible_one(session, actor, activity_id)])[0]


def update_activity(session, directory, actor, activity_id, data):
    data = load(ACTIVITIES.schema, data, partial=True)
    activity = ACTIVITIES.editable_one(session, actor, activity_id)
    before = rating.activity_points(activity.status, _type_points(session, activity.type_id))
    if "owner_id" in data:
        data["owner_id"] = _owner_id(directory, actor, data["owner_id"])
    for key, value in data.items():
        setattr(activity, key, value)
    after = rating.activity_points(activity.status, _type_points(session, activity.type_id))
    rating.add_to_score(session, activity.customer_id, after - before)
    session.flush()
    (body,) = ACTIVITIES.dump(session, [activity])
    session.commit()
    return body


# -- records -----------------------------------------------------------------------


def _check_amount(data):
    if data.get("kind") == "document" and data.get("amount") is not None:
        raise exceptions.AmountNotApplicable(fields={"amount": ["A document has no amount."]})


def list_records(session, actor, customer_id, query):
    return RECORDS.list_for(session, actor, customer_id, query, RecordQuery(), kind=Record.kind)


def create_record(session, directory, actor, customer_id, data):
    data = load(RECORDS.schema, data)
    _check_amount(data)
    customer = editable_customer(session, actor, customer_id)
    data["owner_id"] = _owner_id(directory, actor, data["owner_id"])
    record = Record(customer_id=customer.id, **data)
    session.add(record)
    session.flush()
    (body,) = RECORDS.dump(session, [record])
    session.commit()
    return body


def get_record(session, actor, record_id):
    return RECORDS.dump(session, [RECORDS.visible_one(session, actor, record_id)])[0]


def update_record(session, directory, actor, record_id, data):
    data = load(RECORDS.schema, data, partial=True)
    record = RECORDS.editable_one(session, actor, record_id)
    _check_amount({"kind": data.get("kind", record.kind), "amount": data.get("amount", record.amount)})
    if "owner_id" in data:
        data["owner_id"] = _owner_id(directory, actor, data["owner_id"])
    for key, value in data.items():
        setattr(record, key, value)
    session.flush()
    (body,) = RECORDS.dump(session, [record])
    session.commit()
    return body
