"""The pure rules of vouchers: which accounts each kind needs, what it posts, how it is numbered.

No database and no bus here, so that every rule is unit-tested on its own
(``tests/unit/test_treasury_rules.py``).

Double entry: a voucher posts exactly two entries of its amount, one debit and one credit.
A debit raises a money account's balance, a credit lowers it.  A transfer moves money
between two of our accounts (debit the receiving one, credit the sending one); a receipt
debits the receiving account against the *outside world* (customers, suppliers, employees,
others: one account of type ``outside``), a payment credits the paying account against it.
Every voucher therefore nets to zero, and the trial balance's debits equal its credits.
"""

CASH, BANK, OUTSIDE = "cash", "bank", "outside"
RECEIPT, PAYMENT = "receipt", "payment"
CASH_TO_BANK, BANK_TO_CASH, INTERNAL_TRANSFER = "cash_to_bank", "bank_to_cash", "internal_transfer"
TRANSFERS = (CASH_TO_BANK, BANK_TO_CASH, INTERNAL_TRANSFER)
KINDS = (RECEIPT, PAYMENT) + TRANSFERS
DEBIT, CREDIT = "debit", "credit"

# kind -> (type of from_account, type of to_account); None: the voucher has no such side
ACCOUNT_TYPES = {
    RECEIPT: (None, (CASH, BANK)),
    PAYMENT: ((CASH, BANK), None),
    CASH_TO_BANK: ((CASH,), (BANK,)),
    BANK_TO_CASH: ((BANK,), (CASH,)),
    INTERNAL_TRANSFER: ((BANK,), (BANK,)),
}

# Vietnamese voucher names: phiếu thu, phiếu chi, nộp tiền, rút tiền, chuyển khoản
PREFIXES = {
    RECEIPT: "PT",
    PAYMENT: "PC",
    CASH_TO_BANK: "NT",
    BANK_TO_CASH: "RT",
    INTERNAL_TRANSFER: "CK",
}

# the opposite voucher a reversal creates
OPPOSITE = {
    RECEIPT: PAYMENT,
    PAYMENT: RECEIPT,
    CASH_TO_BANK: BANK_TO_CASH,
    BANK_TO_CASH: CASH_TO_BANK,
    INTERNAL_TRANSFER: INTERNAL_TRANSFER,
}

COUNTERPART_WITH_ID = ("customer", "employee")  # asked of the customers / directory service
COUNTERPART_WITH_NAME = ("supplier", "other")  # named by the accountant

TYPE_NAMES = {CASH: "a cash book", BANK: "a bank account"}


def number(kind, year, sequence):
    """``PT-2026-000001``: prefix of the kind, year of the voucher date, sequence in that kind and year."""
    return "{}-{}-{:06d}".format(PREFIXES[kind], year, sequence)


def is_transfer(kind):
    return kind in TRANSFERS


def shape_errors(kind, voucher):
    """Field errors of a voucher's shape (sides, counterpart, category, person in charge).

    ``voucher``: the voucher's fields as they would be saved.  Returns ``{field: [message]}``.
    """
    errors = {}
    from_types, to_types = ACCOUNT_TYPES[kind]
    for side, types in (("from_account_id", from_types), ("to_account_id", to_types)):
        if types is None and voucher.get(side) is not None:
            errors[side] = ["A {} has no {}.".format(kind.replace("_", " "), side)]
        elif types is not None and voucher.get(side) is None:
            errors[side] = ["Required for a {}.".format(kind.replace("_", " "))]
    if voucher.get("from_account_id") is not None and voucher.get("from_account_id") == voucher.get("to_account_id"):
        errors["to_account_id"] = ["Must differ from from_account_id."]
    if is_transfer(kind):
        for name in ("counterpart_type", "counterpart_id", "counterpart_name", "category"):
            if voucher.get(name) is not None:
                errors[name] = ["Only receipts and payments have this."]
        if voucher.get("person_in_charge_id") is None:
            errors["person_in_charge_id"] = ["Required for a transfer."]
        return errors
    counterpart_type = voucher.get("counterpart_type")
    if counterpart_type is None:
        errors["counterpart_type"] = ["Required for a receipt or a payment."]
    elif counterpart_type in COUNTERPART_WITH_ID:
        if voucher.get("counterpart_id") is None:
            errors["counterpart_id"] = ["Required for a counterpart of type {}.".format(counterpart_type)]
    elif voucher.get("counterpart_id") is not None:
        errors["counterpart_id"] = ["A counterpart of type {} has no id; name it.".format(counterpart_type)]
    elif voucher.get("counterpart_name") is None:
        errors["counterpart_name"] = ["Required for a counterpart of type {}.".format(counterpart_type)]
    if voucher.get("category") is None:
        errors["category"] = ["Required for a receipt or a payment."]
    return errors


def account_errors(kind, side, account):
    """Field errors for one side: ``account`` is ``{"type", "active"}`` or None (no such account)."""
    types = ACCOUNT_TYPES[kind][0 if side == "from_account_id" else 1]
    if types is None:
        return []
    if account is None:
        return ["No such account."]
    if account["type"] not in types:
        return ["A {} needs {} here.".format(kind.replace("_", " "), " or ".join(TYPE_NAMES[t] for t in types))]
    if not account["active"]:
        return ["This account is inactive."]
    return []


def entries(kind, from_account_id, to_account_id, outside_account_id, amount):
    """The two entries ``(account_id, side, amount)`` a voucher posts: the debit first."""
    debit = to_account_id if to_account_id is not None else outside_account_id
    credit = from_account_id if from_account_id is not None else outside_account_id
    if kind not in KINDS or debit == credit or amount <= 0:
        raise ValueError("not a postable voucher")
    return [(debit, DEBIT, amount), (credit, CREDIT, amount)]


def signed(side, amount):
    """What an entry does to its account's balance."""
    return amount if side == DEBIT else -amount


def balance_changes(postings):
    """``{account_id: change}`` of a list of entries (several entries on one account add up)."""
    changes = {}
    for account_id, side, amount in postings:
        changes[account_id] = changes.get(account_id, 0) + signed(side, amount)
    return changes
