"""What posting a stock move does to on-hand, line by line: pure rules, no database.

Each kind, for a line ``{product_id, quantity}``:

- ``receipt``: on-hand of the product in ``warehouse_id`` goes up by ``quantity``;
- ``issue``: it goes down by ``quantity`` (refused if fewer are on hand);
- ``transfer``: down by ``quantity`` in ``warehouse_id``, up by ``quantity`` in
  ``to_warehouse_id`` (refused if fewer are on hand at the source), so every product's total
  over all warehouses is unchanged;
- ``adjustment``: ``quantity`` is the **counted** on-hand, which replaces what the books say
  (the change is ``counted - on_hand``, possibly 0 or negative).  A stock count states what is
  there, so it never makes on-hand negative, and posting the same count twice changes nothing
  the second time; a signed delta would do neither.

A move posts all its lines or none: :func:`post_lines` returns every entry, or every shortage.
"""

from dataclasses import dataclass

RECEIPT, ISSUE, TRANSFER, ADJUSTMENT = "receipt", "issue", "transfer", "adjustment"
KINDS = (RECEIPT, ISSUE, TRANSFER, ADJUSTMENT)


@dataclass(frozen=True)
class Entry:
    """A change of one product's on-hand in one warehouse; ``quantity`` is the on-hand after it."""

    warehouse_id: int
    product_id: int
    change: int
    quantity: int


@dataclass(frozen=True)
class Shortage:
    warehouse_id: int
    product_id: int
    requested: int
    available: int


@dataclass(frozen=True)
class Posting:
    entries: tuple
    shortages: tuple

    @property
    def ok(self):
        return not self.shortages


def _signed_changes(kind, warehouse_id, to_warehouse_id, product_id, quantity):
    """(warehouse_id, change) pairs of one line, for the kinds whose change does not depend on on-hand."""
    if kind == RECEIPT:
        return [(warehouse_id, quantity)]
    if kind == ISSUE:
        return [(warehouse_id, -quantity)]
    if kind == TRANSFER:
        return [(warehouse_id, -quantity), (to_warehouse_id, quantity)]
    raise ValueError("unknown move kind: {!r}".format(kind))


def stock_keys(kind, warehouse_id, to_warehouse_id, lines):
    """Every (warehouse_id, product_id) the move touches, sorted: the order its rows are locked in.

    One fixed order for every posting means two postings never wait on each other in a circle.
    """
    warehouses = [warehouse_id, to_warehouse_id] if kind == TRANSFER else [warehouse_id]
    return sorted({(warehouse, line["product_id"]) for warehouse in warehouses for line in lines})


def receiving_keys(kind, warehouse_id, to_warehouse_id, lines):
    """The (warehouse_id, product_id) whose on-hand row may have to be created (they may go up)."""
    if kind == ISSUE:
        return []
    target = to_warehouse_id if kind == TRANSFER else warehouse_id
    return sorted({(target, line["product_id"]) for line in lines})


def receives_every_row(kind):
    """Whether every on-hand row the move touches is one it may add to (receipt, adjustment).

    Then locking the move's rows is creating those that are missing, in the lock order, and the
    rows to lock are the lines' products in the move's warehouse: one statement can read the lines
    and lock their rows together.  An issue or a transfer also takes from rows it must not create.
    """
    return kind in (RECEIPT, ADJUSTMENT)


def post_lines(kind, warehouse_id, to_warehouse_id, lines, on_hand):
    """The entries posting these lines makes, or the shortages refusing it.

    ``on_hand`` maps (warehouse_id, product_id) to the current quantity (absent: 0).  Entries come
    in line order (for a transfer: the source, then the destination, of each line).
    """
    entries, shortages = [], []
    current = dict(on_hand)
    for line in lines:
        product_id, quantity = line["product_id"], line["quantity"]
        if kind == ADJUSTMENT:
            before = current.get((warehouse_id, product_id), 0)
            changes = [(warehouse_id, quantity - before)]
        else:
            changes = _signed_changes(kind, warehouse_id, to_warehouse_id, product_id, quantity)
        for warehouse, change in changes:
            before = current.get((warehouse, product_id), 0)
            after = before + change
            if after < 0:
                shortages.append(Shortage(warehouse, product_id, -change, before))
                continue
            current[(warehouse, product_id)] = after
            entries.append(Entry(warehouse, product_id, change, after))
    if shortages:
        return Posting((), tuple(shortages))
    return Posting(tuple(entries), ())
