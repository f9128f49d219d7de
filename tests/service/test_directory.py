"""The directory's use cases on a real PostgreSQL (the service's migrated test database), each on
a unit of work as a worker runs it."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.core.actor import Actor
from services.core.errors import Conflict, Forbidden
from services.core.unit_of_work import UnitOfWork
from services.directory import authentication, departments, exceptions, users
from services.directory.models import User

pytestmark = pytest.mark.infra

ADMIN = Actor(id=1, roles=("admin",))


@pytest.fixture
def run(databases):
    """``run(use_case, actor, *args)``: the use case on a fresh unit of work of that actor (the
    directory holds its first admin, as after ``make run``)."""
    make_session = sessionmaker(databases.engine("directory"), expire_on_commit=False)
    assert users.ensure_admin(UnitOfWork(make_session), "admin", "password123")
    yield lambda use_case, actor, *args: use_case(UnitOfWork(make_session, actor), *args)
    databases.truncate("directory")


@pytest.fixture
def new_user(run):
    def make(username, **fields):
        return run(users.create_user, ADMIN, dict({"username": username, "password": "password123"}, **fields))

    return make


def test_renaming_a_department_to_a_taken_name_is_a_conflict_even_with_managers(run, new_user):
    manager = new_user("manager")
    run(departments.create_department, ADMIN, {"name": "Sales"})
    support = run(departments.create_department, ADMIN, {"name": "Support"})
    for change in ({"name": "Sales"}, {"name": "Sales", "manager_ids": [manager["id"]]}):
        with pytest.raises(exceptions.DepartmentNameTaken):
            run(departments.update_department, ADMIN, support["id"], change)
    assert run(departments.get_department, ADMIN, support["id"])["manager_ids"] == []  # nothing was kept
    renamed = run(departments.update_department, ADMIN, support["id"], {"name": "Help", "manager_ids": [manager["id"]]})
    assert (renamed["name"], renamed["manager_ids"]) == ("Help", [manager["id"]])


def test_q_takes_percent_and_underscore_literally(run, new_user):
    staff = Actor(id=99)
    percent, five_hundred = (
        new_user("sale50pct", full_name="Sale 50% off"),
        new_user("sale500", full_name="Sale 500 off"),
    )
    underscore, _ = new_user("a_b"), new_user("axb")
    backslash = new_user("slash", full_name="c\\d")

    def found_users(q):
        return [user["id"] for user in run(users.list_users, staff, {"q": q})["items"]]

    assert found_users("50%") == found_users("%") == [percent["id"]]
    assert found_users("a_b") == found_users("_") == [underscore["id"]]
    assert found_users("\\") == [backslash["id"]]
    assert found_users("SALE 5") == [percent["id"], five_hundred["id"]]  # any case

    hundred = run(departments.create_department, ADMIN, {"name": "100% Sales"})
    run(departments.create_department, ADMIN, {"name": "1000 Sales"})
    snake = run(departments.create_department, ADMIN, {"name": "north_east"})
    run(departments.create_department, ADMIN, {"name": "northXeast"})

    def found_departments(q):
        return [department["id"] for department in run(departments.list_departments, staff, {"q": q})["items"]]

    assert found_departments("0%") == found_departments("%") == [hundred["id"]]
    assert found_departments("H_E") == found_departments("_") == [snake["id"]]
    assert len(found_departments("sales")) == 2  # any case


def test_admin_only_actions_answer_role_required_naming_the_role(run, new_user):
    staff = new_user("staff")
    actor = Actor(id=staff["id"])
    for use_case, args in (
        (users.create_user, ({"username": "another", "password": "password123"},)),
        (departments.create_department, ({"name": "Sales"},)),
        (departments.update_department, (1, {"name": "Sales"})),
        (users.update_user, (staff["id"], {"roles": ["admin"]})),
        (users.update_user, (staff["id"] + 1, {"full_name": "Someone else"})),
    ):
        with pytest.raises(Forbidden) as refused:
            run(use_case, actor, *args)
        assert refused.value.code == "ROLE_REQUIRED" and "role: admin" in refused.value.message, use_case
    assert run(users.update_user, actor, staff["id"], {"full_name": "Me"})["full_name"] == "Me"


def test_the_actor_context_reads_back_as_the_same_actor(run, new_user, databases):
    new_user("lead")
    member = new_user("member")
    department = run(departments.create_department, ADMIN, {"name": "Sales"})
    run(departments.update_department, ADMIN, department["id"], {"manager_ids": [member["id"]]})
    run(users.update_user, ADMIN, member["id"], {"department_id": department["id"], "roles": ["staff", "accountant"]})
    context = run(authentication.authenticate, None, "MEMBER", "password123")
    assert Actor.from_context(context) == Actor(
        id=member["id"],
        username="member",
        department_id=department["id"],
        roles=("accountant", "staff"),
        managed_department_ids=(department["id"],),
    )
    assert run(authentication.get_actor, None, member["id"]) == context
    with pytest.raises(exceptions.InvalidCredentials):
        run(authentication.authenticate, None, "member", "wrong password")


def test_the_last_admin_keeps_the_role_and_nothing_is_kept(run, databases):
    assert not users.ensure_admin(UnitOfWork(sessionmaker(databases.engine("directory"))), "ADMIN", "other")
    (root,) = run(users.list_users, ADMIN, {"role": "admin"})["items"]
    with pytest.raises(Conflict):
        run(users.update_user, ADMIN, root["id"], {"roles": ["staff"], "full_name": "Demoted"})
    with sessionmaker(databases.engine("directory"))() as session:
        assert session.scalar(select(User.full_name).where(User.id == root["id"])) == "Administrator"


def test_active_members_resolve_users_and_departments_for_other_services(run, new_user):
    sales = run(departments.create_department, ADMIN, {"name": "Sales"})
    first = new_user("first", department_id=sales["id"])
    second = new_user("second", department_id=sales["id"])
    gone = new_user("gone", department_id=sales["id"], active=False)
    answer = run(users.active_members, None, [gone["id"], 404404], [sales["id"], 404])
    assert answer == {
        "users": [{"id": gone["id"], "active": False, "department_id": sales["id"]}],
        "missing_user_ids": [404404],
        "missing_department_ids": [404],
        "department_members": {str(sales["id"]): [first["id"], second["id"]]},
    }
    assert run(users.contact_of, None, first["id"])["full_name"] == "" and run(users.contact_of, None, 404404) is None
