"""Users: the directory's list, each user's own page (``me``), administration by admins, the
first admin, and what other services ask about users (members of departments, contacts)."""

from sqlalchemy import func, or_, select

from services.core.actor import ADMIN, require_actor, require_admin
from services.core.contracts.directory import Me, UserQuery
from services.core.contracts.directory import User as UserSchema
from services.core.db import flush_unique
from services.core.errors import InvalidInput
from services.core.schemas import contains, load, paginate
from services.directory import actor_changes, exceptions
from services.directory.models import Department, User
from services.directory.passwords import hash_password, verify_password

user_schema = UserSchema()
me_schema = Me()

SELF_EDITABLE = {"password", "current_password", "full_name", "email", "phone"}


def dump_user(user):
    return user_schema.dump(user)


def dump_me(user):
    """A user's own page (``/me``): the user and the departments they manage."""
    return me_schema.dump(user)


def _user(session, user_id):
    user = session.get(User, user_id)
    if user is None:
        raise exceptions.UserNotFound()
    return user


def _check_department(session, department_id):
    if department_id is not None and session.get(Department, department_id) is None:
        raise exceptions.DepartmentNotFound(fields={"department_id": ["No such department."]})


def me(uow):
    actor = require_actor(uow.actor)
    with uow:
        return dump_me(_user(uow.session, actor.id))


def list_users(uow, query):
    require_actor(uow.actor)
    query = load(UserQuery(), query)
    statement = select(User).order_by(User.id)
    if query.get("q"):
        statement = statement.where(or_(contains(User.username, query["q"]), contains(User.full_name, query["q"])))
    if "department_id" in query:
        statement = statement.where(User.department_id == query["department_id"])
    if "active" in query:
        statement = statement.where(User.active == query["active"])
    if "role" in query:
        statement = statement.where(User.roles.any(query["role"]))
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], dump_user)


def get_user(uow, user_id):
    require_actor(uow.actor)
    with uow:
        return dump_user(_user(uow.session, user_id))


def create_user(uow, data):
    require_admin(uow.actor)
    data = load(user_schema, data)
    if "current_password" in data:
        raise InvalidInput(fields={"current_password": ["Only to change your own password."]})
    password_hash = hash_password(data["password"])
    with uow:
        _check_department(uow.session, data["department_id"])
        user = User(
            username=data["username"].lower(),
            password_hash=password_hash,
            full_name=data["full_name"],
            email=data["email"],
            phone=data["phone"],
            department_id=data["department_id"],
            roles=sorted(set(data["roles"])),
            active=data["active"],
        )
        uow.session.add(user)
        flush_unique(uow.session, exceptions.UsernameTaken)
        body = dump_user(user)
        uow.commit()
    return body


def update_user(uow, user_id, data):
    """An admin changes anything; a user changes their own name, email, phone and password."""
    actor = require_actor(uow.actor)
    data = load(user_schema, data, partial=True)
    if not actor.is_admin and (actor.id != user_id or set(data) - SELF_EDITABLE):
        raise exceptions.OnlyAdminMayChange()
    if actor.id == user_id and (data.get("active") is False or ("roles" in data and ADMIN not in data["roles"])):
        raise exceptions.OwnAdminAccount()
    current_password = data.pop("current_password", None)
    if "password" not in data and current_password is not None:
        raise InvalidInput(fields={"current_password": ["Only together with a new password."]})
    if "password" in data and actor.id != user_id and current_password is not None:
        raise InvalidInput(fields={"current_password": ["Only to change your own password."]})
    if "password" in data:
        data["password_hash"] = hash_password(data.pop("password"))
    if "username" in data:
        data["username"] = data["username"].lower()
    if "roles" in data:
        data["roles"] = sorted(set(data["roles"]))
    with uow:
        session = uow.session
        user = _user(session, user_id)
        before = actor_changes.snapshot(user)
        previous_department_id = user.department_id
        if "department_id" in data:
            _check_department(session, data["department_id"])
        if "password_hash" in data:
            if actor.id == user_id:
                _check_current_password(user, current_password)
            user.token_version += 1  # every token given before the change ends
        if data.get("active") is False and user.active:
            user.token_version += 1
        for key, value in data.items():
            setattr(user, key, value)
        flush_unique(session, exceptions.UsernameTaken)
        if _active_admins(session) == 0:
            raise exceptions.LastAdmin()
        if user.department_id != previous_department_id:
            # others keep a user's department (customers: the owner's department, which its managers see by)
            uow.record_event(
                "user_department_changed",
                {
                    "user_id": user.id,
                    "department_id": user.department_id,
                    "previous_department_id": previous_department_id,
                },
            )
        changes = actor_changes.user_changes(before, actor_changes.snapshot(user), "password_hash" in data)
        if changes:  # every gateway forgets the actor and profile it keeps of this user
            uow.record_event(actor_changes.EVENT, actor_changes.event_data([user.id], changes))
        body = dump_user(user)
        uow.commit()
    return body


def _check_current_password(user, current_password):
    """Changing one's own password needs the current one: a stolen token alone cannot take the account."""
    if current_password is None:
        raise InvalidInput(fields={"current_password": ["Give your current password to change it."]})
    if not verify_password(user.password_hash, current_password):
        raise exceptions.WrongCurrentPassword(fields={"current_password": ["Wrong password."]})


def _active_admins(session):
    return session.scalar(select(func.count()).select_from(User).where(User.active, User.roles.any(ADMIN)))


def ensure_admin(uow, username, password):
    """Create the first admin if no user has this username (used by ``make run``)."""
    username = username.lower()
    with uow:
        if uow.session.scalar(select(User).where(User.username == username)) is not None:
            return False
        uow.session.add(
            User(
                username=username,
                password_hash=hash_password(password),
                full_name="Administrator",
                roles=[ADMIN],
                active=True,
            )
        )
        uow.commit()
    return True


# -- for other services -----------------------------------------------------


def active_members(uow, user_ids=(), department_ids=()):
    """Resolve targets: the given users and the active members of the given departments.

    Returns ``{"users": [{"id", "active", "department_id"}...], "missing_user_ids": [...],
    "missing_department_ids": [...], "department_members": {dept_id: [user ids]}}``.
    """
    user_ids, department_ids = list(user_ids or ()), list(department_ids or ())
    with uow:
        session = uow.session
        users = session.scalars(select(User).where(User.id.in_(user_ids))).all() if user_ids else []
        departments = (
            session.scalars(select(Department.id).where(Department.id.in_(department_ids))).all()
            if department_ids
            else []
        )
        members = {}
        if departments:
            rows = session.execute(
                select(User.department_id, User.id)
                .where(User.department_id.in_(departments), User.active)
                .order_by(User.id)
            ).all()
            for department_id, member_id in rows:
                members.setdefault(department_id, []).append(member_id)
        return {
            "users": [{"id": u.id, "active": u.active, "department_id": u.department_id} for u in users],
            "missing_user_ids": sorted(set(user_ids) - {u.id for u in users}),
            "missing_department_ids": sorted(set(department_ids) - set(departments)),
            "department_members": {str(d): members.get(d, []) for d in departments},
        }


def contact_of(uow, user_id):
    """How to reach a user, for system notices (no actor needed): ``{id, full_name, email, phone}`` or None."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            return None
        return {
            "id": user.id,
            "full_name": user.full_name or "",
            "email": user.email,
            "phone": user.phone,
            "active": user.active,
        }
