"""Use cases of the directory: users, departments, authentication."""

from sqlalchemy import func, or_, select

from services.core.actor import ADMIN, require_actor
from services.core.contracts.directory import Department as DepartmentSchema
from services.core.contracts.directory import DepartmentQuery, Me, UserQuery
from services.core.contracts.directory import User as UserSchema
from services.core.db import flush_unique
from services.core.errors import InvalidInput
from services.core.outbox import record_event
from services.core.schemas import load, paginate
from services.directory import exceptions
from services.directory.models import Department, User
from services.directory.passwords import hash_password, needs_rehash, verify_password

user_schema = UserSchema()
me_schema = Me()
department_schema = DepartmentSchema()

SELF_EDITABLE = {"password", "current_password", "full_name", "email", "phone"}


def dump_user(user):
    return user_schema.dump(user)


def dump_department(department):
    return department_schema.dump(department)


def actor_context(user):
    """What the gateway puts in context data for this user."""
    return {
        "id": user.id,
        "username": user.username,
        "department_id": user.department_id,
        "roles": list(user.roles),
        "managed_department_ids": user.managed_department_ids,
        "token_version": user.token_version,  # the gateway checks it against the token's, then drops it
    }


def require_admin(actor):
    require_actor(actor)
    if not actor.is_admin:
        raise exceptions.NotAdmin()


# -- authentication ---------------------------------------------------------


def authenticate(session, username, password):
    user = session.scalar(select(User).where(User.username == str(username).lower()))
    ok = verify_password(user.password_hash if user else None, str(password))
    if user is None or not ok or not user.active:
        raise exceptions.InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.commit()
    return actor_context(user)


def get_actor(session, user_id):
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise exceptions.InvalidCredentials("This account does not exist or is deactivated.")
    return actor_context(user)


def me(session, actor):
    require_actor(actor)
    return me_schema.dump(_user(session, actor.id))


# -- users ------------------------------------------------------------------


def _user(session, user_id):
    user = session.get(User, user_id)
    if user is None:
        raise exceptions.UserNotFound()
    return user


def _check_department(session, department_id):
    if department_id is not None and session.get(Department, department_id) is None:
        raise exceptions.DepartmentNotFound(fields={"department_id": ["No such department."]})


def list_users(session, actor, query):
    require_actor(actor)
    query = load(UserQuery(), query)
    statement = select(User).order_by(User.id)
    if query.get("q"):
        pattern = "%{}%".format(query["q"].lower())
        statement = statement.where(or_(User.username.like(pattern), func.lower(User.full_name).like(pattern)))
    if "department_id" in query:
        statement = statement.where(User.department_id == query["department_id"])
    if "active" in query:
        statement = statement.where(User.active == query["active"])
    if "role" in query:
        statement = statement.where(User.roles.any(query["role"]))
    return paginate(session, statement, query["page"], query["page_size"], dump_user)


def get_user(session, actor, user_id):
    require_actor(actor)
    return dump_user(_user(session, user_id))


def create_user(session, actor, data):
    require_admin(actor)
    data = load(user_schema, data)
    if "current_password" in data:
        raise InvalidInput(fields={"current_password": ["Only to change your own password."]})
    _check_department(session, data["department_id"])
    user = User(
        username=data["username"].lower(),
        password_hash=hash_password(data["password"]),
        full_name=data["full_name"],
        email=data["email"],
        phone=data["phone"],
        department_id=data["department_id"],
        roles=sorted(set(data["roles"])),
        active=data["active"],
    )
    session.add(user)
    flush_unique(session, exceptions.UsernameTaken)
    session.commit()
    return dump_user(user)


def update_user(session, actor, user_id, data):
    require_actor(actor)
    data = load(user_schema, data, partial=True)
    if not actor.is_admin and (actor.id != user_id or set(data) - SELF_EDITABLE):
        raise exceptions.NotAdmin(
            "Only an admin can change this; you may edit your own name, email, phone and password."
        )
    user = _user(session, user_id)
    previous_department_id = user.department_id
    if "department_id" in data:
        _check_department(session, data["department_id"])
    current_password = data.pop("current_password", None)
    if "password" in data:
        if actor.id == user_id:
            _check_current_password(user, current_password)
        elif current_password is not None:
            raise InvalidInput(fields={"current_password": ["Only to change your own password."]})
        user.password_hash = hash_password(data.pop("password"))
        user.token_version += 1  # every token given before the change ends
    elif current_password is not None:
        raise InvalidInput(fields={"current_password": ["Only together with a new password."]})
    if data.get("active") is False and user.active:
        user.token_version += 1
    if "username" in data:
        data["username"] = data["username"].lower()
    if "roles" in data:
        data["roles"] = sorted(set(data["roles"]))
    for key, value in data.items():
        setattr(user, key, value)
    flush_unique(session, exceptions.UsernameTaken)
    if _active_admins(session) == 0:
        raise exceptions.LastAdmin()
    if user.department_id != previous_department_id:
        # others keep a user's department (customers: the owner's department, which its managers see by)
        record_event(
            session,
            "user_department_changed",
            {"user_id": user.id, "department_id": user.department_id, "previous_department_id": previous_department_id},
            actor,
        )
    session.commit()
    return dump_user(user)


