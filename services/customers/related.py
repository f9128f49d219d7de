"""Records related to a customer (activities; contracts, quotes, opportunities, orders, documents).

Each has its own owner and shares.  Visible with its customer, or to its owner, or to whom it
is shared with; editable by who may edit its customer, by its owner, or through an
``edit`` share.  Activities carry rating points: a ``done`` activity adds its type's
points to the customer's score.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select

from services.core.actor import require_actor, require_admin
from services.core.contracts.common import PageQuery
from services.core.contracts.customers import Activity as ActivitySchema
from services.core.contracts.customers import ActivityQuery, RecordQuery
from services.core.contracts.customers import ActivityType as ActivityTypeSchema
from services.core.contracts.customers import Record as RecordSchema
from services.core.db import flush_unique
from services.core.schemas import load, paginate
from services.customers import directory_answers, exceptions, rating
from services.customers.models import Activity, ActivityType, Record, activity_shares, record_shares
from services.customers.profiles import editable_customer, visible_customer
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

    def editable_one(self, session, actor, object_id, lock=True):
        found = self.visible_one(session, actor, object_id, lock=lock)
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


def _owner_id(uow, requested, check):
    """The owner of a new or re-assigned record: the actor, or an active user they name.

    Naming someone else asks the directory, which no open transaction may wait for: ``check``
    (the checks that come first, in a block of their own) runs, the block ends, then the
    directory is asked; the caller's next block checks everything again under its locks.
    """
    actor = require_actor(uow.actor)
    if requested is None or requested == actor.id:
        return actor.id
    with uow:
        check(uow.session)
    return directory_answers.active_owner(uow.services.directory, requested).user_id


# -- activity types --------------------------------------------------------------


def list_activity_types(uow, query):
    require_actor(uow.actor)
    query = load(PageQuery(), query)
    with uow:
        return paginate(
            uow.session,
            select(ActivityType).order_by(ActivityType.id),
            query["page"],
            query["page_size"],
            activity_type_schema.dump,
        )


def create_activity_type(uow, data):
    require_admin(uow.actor)
    data = load(activity_type_schema, data)
    with uow:
        activity_type = ActivityType(**data)
        uow.session.add(activity_type)
        flush_unique(uow.session, exceptions.ActivityTypeNameTaken)
        body = activity_type_schema.dump(activity_type)
        uow.commit()
    return body


def update_activity_type(uow, type_id, data):
    require_admin(uow.actor)
    data = load(activity_type_schema, data, partial=True)
    with uow:
        session = uow.session
        activity_type = session.scalar(select(ActivityType).where(ActivityType.id == type_id).with_for_update())
        if activity_type is None:
            raise exceptions.ActivityTypeNotFound()
        if "points" in data:
            rating.activity_type_points_changed(session, activity_type.id, data["points"] - activity_type.points)
        for key, value in data.items():
            setattr(activity_type, key, value)
        flush_unique(session, exceptions.ActivityTypeNameTaken)
        body = activity_type_schema.dump(activity_type)
        uow.commit()
    return body


def _type_points(session, type_id, lock=True):
    """The points of an activity type; ``lock``: held (FOR SHARE) until commit so they cannot change under us."""
    query = select(ActivityType.points).where(ActivityType.id == type_id)
    points = session.scalar(query.with_for_update(read=True) if lock else query)
    if points is None:
        raise exceptions.ActivityTypeNotFound(fields={"type_id": ["No such activity type."]})
    return points


# -- activities --------------------------------------------------------------------


def list_activities(uow, customer_id, query):
    with uow:
        return ACTIVITIES.list_for(uow.session, uow.actor, customer_id, query, ActivityQuery(), status=Activity.status)


def create_activity(uow, customer_id, data):
    actor = uow.actor
    data = load(ACTIVITIES.schema, data)

    def check(session):
        editable_customer(session, actor, customer_id)
        _type_points(session, data["type_id"], lock=False)

    data["owner_id"] = _owner_id(uow, data["owner_id"], check)
    with uow:
        session = uow.session
        customer = editable_customer(session, actor, customer_id)
        points = _type_points(session, data["type_id"])
        activity = Activity(customer_id=customer.id, **data)
        session.add(activity)
        rating.add_to_score(session, customer.id, rating.activity_points(activity.status, points))
        session.flush()
        (body,) = ACTIVITIES.dump(session, [activity])
        uow.commit()
    return body


def get_activity(uow, activity_id):
    with uow:
        return ACTIVITIES.dump(uow.session, [ACTIVITIES.visible_one(uow.session, uow.actor, activity_id)])[0]


def update_activity(uow, activity_id, data):
    actor = uow.actor
    data = load(ACTIVITIES.schema, data, partial=True)
    if "owner_id" in data:

        def check(session):
            activity = ACTIVITIES.editable_one(session, actor, activity_id, lock=False)
            _type_points(session, activity.type_id, lock=False)

        data["owner_id"] = _owner_id(uow, data["owner_id"], check)
    with uow:
        session = uow.session
        activity = ACTIVITIES.editable_one(session, actor, activity_id)
        before = rating.activity_points(activity.status, _type_points(session, activity.type_id))
        for key, value in data.items():
            setattr(activity, key, value)
        after = rating.activity_points(activity.status, _type_points(session, activity.type_id))
        rating.add_to_score(session, activity.customer_id, after - before)
        session.flush()
        (body,) = ACTIVITIES.dump(session, [activity])
        uow.commit()
    return body


# -- records -----------------------------------------------------------------------


def _check_amount(data):
    if data.get("kind") == "document" and data.get("amount") is not None:
        raise exceptions.AmountNotApplicable(fields={"amount": ["A document has no amount."]})


def list_records(uow, customer_id, query):
    with uow:
        return RECORDS.list_for(uow.session, uow.actor, customer_id, query, RecordQuery(), kind=Record.kind)


def create_record(uow, customer_id, data):
    actor = uow.actor
    data = load(RECORDS.schema, data)
    _check_amount(data)
    data["owner_id"] = _owner_id(uow, data["owner_id"], lambda session: editable_customer(session, actor, customer_id))
    with uow:
        session = uow.session
        customer = editable_customer(session, actor, customer_id)
        record = Record(customer_id=customer.id, **data)
        session.add(record)
        session.flush()
        (body,) = RECORDS.dump(session, [record])
        uow.commit()
    return body


def get_record(uow, record_id):
    with uow:
        return RECORDS.dump(uow.session, [RECORDS.visible_one(uow.session, uow.actor, record_id)])[0]


def update_record(uow, record_id, data):
    actor = uow.actor
    data = load(RECORDS.schema, data, partial=True)

    def check_amount(record):
        _check_amount({"kind": data.get("kind", record.kind), "amount": data.get("amount", record.amount)})

    if "owner_id" in data:

        def check(session):
            check_amount(RECORDS.editable_one(session, actor, record_id, lock=False))

        data["owner_id"] = _owner_id(uow, data["owner_id"], check)
    with uow:
        session = uow.session
        record = RECORDS.editable_one(session, actor, record_id)
        check_amount(record)
        for key, value in data.items():
            setattr(record, key, value)
        session.flush()
        (body,) = RECORDS.dump(session, [record])
        uow.commit()
    return body
