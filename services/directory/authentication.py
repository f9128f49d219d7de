"""Who a user is: the password check at login, and the actor the gateway puts in context data."""

from sqlalchemy import select

from services.core.actor import Actor
from services.directory import exceptions
from services.directory.models import User
from services.directory.passwords import hash_password, needs_rehash, verify_password
from services.directory.users import dump_me


def actor_context(user):
    """What the gateway puts in context data for this user (read back by ``Actor.from_context``),
    with the user's ``token_version``: the gateway checks it against the token's, then drops it."""
    context = Actor(
        id=user.id,
        username=user.username,
        department_id=user.department_id,
        roles=tuple(user.roles),
        managed_department_ids=tuple(user.managed_department_ids),
    ).to_context()
    return dict(context, token_version=user.token_version)


def authenticate(uow, username, password):
    """The actor of the user with this username and password; a hash made with older parameters
    is upgraded on the way."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == str(username).lower()))
        ok = verify_password(user.password_hash if user else None, str(password))
        if user is None or not ok or not user.active:
            raise exceptions.InvalidCredentials()
        context = actor_context(user)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            uow.commit()
    return context


def get_actor(uow, user_id, profile=False):
    """The actor of an active user (the gateway, for a request whose user it does not keep), with
    the user's ``/me`` page under ``profile`` when asked (the gateway keeps both)."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None or not user.active:
            raise exceptions.InvalidCredentials("This account does not exist or is deactivated.")
        context = actor_context(user)
        if profile:
            context["profile"] = dump_me(user)
        return context
