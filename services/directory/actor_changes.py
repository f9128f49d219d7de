"""What of a user's actor or ``/me`` profile a change touches: the ``actor_changed`` event.

Every gateway instance keeps the actors (and profiles) it fetched (``gateway/actors.py``) and
forgets a user when the directory says their actor changed.  The event is recorded in the same
transaction as the change (the outbox), so it is published if and only if the change commits:

    actor_changed {"user_ids": [5, 9], "changes": ["roles", "deactivated"]}

``changes`` names what changed, in these words:

- ``deactivated`` / ``reactivated``: the user's ``active`` flag (a deactivation also ends the
  user's tokens: their ``token_version`` is raised);
- ``password``: a new password (ends the user's tokens the same way);
- ``roles``, ``department``: what the services authorize by;
- ``managed_departments``: a department's managers changed (the users added and removed);
- ``profile``: anything else ``/me`` shows (username, name, email, phone).
"""

EVENT = "actor_changed"

DEACTIVATED = "deactivated"
REACTIVATED = "reactivated"
PASSWORD = "password"
ROLES = "roles"
DEPARTMENT = "department"
MANAGED_DEPARTMENTS = "managed_departments"
PROFILE = "profile"
KINDS = (DEACTIVATED, REACTIVATED, PASSWORD, ROLES, DEPARTMENT, MANAGED_DEPARTMENTS, PROFILE)

PROFILE_FIELDS = ("username", "full_name", "email", "phone")


def snapshot(user):
    """What of a user the changes are computed from (before and after an edit)."""
    return {
        "active": bool(user.active),
        "token_version": user.token_version,
        "roles": sorted(user.roles or ()),
        "department_id": user.department_id,
        **{name: getattr(user, name) for name in PROFILE_FIELDS},
    }


def user_changes(before, after, password_changed=False):
    """The kinds of change between two :func:`snapshot` of one user, in :data:`KINDS` order."""
    found = set()
    if before["active"] and not after["active"]:
        found.add(DEACTIVATED)
    if not before["active"] and after["active"]:
        found.add(REACTIVATED)
    if password_changed:
        found.add(PASSWORD)
    if before["roles"] != after["roles"]:
        found.add(ROLES)
    if before["department_id"] != after["department_id"]:
        found.add(DEPARTMENT)
    if any(before[name] != after[name] for name in PROFILE_FIELDS):
        found.add(PROFILE)
    return [kind for kind in KINDS if kind in found]


def managers_changed(before_ids, after_ids):
    """The users whose managed departments changed when a department's managers went from
    ``before_ids`` to ``after_ids`` (added and removed), sorted."""
    return sorted(set(before_ids) ^ set(after_ids))


def event_data(user_ids, changes):
    return {"user_ids": sorted(set(user_ids)), "changes": list(changes)}
