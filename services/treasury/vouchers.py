"""Use cases of vouchers: draft, edit, confirm (money moves), cancel, reverse, filter.

A voucher is a ``draft`` until it is confirmed or cancelled.  **Money moves only at
confirmation**, in one transaction: the voucher's row lock (so that of many confirmations at
once one wins and the others find it confirmed: 409), then the row locks of its money accounts
in the order of their ids (so that two confirmations never wait for each other in a circle),
the balance check under those locks (422 ``INSUFFICIENT_FUNDS``, nothing changed; a CHECK
constraint backs it), the two ledger entries, the new balances, the new status and the
``voucher_confirmed`` event.  After the voucher's lock and the accounts' (a statement of its own,
``_LOCKED_ACCOUNTS``, says why) all of that is **one statement** (``_confirmation``:
data-modifying CTEs, built once, rows as array parameters): of many confirmations over few
accounts each holds them for two statements and the commit (it was six round trips, and the
Python between them, before).  Lock order everywhere: a voucher, then accounts by id, then a
number counter, then the rows of ``voucher_days`` (:mod:`services.treasury.voucher_days`: every
change of a voucher moves its count and amount there, the old key -1 and the new one +1, in one
upsert whose rows are taken in key order, last in the transaction).  A transaction holding
summary rows waits only for summary rows after them in that order, so they make no cycle; and
the key of a confirmation's rows names its accounts, whose locks it already holds: another
confirmation never waits there, only for the end of a draft's creation, edit or cancellation
of the same key.  Rows are locked ``FOR NO KEY UPDATE`` (``key_share=True``): a new voucher or
entry referring to a locked account takes a key-share lock on it (its foreign key), which
``FOR UPDATE`` would block; with a creation holding one account's key share and waiting on the
other's, that was a deadlock (found by the 500-transfer test).

The customers and directory services are asked about a counterpart or a person in charge
before the transaction opens (no lock is held while waiting on the bus).
"""

import functools
import logging

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    Integer,
    String,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from services.core.business_time import local, now, shown
from services.core.contracts.treasury import Voucher as VoucherSchema
from services.core.contracts.treasury import VoucherChange, VoucherQuery
from services.core.errors import ConcurrentChange, InvalidInput, NotFound
from services.core.outbox import EVENTS_INSERT
from services.core.schemas import load
from services.treasury import exceptions, rules, voucher_days
from services.treasury.access import empty_page, require_treasurer, sees_money
from services.treasury.accounts import outside_account_id
from services.treasury.models import CANCELLED, CONFIRMED, DRAFT, Account, Entry, Voucher
from services.treasury.numbering import next_number

accounts_table, entries, vouchers = Account.__table__, Entry.__table__, Voucher.__table__

log = logging.getLogger(__name__)

EDITABLE = (
    "amount",
    "from_account_id",
    "to_account_id",
    "person_in_charge_id",
    "counterpart_type",
    "counterpart_id",
    "counterpart_code",
    "counterpart_name",
    "category",
    "date",
    "note",
)
MAX_BALANCE = 10**18  # far beyond any till, well inside a bigint
COUNTERPART_FIELDS = ("counterpart_type", "counterpart_id", "counterpart_name")


def dump_voucher(voucher):
    return {
        "id": voucher.id,
        "number": voucher.number,
        "kind": voucher.kind,
        "status": voucher.status,
        "amount": voucher.amount,
        "from_account_id": voucher.from_account_id,
        "to_account_id": voucher.to_account_id,
        "person_in_charge_id": voucher.person_in_charge_id,
        "counterpart_type": voucher.counterpart_type,
        "counterpart_id": voucher.counterpart_id,
        "counterpart_code": voucher.counterpart_code,
        "counterpart_name": voucher.counterpart_name,
        "category": voucher.category,
        "date": shown(voucher.date),
        "note": voucher.note,
        "reverses_id": voucher.reverses_id,
        "reversed_by_id": voucher.reversed_by_id,
        "created_by_id": voucher.created_by_id,
        "confirmed_by_id": voucher.confirmed_by_id,
        "created_at": shown(voucher.created_at),
        "updated_at": shown(voucher.updated_at),
        "confirmed_at": shown(voucher.confirmed_at),
        "cancelled_at": shown(voucher.cancelled_at),
    }


