"""Departments and their managers (the managers of a department see its members' customers)."""

from sqlalchemy import select

from services.core.actor import require_actor, require_admin
from services.core.contracts.directory import Department as DepartmentSchema
from services.core.contracts.directory import DepartmentQuery
from services.core.db import flush_unique
from services.core.schemas import contains, load, paginate
from services.directory import actor_changes, exceptions
from services.directory.models import Department, User

department_schema = DepartmentSchema()


def dump_department(department):
    return department_schema.dump(department)


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


def list_departments(uow, query):
    require_actor(uow.actor)
    query = load(DepartmentQuery(), query)
    statement = select(Department).order_by(Department.id)
    if query.get("q"):
        statement = statement.where(contains(Department.name, query["q"]))
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], dump_department)


def get_department(uow, department_id):
    require_actor(uow.actor)
    with uow:
        return dump_department(_department(uow.session, department_id))


def create_department(uow, data):
    require_admin(uow.actor)
    data = load(department_schema, data)
    with uow:
        department = Department(name=data["name"], managers=_managers(uow.session, data["manager_ids"]))
        uow.session.add(department)
        flush_unique(uow.session, exceptions.DepartmentNameTaken)
        _managers_changed(uow, [], department.manager_ids)
        body = dump_department(department)
        uow.commit()
    return body


def update_department(uow, department_id, data):
    require_admin(uow.actor)
    data = load(department_schema, data, partial=True)
    with uow:
        session = uow.session
        department = _department(session, department_id)
        # every read before the first change: a read flushes what changed, and a taken name
        # must come out of flush_unique (409), not out of that read (500)
        managers = _managers(session, data["manager_ids"]) if "manager_ids" in data else None
        previous_manager_ids = department.manager_ids
        if "name" in data:
            department.name = data["name"]
        if managers is not None:
            department.managers = managers
        flush_unique(session, exceptions.DepartmentNameTaken)
        session.refresh(department)
        _managers_changed(uow, previous_manager_ids, department.manager_ids)
        body = dump_department(department)
        uow.commit()
    return body


def _managers_changed(uow, before_ids, after_ids):
    """The users who started or stopped managing a department: every gateway forgets their actor."""
    user_ids = actor_changes.managers_changed(before_ids, after_ids)
    if user_ids:
        uow.record_event(actor_changes.EVENT, actor_changes.event_data(user_ids, [actor_changes.MANAGED_DEPARTMENTS]))
