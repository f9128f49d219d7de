"""Who is asking.

The gateway authenticates a request and puts the actor in nameko context data
under ``actor``; nameko copies context data into the headers of every RPC call
and event a worker makes, so the actor travels with the whole call chain.  The
:class:`CurrentActor` dependency gives a worker the :class:`Actor` (or None for
system work such as timers).
"""

import logging
from dataclasses import asdict, dataclass, field

from nameko.extensions import DependencyProvider

from services.core.errors import Forbidden, Unauthenticated

log = logging.getLogger(__name__)

CONTEXT_KEY = "actor"

ADMIN = "admin"
ACCOUNTANT = "accountant"
STAFF = "staff"
ROLES = (ADMIN, ACCOUNTANT, STAFF)


@dataclass(frozen=True)
class Actor:
    id: int
    username: str = ""
    department_id: int | None = None
    roles: tuple = (STAFF,)
    managed_department_ids: tuple = field(default_factory=tuple)

    @property
    def is_admin(self):
        return ADMIN in self.roles

    def has_role(self, *roles):
        return any(role in self.roles for role in roles)

    def to_context(self):
        data = asdict(self)
        data["roles"] = list(self.roles)
        data["managed_department_ids"] = list(self.managed_department_ids)
        return data

    @classmethod
    def from_context(cls, data):
        if not data:
            return None
        return cls(
            id=int(data["id"]),
            username=data.get("username", ""),
            department_id=data.get("department_id"),
            roles=tuple(data.get("roles") or (STAFF,)),
            managed_department_ids=tuple(data.get("managed_department_ids") or ()),
        )


def require_actor(actor):
    if actor is None:
        raise Unauthenticated()
    return actor


def require_role(actor, *roles):
    """The actor, if it has one of ``roles``; else 403 ``ROLE_REQUIRED`` naming them (every service)."""
    require_actor(actor)
    if not actor.has_role(*roles):
        raise Forbidden(
            "This action needs the role: {}.".format(" or ".join(roles)),
            code="ROLE_REQUIRED",
        )
    return actor


def require_admin(actor):
    """The actor, if an admin; else 403 ``ROLE_REQUIRED`` ("This action needs the role: admin.")."""
    return require_role(actor, ADMIN)


def actor_of(worker_ctx):
    """The actor of a worker's call, read from its context data (None: system work or malformed)."""
    data = worker_ctx.context_data.get(CONTEXT_KEY)
    try:
        return Actor.from_context(data)
    except (TypeError, KeyError, ValueError):
        log.warning("ignoring malformed actor in context data: %r", data)
        return None


class CurrentActor(DependencyProvider):
    """The actor of the worker's call, read from its context data."""

    def get_dependency(self, worker_ctx):
        return actor_of(worker_ctx)