def _event(voucher):
    return {
        "id": voucher.id,
        "number": voucher.number,
        "kind": voucher.kind,
        "amount": voucher.amount,
        "from_account_id": voucher.from_account_id,
        "to_account_id": voucher.to_account_id,
        "counterpart_type": voucher.counterpart_type,
        "counterpart_id": voucher.counterpart_id,
        "date": voucher.date.isoformat(),
        "reverses_id": voucher.reverses_id,
    }


def _voucher(session, voucher_id, lock=False):
    statement = select(Voucher).where(Voucher.id == voucher_id)
    if lock:
        statement = statement.with_for_update(key_share=True).execution_options(populate_existing=True)
    voucher = session.scalar(statement)
    if voucher is None:
        raise exceptions.VoucherNotFound()
    return voucher


def _values(voucher):
    return {name: getattr(voucher, name) for name in EDITABLE}


# -- questions to other services (asked before any transaction) ------------------------------


def _counterpart(uow, voucher):
    """``(code, name)`` of the voucher's counterpart: a customer's from the customers service, an
    employee's from the directory, a supplier's or other's as the accountant named it."""
    counterpart_type, counterpart_id = voucher.get("counterpart_type"), voucher.get("counterpart_id")
    if counterpart_type == "customer":
        if voucher.get("counterpart_name") is not None:
            raise InvalidInput(fields={"counterpart_name": ["Taken from the customer record; leave it out."]})
        try:
            found = uow.services.customers.counterpart(counterpart_id)
        except NotFound as error:
            raise NotFound(error.message, code=error.code, fields={"counterpart_id": ["No such customer."]})
        return found["code"], found["name"]
    if counterpart_type == "employee":
        if voucher.get("counterpart_name") is not None:
            raise InvalidInput(fields={"counterpart_name": ["Taken from the directory; leave it out."]})
        found = uow.services.directory.contact_of(counterpart_id)
        if found is None:
            raise exceptions.EmployeeNotFound(fields={"counterpart_id": ["No such user."]})
        return None, found["full_name"] or "User {}".format(counterpart_id)
    return None, voucher.get("counterpart_name")


def _check_person_in_charge(uow, user_id):
    if user_id is None:
        return
    answer = uow.services.directory.active_members(user_ids=[user_id], department_ids=[])
    if not any(user["id"] == user_id and user["active"] for user in answer["users"]):
        raise exceptions.InvalidPersonInCharge(fields={"person_in_charge_id": ["Must be an active user."]})


def _check_shape(kind, voucher):
    errors = rules.shape_errors(kind, voucher)
    if errors:
        raise exceptions.InvalidVoucher(fields=errors)


def _check_accounts(session, kind, voucher):
    """400 naming the side whose account is missing, of the wrong type, or inactive."""
    ids = [voucher[side] for side in ("from_account_id", "to_account_id") if voucher.get(side) is not None]
    found = {
        account.id: {"type": account.type, "active": account.active}
        for account in session.scalars(select(Account).where(Account.id.in_(ids), Account.type != rules.OUTSIDE))
    }
    errors = {}
    for side in ("from_account_id", "to_account_id"):
        if voucher.get(side) is not None:
            problems = rules.account_errors(kind, side, found.get(voucher[side]))
            if problems:
                errors[side] = problems
    if errors:
        raise exceptions.InvalidAccounts(fields=errors)


# -- posting ----------------------------------------------------------------------------------


def _postings(session, kind, from_account_id, to_account_id, amount):
    """The voucher's two entries ``(account_id, side, amount)`` and the change of each of its money
    accounts' balances, ``{account_id: change}`` in the order of the ids (the outside world keeps none)."""
    outside = outside_account_id(session) if not rules.is_transfer(kind) else None
    postings = rules.entries(kind, from_account_id, to_account_id, outside, amount)
    changes = dict(sorted(item for item in rules.balance_changes(postings).items() if item[0] != outside))
    return postings, changes


