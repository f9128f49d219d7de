"""Users and departments, as the directory service knows them (RPC ``active_members``).

Checks the targets of sharing and of ownership changes: unknown users or departments
are refused (404), so are deactivated users (422); a department given as new owner
stands for its active members.

``directory`` is ``uow.services.directory``: ask before the use case opens its transaction
(the unit of work refuses a call made inside one).  A domain error of the directory itself
(404, 403, ...) is relayed as ours by :mod:`services.core.rpc`.
"""

from dataclasses import dataclass

from services.customers import exceptions


@dataclass(frozen=True)
class Owner:
    user_id: int
    department_id: int | None


def _ask(directory, user_ids, department_ids, active_only=True):
    answer = directory.active_members(user_ids=list(user_ids), department_ids=list(department_ids))
    if answer["missing_user_ids"]:
        raise exceptions.UserNotFound(fields={"user_ids": ["No such user: {}.".format(answer["missing_user_ids"])]})
    if answer["missing_department_ids"]:
        raise exceptions.DepartmentNotFound(
            fields={"department_ids": ["No such department: {}.".format(answer["missing_department_ids"])]}
        )
    users = {user["id"]: user for user in answer["users"]}
    inactive = [user_id for user_id in user_ids if not users[user_id]["active"]]
    if inactive and active_only:
        raise exceptions.InactiveUser(fields={"user_ids": ["Deactivated: {}.".format(inactive)]})
    return users, answer["department_members"]


def check_share_targets(directory, user_ids, department_ids):
    """Refuse unknown users and departments and deactivated users."""
    if user_ids or department_ids:
        _ask(directory, user_ids, department_ids)


def new_owners(directory, user_ids, department_ids):
    """The owners a transfer gives customers to, in order: the users, then each department's active members."""
    users, members = _ask(directory, user_ids, department_ids)
    owners = {user_id: Owner(user_id, users[user_id]["department_id"]) for user_id in user_ids}
    for department_id in department_ids:
        department_members = members.get(str(department_id)) or []
        if not department_members:
            raise exceptions.EmptyDepartment(
                fields={"department_ids": ["Department {} has no active member.".format(department_id)]}
            )
        for user_id in department_members:
            owners.setdefault(user_id, Owner(user_id, department_id))
    return list(owners.values())


def active_owner(directory, user_id):
    """The owner a record or an activity is given to (an active user)."""
    (owner,) = new_owners(directory, [user_id], [])
    return owner


def department_of(directory, user_id):
    """The user's department now (None: no department), active or not."""
    users, _ = _ask(directory, [user_id], [], active_only=False)
    return users[user_id]["department_id"]
