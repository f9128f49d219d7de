"""Use cases of money accounts: cash books and bank accounts.

An account's ``balance`` is never written by a client: it starts at the opening balance and
changes only when a voucher is confirmed (:mod:`services.treasury.vouchers`).  The opening
balance can be corrected only while the account has no entry, so that the ledger's history
never changes under it.
"""

from sqlalchemy import exists, or_, select
from sqlalchemy.dialects.postgresql import insert

from services.core.business_time import now, shown
from services.core.contracts.treasury import MoneyAccount, MoneyAccountChange, MoneyAccountQuery, OneKindQuery
from services.core.db import flush_unique
from services.core.errors import InvalidInput
from services.core.schemas import load, paginate
from services.treasury import exceptions
from services.treasury.access import empty_page, require_treasurer, sees_money
from services.treasury.models import Account, Entry
from services.treasury.rules import BANK, OUTSIDE

OUTSIDE_NAME = "Outside world (customers, suppliers, employees, others)"


def dump_account(account):
    return {
        "id": account.id,
        "type": account.type,
        "name": account.name,
        "bank_name": account.bank_name,
        "account_number": account.account_number,
        "currency": account.currency,
        "opening_balance": account.opening_balance,
        "balance": account.balance,
        "active": account.active,
        "created_at": shown(account.created_at),
        "updated_at": shown(account.updated_at),
    }


def money_account(session, account_id, lock=False):
    """A cash book or bank account (never the outside world), or ACCOUNT_NOT_FOUND."""
    statement = select(Account).where(Account.id == account_id, Account.type != OUTSIDE)
    if lock:
        statement = statement.with_for_update(key_share=True).execution_options(populate_existing=True)
    account = session.scalar(statement)
    if account is None:
        raise exceptions.AccountNotFound()
    return account


def outside_account_id(session):
    """The id of the outside world's account, created the first time a receipt or payment posts."""
    found = session.scalar(select(Account.id).where(Account.type == OUTSIDE))
    if found is None:
        session.execute(
            insert(Account)
            .values(type=OUTSIDE, name=OUTSIDE_NAME, opening_balance=0, balance=None)
            .on_conflict_do_nothing(index_elements=["type"], index_where=Account.type == OUTSIDE)
        )
        found = session.scalar(select(Account.id).where(Account.type == OUTSIDE))
    return found


def _bank_fields(account_type, data):
    """A bank account names its bank and number; a cash book has neither."""
    errors = {}
    for name in ("bank_name", "account_number"):
        if account_type == BANK and not data.get(name):
            errors[name] = ["Required for a bank account."]
        if account_type != BANK and data.get(name) is not None:
            errors[name] = ["A cash book has no {}.".format(name.replace("_", " "))]
    if errors:
        raise InvalidInput(fields=errors)


# -- reading ---------------------------------------------------------------------


def list_accounts(uow, query, account_type=None):
    query = load(MoneyAccountQuery() if account_type is None else OneKindQuery(), query)
    if not sees_money(uow.actor):
        return empty_page(query)
    account_type = account_type or query.get("type")
    statement = select(Account).where(Account.type != OUTSIDE).order_by(Account.type, Account.name, Account.id)
    if account_type:
        statement = statement.where(Account.type == account_type)
    if "active" in query:
        statement = statement.where(Account.active == query["active"])
    if query.get("q"):
        pattern = "%{}%".format(query["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        statement = statement.where(
            or_(Account.name.ilike(pattern), Account.bank_name.ilike(pattern), Account.account_number.ilike(pattern))
        )
    with uow:
        return paginate(
            uow.session, statement, query["page"], query["page_size"], lambda account: dump_account(account)
        )


def get_account(uow, account_id):
    if not sees_money(uow.actor):
        raise exceptions.AccountNotFound()
    with uow:
        return dump_account(money_account(uow.session, account_id))


# -- changing --------------------------------------------------------------------


def create_account(uow, data):
    require_treasurer(uow.actor)
    data = load(MoneyAccount(), data)
    _bank_fields(data["type"], data)
    with uow:
        account = Account(
            type=data["type"],
            name=data["name"],
            bank_name=data["bank_name"],
            account_number=data["account_number"],
            currency=data["currency"],
            opening_balance=data["opening_balance"],
            balance=data["opening_balance"],
            active=data["active"],
        )
        uow.session.add(account)
        flush_unique(uow.session, exceptions.AccountNumberTaken)
        uow.session.refresh(account)
        uow.commit()
        return dump_account(account)


def update_account(uow, account_id, data):
    require_treasurer(uow.actor)
    data = load(MoneyAccountChange(), data)
    with uow:
        account = money_account(uow.session, account_id, lock=True)
        merged = {
            "bank_name": data.get("bank_name", account.bank_name),
            "account_number": data.get("account_number", account.account_number),
        }
        _bank_fields(account.type, merged)
        if "opening_balance" in data and data["opening_balance"] != account.opening_balance:
            if uow.session.scalar(select(exists().where(Entry.account_id == account.id))):
                raise exceptions.AccountHasEntries(fields={"opening_balance": ["The account already has entries."]})
            account.balance = data["opening_balance"]
        for name, value in data.items():
            setattr(account, name, value)
        account.updated_at = now()
        flush_unique(uow.session, exceptions.AccountNumberTaken)
        uow.commit()
        return dump_account(account)
