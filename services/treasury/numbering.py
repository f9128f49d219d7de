"""Voucher numbers: ``PT-2026-000001``, sequential without gaps inside a kind and a year.

The counter of (kind, year) is one row, incremented by the creating transaction itself
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``).  Its row lock is held until that
transaction ends: concurrent creations of one kind take their numbers one after another, and
a creation that rolls back gives its number back with everything else, so no number is ever
skipped.  Take the number last, just before committing, to hold that lock briefly.  A
cancelled draft keeps its number (the sequence stays complete: the voucher is still there).
"""

from sqlalchemy.dialects.postgresql import insert

from services.treasury.models import VoucherCounter
from services.treasury.rules import number


def next_number(session, kind, year):
    """``(sequence, number)`` for a new voucher of ``kind`` in ``year``, in the session's transaction."""
    statement = insert(VoucherCounter).values(kind=kind, year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[VoucherCounter.kind, VoucherCounter.year], set_={"last": VoucherCounter.last + 1}
    ).returning(VoucherCounter.last)
    sequence = session.scalar(statement)
    return sequence, number(kind, year, sequence)
