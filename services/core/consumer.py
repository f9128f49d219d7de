"""Idempotent consumer: an event's effect is applied once per consumer.

A handler calls :func:`first_delivery` with its session before applying the
event; the record is written in the same transaction as the effect, so a
redelivered event (or one relayed twice) finds it and does nothing.
"""

from sqlalchemy.dialects.postgresql import insert

from services.core.plumbing import processed_events


def first_delivery(session, consumer, event_id):
    """True the first time ``consumer`` sees ``event_id`` (in this transaction)."""
    result = session.execute(
        insert(processed_events)
        .values(consumer=consumer, event_id=str(event_id))
        .on_conflict_do_nothing()
        .returning(processed_events.c.event_id)
    )
    return result.first() is not None
