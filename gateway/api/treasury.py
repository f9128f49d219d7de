from gateway.api import router
from services.core.contracts.common import page_of
from services.core.contracts.treasury import (
    Ledger,
    MoneyAccount,
    MoneyAccountChange,
    MoneyAccountQuery,
    OneKindQuery,
    PeriodQuery,
    TrialBalance,
    TrialBalanceQuery,
    Voucher,
    VoucherChange,
    VoucherPage,
    VoucherQuery,
)

TAG = "Treasury"


@router.route(
    "GET",
    "/api/v1/accounts",
    query=MoneyAccountQuery,
    response=page_of(MoneyAccount),
    tag=TAG,
    summary="List cash books and bank accounts (admins and accountants; empty for others)",
)
def list_accounts(req):
    return req.rpc("treasury", "list_accounts", req.query)


@router.route(
    "GET",
    "/api/v1/cash-books",
    query=OneKindQuery,
    response=page_of(MoneyAccount),
    tag=TAG,
    summary="List cash books",
)
def list_cash_books(req):
    return req.rpc("treasury", "list_cash_books", req.query)


@router.route(
    "GET",
    "/api/v1/bank-accounts",
    query=OneKindQuery,
    response=page_of(MoneyAccount),
    tag=TAG,
    summary="List bank accounts",
)
def list_bank_accounts(req):
    return req.rpc("treasury", "list_bank_accounts", req.query)


@router.route(
    "POST",
    "/api/v1/accounts",
    body=MoneyAccount,
    response=MoneyAccount,
    status=201,
    tag=TAG,
    summary="Open a cash book or a bank account (admin, accountant)",
    errors=(403, 409),
)
def create_account(req):
    return req.rpc("treasury", "create_account", req.body)


@router.route(
    "GET", "/api/v1/accounts/<int:account_id>", response=MoneyAccount, tag=TAG, summary="One account", errors=(404,)
)
def get_account(req, account_id):
    return req.rpc("treasury", "get_account", account_id)


@router.route(
    "PATCH",
    "/api/v1/accounts/<int:account_id>",
    body=MoneyAccountChange,
    response=MoneyAccount,
    tag=TAG,
    summary="Rename, (de)activate, or correct the opening balance before any entry (admin, accountant)",
    errors=(403, 404, 409),
)
def update_account(req, account_id):
    return req.rpc("treasury", "update_account", account_id, req.body)


@router.route(
    "GET",
    "/api/v1/accounts/<int:account_id>/ledger",
    query=PeriodQuery,
    response=Ledger,
    tag=TAG,
    summary="An account's entries in posting order with the running balance",
    errors=(404,),
)
def account_ledger(req, account_id):
    return req.rpc("treasury", "account_ledger", account_id, req.query)


@router.route(
    "GET",
    "/api/v1/trial-balance",
    query=TrialBalanceQuery,
    response=TrialBalance,
    tag=TAG,
    summary="Per account: opening, debits, credits, closing (the outside world included)",
)
def trial_balance(req):
    return req.rpc("treasury", "trial_balance", req.query)


@router.route(
    "GET",
    "/api/v1/vouchers",
    query=VoucherQuery,
    response=VoucherPage,
    tag=TAG,
    summary="Filter vouchers, newest first, with totals in and out over the whole filter",
)
def list_vouchers(req):
    return req.rpc("treasury", "list_vouchers", req.query)


@router.route(
    "POST",
    "/api/v1/vouchers",
    body=Voucher,
    response=Voucher,
    status=201,
    tag=TAG,
    summary="Draft a voucher (admin, accountant); it gets its number, money moves at confirmation",
    errors=(403, 404),
)
def create_voucher(req):
    return req.rpc("treasury", "create_voucher", req.body)


@router.route(
    "GET", "/api/v1/vouchers/<int:voucher_id>", response=Voucher, tag=TAG, summary="One voucher", errors=(404,)
)
def get_voucher(req, voucher_id):
    return req.rpc("treasury", "get_voucher", voucher_id)


@router.route(
    "PATCH",
    "/api/v1/vouchers/<int:voucher_id>",
    body=VoucherChange,
    response=Voucher,
    tag=TAG,
    summary="Edit a draft voucher (admin, accountant)",
    errors=(403, 404, 409),
)
def update_voucher(req, voucher_id):
    return req.rpc("treasury", "update_voucher", voucher_id, req.body)


def _action(name, method, summary, status=200, errors=(403, 404, 409)):
    def act(req, voucher_id):
        return req.rpc("treasury", method, voucher_id)

    act.__name__ = method
    router.route(
        "POST",
        "/api/v1/vouchers/<int:voucher_id>/" + name,
        response=Voucher,
        status=status,
        tag=TAG,
        summary=summary,
        errors=errors,
    )(act)


_action(
    "confirm",
    "confirm_voucher",
    "Confirm a draft: the money moves (once; 422 if an account would go negative)",
    errors=(403, 404, 409, 422),
)
_action("cancel", "cancel_voucher", "Cancel a draft")
_action(
    "reverse",
    "reverse_voucher",
    "Reverse a confirmed voucher with the opposite one, confirmed at once (at most once)",
    status=201,
    errors=(403, 404, 409, 422),
)
