"""Opt-outs: addresses that never receive messages of a channel."""

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from services.core.actor import require_actor, require_admin
from services.core.contracts.notifications import OptOut as OptOutSchema
from services.core.contracts.notifications import OptOutKey, OptOutQuery
from services.core.schemas import load, paginate
from services.notifications import exceptions
from services.notifications.addresses import normalize
from services.notifications.models import OptOut

opt_out_schema = OptOutSchema()


def _address(channel, address, settings):
    normalized = normalize(channel, address, settings.country_code)
    if normalized is None:
        raise exceptions.InvalidAddress(
            fields={"address": ["Not a valid {}.".format("phone number" if channel == "sms" else "email address")]}
        )
    return normalized


def list_opt_outs(uow, query, settings):
    require_actor(uow.actor)
    query = load(OptOutQuery(), query)
    statement = select(OptOut).order_by(OptOut.id)
    if "channel" in query:
        statement = statement.where(OptOut.channel == query["channel"])
    if query.get("address"):
        channel = query.get("channel")
        candidates = {
            normalize(c, query["address"], settings.country_code) for c in ([channel] if channel else ["sms", "email"])
        }
        statement = statement.where(OptOut.address.in_([c for c in candidates if c] or [query["address"]]))
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], opt_out_schema.dump)


def add_opt_out(uow, data, settings):
    """Anyone may record that an address asked to receive nothing more (idempotent)."""
    actor = require_actor(uow.actor)
    data = load(opt_out_schema, data)
    address = _address(data["channel"], data["address"], settings)
    with uow:
        uow.session.execute(
            insert(OptOut)
            .values(channel=data["channel"], address=address, created_by=actor.id)
            .on_conflict_do_nothing()
        )
        opt_out = uow.session.scalar(select(OptOut).where(OptOut.channel == data["channel"], OptOut.address == address))
        uow.commit()
    return opt_out_schema.dump(opt_out)


def remove_opt_out(uow, data, settings):
    """Only an admin may let messages reach an opted-out address again."""
    require_admin(uow.actor)
    data = load(OptOutKey(), data)
    address = _address(data["channel"], data["address"], settings)
    with uow:
        removed = uow.session.execute(
            delete(OptOut).where(OptOut.channel == data["channel"], OptOut.address == address)
        )
        if not removed.rowcount:
            raise exceptions.OptOutNotFound()
        uow.commit()


def opted_out(session, channel, addresses):
    """The subset of ``addresses`` opted out of ``channel``."""
    addresses = list(set(addresses))
    found = set()
    for start in range(0, len(addresses), 5000):
        chunk = addresses[start : start + 5000]
        found.update(
            session.scalars(
                select(OptOut.address).where(tuple_(OptOut.channel, OptOut.address).in_([(channel, a) for a in chunk]))
            ).all()
        )
    return found
