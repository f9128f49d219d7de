"""Domain errors of the directory service (subclasses of services.core.errors kinds)."""

from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "INVALID_CREDENTIALS"
    message = "Wrong username or password, or the account is deactivated."


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"
    message = "User not found."


class DepartmentNotFound(NotFound):
    code = "DEPARTMENT_NOT_FOUND"
    message = "Department not found."


class UsernameTaken(Conflict):
    code = "USERNAME_TAKEN"
    message = "This username is already taken."


class DepartmentNameTaken(Conflict):
    code = "DEPARTMENT_NAME_TAKEN"
    message = "A department with this name already exists."


class LastAdmin(Conflict):
    code = "LAST_ADMIN"
    message = "The last active admin cannot lose the admin role or be deactivated."


class OwnAdminAccount(Conflict):
    """An admin deactivating or demoting themselves: another admin must do it (nobody locks themselves out)."""

    code = "OWN_ADMIN_ACCOUNT"
    message = "You cannot deactivate yourself or take away your own admin role; another admin can."


class WrongCurrentPassword(InvalidInput):
    code = "WRONG_CURRENT_PASSWORD"
    message = "The current password is wrong."


class OnlyAdminMayChange(Forbidden):
    """A user editing what only an admin may (the one code of a missing role, as ``require_admin``)."""

    code = "ROLE_REQUIRED"
    message = "This change needs the role: admin; you may edit your own name, email, phone and password."