def _lock_and_check(session, kind, from_account_id, to_account_id, amount, check_active=True):
    """Lock the money accounts (by id), check they may take the change (else the error saying why);
    returns the voucher's postings (``_postings``)."""
    postings, changes = _postings(session, kind, from_account_id, to_account_id, amount)
    money_ids = list(changes)
    accounts = {
        account.id: account
        for account in session.scalars(
            select(Account)
            .where(Account.id.in_(money_ids))
            .order_by(Account.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    }
    side_of = {from_account_id: "from_account_id", to_account_id: "to_account_id"}
    for account_id in money_ids:
        account = accounts[account_id]
        if check_active and not account.active:
            raise exceptions.AccountInactive(fields={side_of[account_id]: ["This account is inactive."]})
        if account.balance + changes[account_id] > MAX_BALANCE:
            raise exceptions.BalanceTooLarge(fields={side_of[account_id]: ["This account would hold too much."]})
        if account.balance + changes[account_id] < 0:
            message = "{} holds {} đồng; this voucher takes {} đồng.".format(account.name, account.balance, amount)
            raise exceptions.InsufficientFunds(message, fields={side_of[account_id]: [message]})
    return postings, changes


# Parameters of the posting statements (``_posting``): the voucher, when, and its rows as arrays
# (``unnest``), so that each statement is built once and its compiled form serves every voucher.
_VOUCHER_ID = bindparam("posting_voucher_id", type_=Integer)
_POSTED_AT = bindparam("posting_at", type_=DateTime(timezone=True))


_LOCKED_VOUCHER = select(vouchers).where(vouchers.c.id == _VOUCHER_ID).with_for_update(key_share=True)


def _array(name, kind):
    return bindparam(name, type_=ARRAY(kind))


# The money accounts of a posting (its ``change_ids``), in the order of their ids.
_MONEY_ACCOUNTS = (
    select(accounts_table.c.id, accounts_table.c.balance, accounts_table.c.active)
    .where(accounts_table.c.id == any_(_array("change_ids", Integer)))
    .order_by(accounts_table.c.id)
)

# Their locks, taken by a statement of their own before the posting statement: a statement's
# UPDATE starts from the rows of the snapshot it began with.  Had the posting taken the locks
# itself, an account changed meanwhile would be updated from its older row version, re-locked
# through that version's tuple lock, which a confirmation waiting for this one holds: a deadlock
# of two confirmations sharing an account (PostgreSQL's log: ``waits for ExclusiveLock on tuple
# … blocked by`` the other, ``waits for ShareLock on transaction`` of this one).  Locked first,
# the posting's snapshot holds their last rows.
_LOCKED_ACCOUNTS = _MONEY_ACCOUNTS.with_for_update(key_share=True)


def _posting(check_active):
    """The posting of a voucher as CTEs of the one statement that ends it, its money accounts
    locked before (``_LOCKED_ACCOUNTS`` or ``_lock_and_check``): check that each may take its
    change (active unless ``check_active`` is false, neither negative nor above MAX_BALANCE),
    write their new balances and the entries (each with its account's balance after it).
    Returns ``(ctes, fits)``: ``fits`` is true when the accounts took the change; when it is
    false no balance changed, and the caller finds out why (``_lock_and_check``) and rolls back.
    Its parameters: ``_posting_parameters``.

    No Python runs between taking the account locks and writing: under many confirmations over
    few accounts, what a lock costs the others is two statements and the commit."""
    money = accounts_table.c
    change_ids = _array("change_ids", Integer)
    current = _MONEY_ACCOUNTS.cte("current")
    change = func.unnest(change_ids, _array("change_deltas", BigInteger)).table_valued("id", "delta").render_derived()
    new = (
        select(current.c.id, (current.c.balance + change.c.delta).label("balance"), current.c.active)
        .join_from(current, change, change.c.id == current.c.id)
        .cte("new")
    )
    takes = new.c.balance.between(0, MAX_BALANCE)
    if check_active:
        takes = takes & new.c.active
    checked = select(
        ((func.count() == func.cardinality(change_ids)) & func.coalesce(func.bool_and(takes), False)).label("fits")
    ).cte("checked")
    fits = select(checked.c.fits).scalar_subquery()
    balances = (
        update(accounts_table)
        .where(money.id == new.c.id, fits)
        .values(balance=new.c.balance, updated_at=_POSTED_AT)
        .returning(money.id, money.balance)
        .cte("balances")
    )
    posted = (
        func.unnest(
            _array("posted_account_ids", Integer), _array("posted_sides", String), _array("posted_amounts", BigInteger)
        )
        .table_valued("account_id", "side", "amount")
        .render_derived()
    )
    written = insert(entries).from_select(
        ["voucher_id", "posted_at", "account_id", "side", "amount", "balance_after"],
        select(
            _VOUCHER_ID, _POSTED_AT, posted.c.account_id, posted.c.side, posted.c.amount, balances.c.balance
        ).select_from(posted.outerjoin(balances, balances.c.id == posted.c.account_id)),
    )
    return [written.cte("entries")], fits


def _posting_parameters(postings, changes, voucher_id, posted_at):
    return {
        "posting_voucher_id": voucher_id,
        "posting_at": posted_at,
        "change_ids": list(changes),
        "change_deltas": list(changes.values()),
        "posted_account_ids": [account_id for account_id, _, _ in postings],
        "posted_sides": [side for _, side, _ in postings],
        "posted_amounts": [amount for _, _, amount in postings],
    }


@functools.cache
def _confirmation():
    """The statement of a confirmation: posting, new status, the ``voucher_confirmed`` event and
    the summary's rows (``voucher_days``: after the accounts' locks, as ``fits`` is evaluated
    before any of them is written); returns the confirmed voucher's row, or no row when an
    account may not take it."""
    ctes, fits = _posting(check_active=True)
    return (
        update(vouchers)
        .where(vouchers.c.id == _VOUCHER_ID, fits)
        .values(
            status=CONFIRMED,
            confirmed_at=_POSTED_AT,
            confirmed_by_id=bindparam("confirmed_by_id", type_=Integer),
            updated_at=_POSTED_AT,
        )
        .returning(*vouchers.c)
        .add_cte(*ctes, EVENTS_INSERT.cte("event"), voucher_days.upsert(fits).cte("days"))
    )


@functools.cache
def _reversal_posting():
    """The statement posting a reversal (its accounts checked under their locks before) and recording
    its ``voucher_confirmed`` event."""
    ctes, _ = _posting(check_active=False)
    return EVENTS_INSERT.add_cte(*ctes)


# -- reading ----------------------------------------------------------------------------------


def _key_filter(query, columns=Voucher):
    """The filter's conditions but the period, on ``Voucher`` or ``VoucherDay`` (same column names)."""
    conditions = []
    if query.get("kind"):
        conditions.append(columns.kind.in_(query["kind"]))
    if query.get("status"):
        conditions.append(columns.status.in_(query["status"]))
    if query.get("counterpart_type"):
        conditions.append(columns.counterpart_type.in_(query["counterpart_type"]))
    if "counterpart_id" in query:
        conditions.append(columns.counterpart_id == query["counterpart_id"])  # Voucher only (no summary)
    account_id = query.get("account_id")
    if account_id is not None:
        conditions.append(or_(columns.from_account_id == account_id, columns.to_account_id == account_id))
    return conditions


def _filter(query):
    conditions = _key_filter(query)
    start, end = query.get("start"), query.get("end")
    if start is not None:
        conditions.append(Voucher.date >= start)
    if end is not None:
        conditions.append(Voucher.date < end)
    return conditions


def _totals_conditions(account_id, columns=Voucher):
    """``in`` / ``out`` of the filter: money into / out of the account, or receipts / payments."""
    if account_id is not None:
        return columns.to_account_id == account_id, columns.from_account_id == account_id
    return columns.kind == rules.RECEIPT, columns.kind == rules.PAYMENT


def _counting_parts(query):
    """The filter's conditions and its ``in`` / ``out``, on either table (for voucher_days)."""
    return (
        lambda columns: _key_filter(query, columns),
        lambda columns: _totals_conditions(query.get("account_id"), columns),
    )


def list_vouchers(uow, query):
    """The filter of vouchers, newest first, with its count and totals over every match."""
    query = load(VoucherQuery(), query)
    if not sees_money(uow.actor):
        return dict(empty_page(query), totals={"in": 0, "out": 0})
    conditions = _filter(query)
    with uow:
        total, total_in, total_out = voucher_days.counted(uow.session, query, *_counting_parts(query))
        page, page_size = query["page"], query["page_size"]
        vouchers = uow.session.scalars(
            select(Voucher)
            .where(*conditions)
            .order_by(Voucher.date.desc(), Voucher.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        return {
            "items": [dump_voucher(voucher) for voucher in vouchers],
            "total": total,
            "page": page,
            "page_size": page_size,
            "totals": {"in": total_in, "out": total_out},
        }


def get_voucher(uow, voucher_id):
    if not sees_money(uow.actor):
        raise exceptions.VoucherNotFound()
    with uow:
        return dump_voucher(_voucher(uow.session, voucher_id))


# -- drafting -------------------------------------------------------------------------------


def create_voucher(uow, data):
    """Record a draft voucher with its number; nothing moves yet."""
    actor = require_treasurer(uow.actor)
    data = load(VoucherSchema(), data)
    kind = data["kind"]
    _check_shape(kind, data)
    moment = data["date"] or now()
    code, name = _counterpart(uow, data)
    _check_person_in_charge(uow, data["person_in_charge_id"])
    with uow:
        _check_accounts(uow.session, kind, data)
        at = now()
        voucher = Voucher(
            kind=kind,
            status=DRAFT,
            amount=data["amount"],
            from_account_id=data["from_account_id"],
            to_account_id=data["to_account_id"],
            person_in_charge_id=data["person_in_charge_id"],
            counterpart_type=data["counterpart_type"],
            counterpart_id=data["counterpart_id"],
            counterpart_code=code,
            counterpart_name=name,
            category=data["category"],
            date=moment,
            note=data["note"],
            created_by_id=actor.id,
            created_at=at,
            updated_at=at,
        )
        voucher.year = local(moment).year
        voucher.sequence, voucher.number = next_number(uow.session, kind, voucher.year)
        uow.session.add(voucher)
        uow.session.flush()
        voucher_days.change(uow.session, None, voucher_days.entry(voucher))
        uow.commit()
        log.info("voucher %s (%s) drafted by %s", voucher.number, voucher.id, actor.id)
        return dump_voucher(voucher)


def update_voucher(uow, voucher_id, data):
    """Edit a draft (its kind and number stay; its date stays in its number's year).

    A counterpart is changed as a whole: ``counterpart_type`` with ``counterpart_id``
    (customer, employee) or ``counterpart_name`` (supplier, other).
    """
    require_treasurer(uow.actor)
    data = load(VoucherChange(), data)
    if any(name in data for name in COUNTERPART_FIELDS) and "counterpart_type" not in data:
        raise exceptions.InvalidVoucher(
            fields={"counterpart_type": ["Send the whole counterpart: its type with its id or name."]}
        )
    with uow:
        current = _voucher(uow.session, voucher_id)
        if current.status != DRAFT:
            raise exceptions.VoucherNotDraft()
        before, kind, year = _values(current), current.kind, current.year
    merged = dict(before)
    if "counterpart_type" in data:
        merged.update(counterpart_id=None, counterpart_code=None, counterpart_name=None)
    merged.update(data)
    if "date" in data:
        merged["date"] = data["date"] or now()
        if local(merged["date"]).year != year:
            raise InvalidInput(fields={"date": ["Must stay in {}, the year of the voucher's number.".format(year)]})
    check = {name: value for name, value in merged.items() if name != "counterpart_code"}
    _check_shape(kind, check)
    if "counterpart_type" in data:
        merged["counterpart_code"], merged["counterpart_name"] = _counterpart(uow, check)
    if "person_in_charge_id" in data:
        _check_person_in_charge(uow, data["person_in_charge_id"])
    with uow:
        voucher = _voucher(uow.session, voucher_id, lock=True)
        if voucher.status != DRAFT:
            raise exceptions.VoucherNotDraft()
        if _values(voucher) != before:
            raise ConcurrentChange()  # edited meanwhile: what was checked above may no longer hold
        _check_accounts(uow.session, kind, merged)
        was = voucher_days.entry(voucher)
        for name, value in merged.items():
            setattr(voucher, name, value)
        voucher.updated_at = now()
        uow.session.flush()
        voucher_days.change(uow.session, was, voucher_days.entry(voucher))
        uow.commit()
        return dump_voucher(voucher)


def cancel_voucher(uow, voucher_id):
    actor = require_treasurer(uow.actor)
    with uow:
        voucher = _voucher(uow.session, voucher_id, lock=True)
        if voucher.status != DRAFT:
            raise exceptions.VoucherNotDraft()
        at = now()
        voucher.status, voucher.cancelled_at, voucher.cancelled_by_id, voucher.updated_at = CANCELLED, at, actor.id, at
        voucher_days.change(uow.session, voucher_days.entry(voucher, status=DRAFT), voucher_days.entry(voucher))
        uow.commit()
        return dump_voucher(voucher)


# -- moving money ---------------------------------------------------------------------------


def confirm_voucher(uow, voucher_id):
    """Post the draft: entries, balances and status in one transaction (see the module docstring)."""
    actor = require_treasurer(uow.actor)
    with uow:
        connection = uow.session.connection()  # Core rows: a confirmation needs no ORM object
        voucher = connection.execute(_LOCKED_VOUCHER, {"posting_voucher_id": voucher_id}).one_or_none()
        if voucher is None:
            raise exceptions.VoucherNotFound()
        if voucher.status != DRAFT:
            raise exceptions.VoucherNotDraft()
        postings, changes = _postings(
            uow.session, voucher.kind, voucher.from_account_id, voucher.to_account_id, voucher.amount
        )
        connection.execute(_LOCKED_ACCOUNTS, {"change_ids": list(changes)})
        at = now()  # entries are posted in the order of their ids, not strictly of this time
        confirmed = connection.execute(
            _confirmation(),
            {
                **_posting_parameters(postings, changes, voucher.id, at),
                **uow.event_parameters("voucher_confirmed", [_event(voucher)]),
                **voucher_days.parameters(
                    voucher_days.rows(voucher_days.entry(voucher), voucher_days.entry(voucher, status=CONFIRMED))
                ),
                "confirmed_by_id": actor.id,
            },
        ).one_or_none()
        if confirmed is None:  # an account may not take it: say why; leaving the block rolls back
            _lock_and_check(uow.session, voucher.kind, voucher.from_account_id, voucher.to_account_id, voucher.amount)
            raise ConcurrentChange()
        uow.commit()
        log.info("voucher %s confirmed by %s", voucher.number, actor.id)
        return dump_voucher(confirmed)


def reverse_voucher(uow, voucher_id):
    """Undo a confirmed voucher with the opposite one, confirmed at once, linked both ways.

    A receipt is reversed by a payment, a cash-to-bank by a bank-to-cash (and the other way
    round), an internal transfer by the transfer back.  A voucher is reversed at most once, and
    a reversal is not reversed again.  The reversal needs the money to be there (422
    otherwise) but not the accounts to be active: a correction must always be possible.
    """
    actor = require_treasurer(uow.actor)
    with uow:
        original = _voucher(uow.session, voucher_id, lock=True)
        if original.status != CONFIRMED:
            raise exceptions.VoucherNotConfirmed()
        if original.reversed_by_id is not None:
            raise exceptions.VoucherAlreadyReversed()
        if original.reverses_id is not None:
            raise exceptions.ReversalNotReversible()
        kind = rules.OPPOSITE[original.kind]
        from_account_id, to_account_id = original.to_account_id, original.from_account_id
        postings, changes = _lock_and_check(
            uow.session, kind, from_account_id, to_account_id, original.amount, check_active=False
        )
        at = now()
        reversal = Voucher(
            kind=kind,
            status=CONFIRMED,
            amount=original.amount,
            from_account_id=from_account_id,
            to_account_id=to_account_id,
            person_in_charge_id=original.person_in_charge_id,
            counterpart_type=original.counterpart_type,
            counterpart_id=original.counterpart_id,
            counterpart_code=original.counterpart_code,
            counterpart_name=original.counterpart_name,
            category=original.category,
            date=at,
            note="Reverses {}".format(original.number),
            reverses_id=original.id,
            created_by_id=actor.id,
            confirmed_by_id=actor.id,
            created_at=at,
            updated_at=at,
            confirmed_at=at,
        )
        reversal.year = local(at).year
        reversal.sequence, reversal.number = next_number(uow.session, kind, reversal.year)
        uow.session.add(reversal)
        uow.session.flush()
        uow.session.execute(
            _reversal_posting(),
            {
                **_posting_parameters(postings, changes, reversal.id, at),
                **uow.event_parameters("voucher_confirmed", [_event(reversal)]),
            },
        )
        voucher_days.change(uow.session, None, voucher_days.entry(reversal))
        original.reversed_by_id, original.updated_at = reversal.id, at
        uow.record_event("voucher_reversed", dict(_event(original), reversed_by_id=reversal.id))
        uow.commit()
        log.info("voucher %s reversed by %s (%s)", original.number, reversal.number, actor.id)
        return dump_voucher(reversal)
