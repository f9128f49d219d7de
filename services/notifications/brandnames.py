"""Brandnames: the SMS sender names an admin configures, for customer care or advertising."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.core.actor import require_actor
from services.core.contracts.notifications import Brandname as BrandnameSchema
from services.core.contracts.notifications import BrandnameQuery
from services.core.schemas import load, paginate
from services.notifications import exceptions
from services.notifications.models import Brandname

brandname_schema = BrandnameSchema()


def require_admin(actor):
    require_actor(actor)
    if not actor.is_admin:
        raise exceptions.NotAdmin()


def list_brandnames(session, actor, query):
    require_actor(actor)  # everyone sending SMS chooses one
    query = load(BrandnameQuery(), query)
    statement = select(Brandname).order_by(Brandname.name)
    if "kind" in query:
        statement = statement.where(Brandname.kind == query["kind"])
    return paginate(session, statement, query["page"], query["page_size"], brandname_schema.dump)


def create_brandname(session, actor, data):
    require_admin(actor)
    data = load(brandname_schema, data)
    if session.scalar(select(Brandname.id).where(func.lower(Brandname.name) == data["name"].lower())):
        raise exceptions.BrandnameTaken()
    brandname = Brandname(name=data["name"], kind=data["kind"], sender=data["sender"])
    session.add(brandname)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise exceptions.BrandnameTaken() from exc
    session.commit()
    return brandname_schema.dump(brandname)


def find_brandname(session, name):
    brandname = session.scalar(select(Brandname).where(func.lower(Brandname.name) == str(name).lower()))
    if brandname is None:
        raise exceptions.BrandnameNotFound(fields={"brandname": ["No such brandname: {}.".format(name)]})
    return brandname