def _check_current_password(user, current_password):
    """Changing one's own password needs the current one: a stolen token alone cannot take the account."""
    if current_password is None:
        raise InvalidInput(fields={"current_password": ["Give your current password to change it."]})
    if not verify_password(user.password_hash, current_password):
        raise exceptions.WrongCurrentPassword(fields={"current_password": ["Wrong password."]})


def _active_admins(session):
    return session.scalar(select(func.count()).select_from(User).where(User.active, User.roles.any(ADMIN)))


def ensure_admin(session, username, password):
    """Create the first admin if no user has this username (used by ``make run``)."""
    username = username.lower()
    if session.scalar(select(User).where(User.username == username)) is not None:
        return False
    session.add(
        User(
            username=username,
            password_hash=hash_password(password),
            full_name="Administrator",
            roles=[ADMIN],
            active=True,
        )
    )
    session.commit()
    return True


# -- departments ------------------------------------------------------------


def _department(session, department_id):
    department = session.get(Department, department_id)
    if department is None:
        raise exceptions.DepartmentNotFound()
    return department


def _managers(session, manager_ids):
    users = session.scalars(select(User).where(User.id.in_(manager_ids))).all() if manager_ids else []
    missing = set(manager_ids) - {user.id for user in users}
    if missing:
        raise exceptions.UserNotFound(fields={"manager_ids": ["No such user: {}.".format(sorted(missing))]})
    return list(users)


def list_departments(session, actor, query):
    require_actor(actor)
    query = load(DepartmentQuery(), query)
    statement = select(Department).order_by(Department.id)
    if query.get("q"):
        statement = statement.where(func.lower(Department.name).like("%{}%".format(query["q"].lower())))
    return paginate(session, statement, query["page"], query["page_size"], dump_department)


def get_department(session, actor, department_id):
    require_actor(actor)
    return dump_department(_department(session, department_id))


def create_department(session, actor, data):
    require_admin(actor)
    data = load(department_schema, data)
    department = Department(name=data["name"], managers=_managers(session, data["manager_ids"]))
    session.add(department)
    flush_unique(session, exceptions.DepartmentNameTaken)
    session.commit()
    return dump_department(department)


def update_department(session, actor, department_id, data):
    require_admin(actor)
    data = load(department_schema, data, partial=True)
    department = _department(session, department_id)
    # managers first: their query autoflushes, and a taken name must fail in flush_unique (409), not there
    if "manager_ids" in data:
        department.managers = _managers(session, data["manager_ids"])
    if "name" in data:
        department.name = data["name"]
    flush_unique(session, exceptions.DepartmentNameTaken)
    session.commit()
    session.refresh(department)
    return dump_department(department)


# -- for other services -----------------------------------------------------


def active_members(session, user_ids=(), department_ids=()):
    """Resolve targets: the given users and the active members of the given departments.

    Returns ``{"users": [{"id", "active", "department_id"}...], "missing_user_ids": [...],
    "missing_department_ids": [...], "department_members": {dept_id: [user ids]}}``.
    """
    user_ids, department_ids = list(user_ids or ()), list(department_ids or ())
    users = session.scalars(select(User).where(User.id.in_(user_ids))).all() if user_ids else []
    departments = (
        session.scalars(select(Department.id).where(Department.id.in_(department_ids))).all() if department_ids else []
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


def contact_of(session, user_id):
    """How to reach a user, for system notices (no actor needed): ``{id, full_name, email, phone}`` or None."""
    user = session.get(User, user_id)
    if user is None:
        return None
    return {
        "id": user.id,
        "full_name": user.full_name or "",
        "email": user.email,
        "phone": user.phone,
        "active": user.active,
    }
