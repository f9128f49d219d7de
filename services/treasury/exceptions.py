"""Domain errors of the treasury service (subclasses of services.core.errors kinds)."""

from services.core.errors import Conflict, InvalidInput, NotFound, RuleViolation


class AccountNotFound(NotFound):
    code = "ACCOUNT_NOT_FOUND"
    message = "Account not found."


class AccountNumberTaken(Conflict):
    code = "ACCOUNT_NUMBER_TAKEN"
    message = "A bank account with this bank and number already exists."


class AccountHasEntries(Conflict):
    code = "ACCOUNT_HAS_ENTRIES"
    message = "The opening balance can change only before the account's first confirmed voucher."


class InvalidAccounts(InvalidInput):
    code = "INVALID_ACCOUNTS"
    message = "The voucher's accounts are not the kinds it needs, the same, or inactive."


class InvalidVoucher(InvalidInput):
    code = "INVALID_VOUCHER"
    message = "The voucher is incomplete or has fields its kind does not take."


class InvalidPersonInCharge(InvalidInput):
    code = "INVALID_PERSON_IN_CHARGE"
    message = "The person in charge must be an active user."


class EmployeeNotFound(NotFound):
    code = "EMPLOYEE_NOT_FOUND"
    message = "No such employee (user)."


class VoucherNotFound(NotFound):
    code = "VOUCHER_NOT_FOUND"
    message = "Voucher not found."


class VoucherNotDraft(Conflict):
    code = "VOUCHER_NOT_DRAFT"
    message = "Only a draft voucher can be edited, confirmed or cancelled."


class VoucherNotConfirmed(Conflict):
    code = "VOUCHER_NOT_CONFIRMED"
    message = "Only a confirmed voucher can be reversed."


class VoucherAlreadyReversed(Conflict):
    code = "VOUCHER_ALREADY_REVERSED"
    message = "This voucher has already been reversed."


class ReversalNotReversible(Conflict):
    code = "VOUCHER_IS_REVERSAL"
    message = "A reversal cannot itself be reversed; record a new voucher instead."


class InsufficientFunds(RuleViolation):
    code = "INSUFFICIENT_FUNDS"
    message = "This would make the account's balance negative."


class AccountInactive(RuleViolation):
    code = "ACCOUNT_INACTIVE"
    message = "One of the voucher's accounts has been deactivated since it was drafted."


class BalanceTooLarge(RuleViolation):
    code = "BALANCE_TOO_LARGE"
    message = "This would take the account's balance above 10^18 đồng."
