"""Brandnames: the SMS sender names an admin configures, for customer care or advertising."""

from sqlalchemy import func, select

from services.core.actor import require_actor, require_admin
from services.core.contracts.notifications import Brandname as BrandnameSchema
from services.core.contracts.notifications import BrandnameQuery
from services.core.db import flush_unique
from services.core.schemas import load, paginate
from services.notifications import exceptions
from services.notifications.models import Brandname

brandname_schema = BrandnameSchema()


def list_brandnames(uow, query):
    require_actor(uow.actor)  # everyone sending SMS chooses one
    query = load(BrandnameQuery(), query)
    statement = select(Brandname).order_by(Brandname.name)
    if "kind" in query:
        statement = statement.where(Brandname.kind == query["kind"])
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], brandname_schema.dump)


def create_brandname(uow, data):
    require_admin(uow.actor)
    data = load(brandname_schema, data)
    with uow:
        if uow.session.scalar(select(Brandname.id).where(func.lower(Brandname.name) == data["name"].lower())):
            raise exceptions.BrandnameTaken()
        brandname = Brandname(name=data["name"], kind=data["kind"], sender=data["sender"])
        uow.session.add(brandname)
        flush_unique(uow.session, exceptions.BrandnameTaken)
        uow.commit()
    return brandname_schema.dump(brandname)


def find_brandname(session, name):
    brandname = session.scalar(select(Brandname).where(func.lower(Brandname.name) == str(name).lower()))
    if brandname is None:
        raise exceptions.BrandnameNotFound(fields={"brandname": ["No such brandname: {}.".format(name)]})
    return brandname
