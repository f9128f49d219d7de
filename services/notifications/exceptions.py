"""Domain errors of the notifications service (subclasses of services.core.errors kinds)."""

from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation


class BrandnameNotFound(InvalidInput):
    code = "BRANDNAME_NOT_FOUND"
    message = "No such brandname."


class BrandnameTaken(Conflict):
    code = "BRANDNAME_TAKEN"
    message = "A brandname with this name already exists."


class OptOutNotFound(NotFound):
    code = "OPT_OUT_NOT_FOUND"
    message = "This address is not opted out."


class InvalidAddress(InvalidInput):
    code = "INVALID_ADDRESS"
    message = "Not a valid phone number or email address."


class OutsideAdvertisingHours(RuleViolation):
    code = "OUTSIDE_ADVERTISING_HOURS"
    message = "Advertising SMS may only be sent during the allowed hours."


class NoRecipients(RuleViolation):
    code = "NO_RECIPIENTS"
    message = "None of the selected customers has an address to send to."


class InvalidSignature(Forbidden):
    code = "INVALID_SIGNATURE"
    message = "The X-Twilio-Signature of this callback is missing or wrong."


class BatchNotFound(NotFound):
    code = "BATCH_NOT_FOUND"
    message = "No such batch."
