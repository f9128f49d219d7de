"""Potential rating: a stored score per customer, stars derived at query time.

score = points of the customer's groups + points of its ``done`` activities.  It is kept
up to date by adding deltas, set-based, wherever one of those changes (group membership,
group points, activity status or type, activity type points); the row locks taken on
groups and activity types (``FOR SHARE`` by who reads their points, ``FOR UPDATE`` by who
changes them) keep concurrent changes from adding a stale value.

Stars are the number of thresholds the score reaches (the thresholds are strictly
increasing), so changing the thresholds needs no recomputation: a stars filter is a
union of score ranges over the score index.
"""

import json

from sqlalchemy import Text, and_, cast, func, or_, select, update

from services.core.actor import require_actor, require_admin
from services.core.contracts.customers import PotentialRating
from services.core.schemas import load
from services.customers.models import (
    Activity,
    ActivityType,
    Customer,
    CustomerGroup,
    Setting,
    customer_table,
    group_members,
)

SETTING_KEY = "potential_rating"
DEFAULT_THRESHOLDS = (10, 20, 40, 70, 100)
DONE = "done"


# -- stars -------------------------------------------------------------------


def stars(score, thresholds):
    """The highest level whose minimum the score reaches (0 below the 1-star minimum)."""
    return sum(1 for minimum in thresholds if score >= minimum)


def score_ranges(levels, thresholds):
    """The score ranges ``[low, high)`` of the given star levels, merged; None = unbounded."""
    bounds = [None] + list(thresholds) + [None]  # level k covers [bounds[k], bounds[k + 1])
    ranges = []
    for level in sorted(set(levels)):
        low, high = bounds[level], bounds[level + 1]
        if ranges and ranges[-1][1] == low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges


def stars_condition(levels, thresholds, score=customer_table.c.score):
    """SQL: the customer has one of the given star levels."""
    conditions = []
    for low, high in score_ranges(levels, thresholds):
        bounds = ([score >= low] if low is not None else []) + ([score < high] if high is not None else [])
        conditions.append(and_(*bounds))
    return or_(*conditions)


def stored_setting():
    """SQL: the stored setting (its JSON text, NULL when never set), to read in the statement that
    needs the thresholds: no statement of its own, and never a stale copy (an instance that kept the
    thresholds in memory would have to hear of every change an admin makes through any instance).
    Text, not JSONB: a column of every row of a page, parsed once (:func:`thresholds_of`), not by
    the driver in each row."""
    return cast(select(Setting.value).where(Setting.key == SETTING_KEY).scalar_subquery(), Text)


def thresholds_of(value):
    """The thresholds of a stored setting (:func:`stored_setting`'s text, or the column's value):
    the defaults when never set."""
    if isinstance(value, str):
        value = json.loads(value)
    return list(value["thresholds"]) if value else list(DEFAULT_THRESHOLDS)


def thresholds(session):
    return thresholds_of(session.scalar(select(Setting.value).where(Setting.key == SETTING_KEY)))


def get_settings(uow):
    require_actor(uow.actor)
    with uow:
        return {"thresholds": thresholds(uow.session)}


def set_settings(uow, data):
    require_admin(uow.actor)
    data = load(PotentialRating(), data)
    with uow:
        setting = uow.session.get(Setting, SETTING_KEY)
        if setting is None:
            uow.session.add(Setting(key=SETTING_KEY, value={"thresholds": data["thresholds"]}))
        else:
            setting.value = {"thresholds": data["thresholds"]}
        uow.commit()
    return {"thresholds": data["thresholds"]}


# -- keeping the score ---------------------------------------------------------


def activity_points(status, points):
    """What one activity adds to its customer's score."""
    return points if status == DONE else 0


def add_to_score(session, customer_id, delta):
    if delta:
        session.execute(update(Customer).where(Customer.id == customer_id).values(score=Customer.score + delta))


def group_points_changed(session, group_id, delta):
    """Every member of the group gains ``delta`` (the group row is locked by the caller)."""
    if delta:
        members = select(group_members.c.customer_id).where(group_members.c.group_id == group_id)
        session.execute(
            update(customer_table).where(customer_table.c.id.in_(members)).values(score=customer_table.c.score + delta)
        )


def activity_type_points_changed(session, type_id, delta):
    """Each done activity of the type adds ``delta`` to its customer (the type row is locked by the caller)."""
    if delta:
        done = (
            select(Activity.customer_id, func.count().label("n"))
            .where(Activity.type_id == type_id, Activity.status == DONE)
            .group_by(Activity.customer_id)
            .subquery()
        )
        session.execute(
            update(customer_table)
            .where(customer_table.c.id == done.c.customer_id)
            .values(score=customer_table.c.score + delta * done.c.n)
        )


def lock_group_points(session, group_ids=None):
    """Read the points of the groups (all groups when None), holding them until commit."""
    query = select(CustomerGroup.id, CustomerGroup.points).order_by(CustomerGroup.id).with_for_update(read=True)
    if group_ids is not None:
        query = query.where(CustomerGroup.id.in_(list(group_ids)))
    return dict(session.execute(query).all())


def computed_scores(customer_ids=None):
    """SQL: (customer_id, score) computed from scratch; the reference the stored score must equal."""
    group_points = (
        select(group_members.c.customer_id, func.sum(CustomerGroup.points).label("points"))
        .join(CustomerGroup, CustomerGroup.id == group_members.c.group_id)
        .group_by(group_members.c.customer_id)
        .subquery()
    )
    activity_points_ = (
        select(Activity.customer_id, func.sum(ActivityType.points).label("points"))
        .join(ActivityType, ActivityType.id == Activity.type_id)
        .where(Activity.status == DONE)
        .group_by(Activity.customer_id)
        .subquery()
    )
    query = (
        select(
            customer_table.c.id,
            (func.coalesce(group_points.c.points, 0) + func.coalesce(activity_points_.c.points, 0)).label("score"),
        )
        .outerjoin(group_points, group_points.c.customer_id == customer_table.c.id)
        .outerjoin(activity_points_, activity_points_.c.customer_id == customer_table.c.id)
    )
    if customer_ids is not None:
        query = query.where(customer_table.c.id.in_(list(customer_ids)))
    return query
