"""Reading the ledger: an account's entries with their running balance, and the trial balance.

Entries are in the order they were posted (each under its account's row lock), and each
carries the account's balance after it, so a page of the ledger reads its running balance
instead of summing the account's whole history.  The trial balance sums the entries per
account (the outside world included) for a period: its debits equal its credits, and the
entries of transfers net to zero.
"""

from sqlalchemy import case, func, literal, select

from services.core.business_time import now, shown
from services.core.contracts.treasury import PeriodQuery, TrialBalanceQuery
from services.core.schemas import load, paginate
from services.treasury import exceptions, rules
from services.treasury.access import sees_money
from services.treasury.accounts import dump_account, money_account
from services.treasury.models import Account, Entry, Voucher


def _balance_before(session, account, moment):
    """The account's balance just before ``moment`` (its opening balance before any entry)."""
    if moment is None:
        return account.balance
    before = session.scalar(
        select(Entry.balance_after)
        .where(Entry.account_id == account.id, Entry.posted_at < moment)
        .order_by(Entry.id.desc())
        .limit(1)
    )
    return account.opening_balance if before is None else before


def account_ledger(uow, account_id, query):
    query = load(PeriodQuery(), query)
    if not sees_money(uow.actor):
        raise exceptions.AccountNotFound()
    start, end = query.get("start"), query.get("end")
    with uow:
        session = uow.session
        account = money_account(session, account_id)
        statement = (
            select(Entry, Voucher.number, Voucher.kind, Voucher.date)
            .join(Voucher, Voucher.id == Entry.voucher_id)
            .where(Entry.account_id == account.id)
            .order_by(Entry.id)
        )
        if start is not None:
            statement = statement.where(Entry.posted_at >= start)
        if end is not None:
            statement = statement.where(Entry.posted_at < end)

        def dump(row):
            entry, number, kind, date = row
            return {
                "id": entry.id,
                "voucher_id": entry.voucher_id,
                "number": number,
                "kind": kind,
                "posted_at": shown(entry.posted_at),
                "date": shown(date),
                "debit": entry.amount if entry.side == rules.DEBIT else 0,
                "credit": entry.amount if entry.side == rules.CREDIT else 0,
                "balance": entry.balance_after,
            }

        page = paginate(session, statement, query["page"], query["page_size"], dump, rows=True)
        opening = account.opening_balance if start is None else _balance_before(session, account, start)
        closing = _balance_before(session, account, end)
        return dict(page, account=dump_account(account), opening=opening, closing=closing)


def trial_balance(uow, query):
    """Per account: opening (at ``from``), debits and credits over [from, at), closing at ``at``."""
    query = load(TrialBalanceQuery(), query)
    start = query.get("start")
    at = query.get("at") or now()
    answer = {"from": shown(start), "at": shown(at), "transfers_net": 0}
    if not sees_money(uow.actor):
        return dict(answer, items=[], totals={"opening": 0, "debits": 0, "credits": 0, "closing": 0})
    signed = case((Entry.side == rules.DEBIT, Entry.amount), else_=-Entry.amount)
    in_period = Entry.posted_at < at
    if start is not None:
        in_period = in_period & (Entry.posted_at >= start)
    before = Entry.posted_at < start if start is not None else None
    columns = [
        Account.id,
        Account.type,
        Account.name,
        Account.opening_balance,
        func.coalesce(func.sum(Entry.amount).filter(in_period & (Entry.side == rules.DEBIT)), 0),
        func.coalesce(func.sum(Entry.amount).filter(in_period & (Entry.side == rules.CREDIT)), 0),
        func.coalesce(func.sum(signed).filter(before), 0) if before is not None else literal(0),
    ]
    with uow:
        rows = uow.session.execute(
            select(*columns)
            .select_from(Account)
            .outerjoin(Entry, Entry.account_id == Account.id)
            .group_by(Account.id)
            .order_by(Account.type == rules.OUTSIDE, Account.type, Account.name, Account.id)
        ).all()
        transfers = select(func.coalesce(func.sum(signed), 0)).join(Voucher, Voucher.id == Entry.voucher_id)
        transfers_net = uow.session.scalar(transfers.where(Voucher.kind.in_(rules.TRANSFERS), in_period))
    items = []
    for account_id, account_type, name, opening_balance, debits, credits, earlier in rows:
        opening = int(opening_balance) + int(earlier)
        items.append(
            {
                "account_id": account_id,
                "type": account_type,
                "name": name,
                "opening": opening,
                "debits": int(debits),
                "credits": int(credits),
                "closing": opening + int(debits) - int(credits),
            }
        )
    totals = {name: sum(item[name] for item in items) for name in ("opening", "debits", "credits", "closing")}
    return dict(answer, items=items, totals=totals, transfers_net=int(transfers_net))
