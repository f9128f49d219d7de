"""Domain errors of the customers service (subclasses of services.core.errors kinds)."""

from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation


class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"
    message = "Customer not found."


class CustomerCodeTaken(Conflict):
    code = "CUSTOMER_CODE_TAKEN"
    message = "Another customer already has this code."


class CannotEditCustomer(Forbidden):
    code = "CUSTOMER_EDIT_FORBIDDEN"
    message = "You may view this customer but not change it."


class CannotDeleteCustomer(Forbidden):
    code = "CUSTOMER_DELETE_FORBIDDEN"
    message = "Only the owner, a manager of the owner's department or an admin can delete this customer."


class GroupNotFound(NotFound):
    code = "GROUP_NOT_FOUND"
    message = "Customer group not found."


class GroupNameTaken(Conflict):
    code = "GROUP_NAME_TAKEN"
    message = "A customer group with this name already exists."


class ActivityTypeNotFound(NotFound):
    code = "ACTIVITY_TYPE_NOT_FOUND"
    message = "Activity type not found."


class ActivityTypeNameTaken(Conflict):
    code = "ACTIVITY_TYPE_NAME_TAKEN"
    message = "An activity type with this name already exists."


class ActivityNotFound(NotFound):
    code = "ACTIVITY_NOT_FOUND"
    message = "Activity not found."


class CannotEditActivity(Forbidden):
    code = "ACTIVITY_EDIT_FORBIDDEN"
    message = "You may view this activity but not change it."


class RecordNotFound(NotFound):
    code = "RECORD_NOT_FOUND"
    message = "Record not found."


class CannotEditRecord(Forbidden):
    code = "RECORD_EDIT_FORBIDDEN"
    message = "You may view this record but not change it."


class AmountNotApplicable(InvalidInput):
    code = "AMOUNT_NOT_APPLICABLE"
    message = "A document has no amount."


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"
    message = "User not found."


class DepartmentNotFound(NotFound):
    code = "DEPARTMENT_NOT_FOUND"
    message = "Department not found."


class InactiveUser(RuleViolation):
    code = "USER_INACTIVE"
    message = "A deactivated user cannot be given customers or records."


class EmptyDepartment(RuleViolation):
    code = "DEPARTMENT_HAS_NO_ACTIVE_MEMBER"
    message = "A department without active members cannot be given customers."


class SplitRequired(InvalidInput):
    code = "SPLIT_EVENLY_REQUIRED"
    message = "Several new owners need split_evenly: true."


class SelectionTooLarge(RuleViolation):
    code = "SELECTION_TOO_LARGE"
    message = "More customers match this filter than one bulk action takes; narrow the filter."
