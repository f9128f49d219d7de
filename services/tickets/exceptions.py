"""Domain errors of the tickets service (subclasses of services.core.errors kinds)."""

from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation


class KpiNotAllowed(Forbidden):
    code = "KPI_NOT_ALLOWED"
    message = "You may see the KPI of yourself and of the departments you manage."


class TicketTypeNotFound(NotFound):
    code = "TICKET_TYPE_NOT_FOUND"
    message = "Ticket type not found."


class TicketTypeNameTaken(Conflict):
    code = "TICKET_TYPE_NAME_TAKEN"
    message = "A ticket type with this name already exists."


class TicketTypeOwned(Conflict):
    code = "TICKET_TYPE_OWNED"
    message = "This ticket type already belongs to another support group."


class TicketTypeUnrouted(RuleViolation):
    code = "TICKET_TYPE_WITHOUT_GROUP"
    message = "No support group handles this ticket type yet; an admin must add it to a group."


class SupportGroupNotFound(NotFound):
    code = "SUPPORT_GROUP_NOT_FOUND"
    message = "Support group not found."


class SupportGroupNameTaken(Conflict):
    code = "SUPPORT_GROUP_NAME_TAKEN"
    message = "A support group with this name already exists."


class MemberNotFound(NotFound):
    code = "MEMBER_NOT_FOUND"
    message = "This user is not a member of the support group."


class InvalidMembers(InvalidInput):
    code = "INVALID_MEMBERS"
    message = "Members must be existing, active users."


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"
    message = "Ticket not found."


class ContactNotFound(NotFound):
    code = "CONTACT_NOT_FOUND"
    message = "This contact is not a contact of the ticket's customer."


class TicketNotEditable(Conflict):
    code = "TICKET_NOT_EDITABLE"
    message = "A ticket can be edited only while it is waiting (unassigned)."


class WrongTicketStatus(Conflict):
    code = "TICKET_WRONG_STATUS"
    message = "The ticket's current status does not allow this."


class MemberAtCapacity(Conflict):
    code = "MEMBER_AT_CAPACITY"
    message = "This member already holds as many open tickets as their capacity allows."


class NotTicketHolder(Forbidden):
    code = "NOT_TICKET_HOLDER"
    message = "Only the ticket's assignee (or an admin) can do this."


class NotGroupMember(Forbidden):
    code = "NOT_GROUP_MEMBER"
    message = "Only members of the ticket's support group can take it."


class NotTicketEditor(Forbidden):
    code = "NOT_TICKET_EDITOR"
    message = "Only the ticket's creator or an admin can edit it."


class UnreadableTicket(InvalidInput):
    """A stored ticket the dispatcher cannot read (not retried: its event goes to the dead letters)."""

    code = "TICKET_UNREADABLE"
    message = "This ticket's stored data cannot be read; it stays waiting for an operator."
