"""The sender: sends queued messages through the providers, each exactly once.

Each round claims due messages (``queued`` -> ``sending``, attempt counted,
lease set) and commits *before* calling the provider, then records every
outcome: ``sent`` with the provider's id, or back to ``queued`` with a backoff
after a temporary error, or ``failed`` after a permanent error or the last
allowed attempt.  A message is therefore never sent by two instances, and a
redelivered request never creates a second message (see :mod:`batches`).

If the service stops while it waits for a provider, the message stays
``sending`` until its lease expires; the next round then asks the provider
whether it was accepted (:meth:`reconcile`): found -> ``sent``, not found ->
sent again, cannot tell (SMTP) -> ``failed`` with the reason, never a silent
duplicate or a silent loss.

Opted-out addresses are re-checked when claimed (``skipped``); advertising SMS
are held while the advertising window is closed.
"""
import logging
import time
from collections import Counter

import eventlet
from sqlalchemy import text

from services.notifications.providers import NOT_SENT, SENT, Outgoing, ProviderError

log = logging.getLogger(__name__)

CLAIM = text("""
WITH due AS (
    SELECT id FROM messages
    WHERE status = 'queued' AND next_attempt_at <= now() AND (NOT advertising OR :advertising_open)
    ORDER BY next_attempt_at, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE messages AS m SET
    status = CASE WHEN EXISTS (SELECT 1 FROM opt_outs o WHERE o.channel = m.channel AND o.address = m."to")
                  THEN 'skipped' ELSE 'sending' END,
    error = CASE WHEN EXISTS (SELECT 1 FROM opt_outs o WHERE o.channel = m.channel AND o.address = m."to")
                 THEN 'opted out' ELSE m.error END,
    attempts = m.attempts + 1,
    claimed_until = now() + make_interval(secs => :lease),
    updated_at = now()
FROM due WHERE m.id = due.id
RETURNING m.id, m.channel, m."to", m.body, m.sender, m.subject, m.html, m.status, m.attempts, now() AS claimed_at
""")

MARK_SENT = text("""
UPDATE messages SET
    status = CASE WHEN status = 'sending' THEN 'sent' ELSE status END,
    provider_id = COALESCE(provider_id, :provider_id),
    sent_at = COALESCE(sent_at, now()), claimed_until = NULL, error = NULL, updated_at = now()
WHERE id = :id
""")

MARK_RETRY = text("""
UPDATE messages SET status = 'queued', error = :error, claimed_until = NULL, updated_at = now(),
    next_attempt_at = now() + make_interval(secs => :delay)
WHERE id = :id AND status = 'sending'
""")

MARK_FAILED = text("""
UPDATE messages SET status = 'failed', error = :error, claimed_until = NULL, updated_at = now()
WHERE id = :id AND status = 'sending'
""")

IN_DOUBT = text("""
SELECT id, channel, "to", body, sender, subject, html, attempts, claimed_until - make_interval(secs => :lease) AS claimed_at
FROM messages
WHERE status = 'sending' AND claimed_until < now()
ORDER BY claimed_until
LIMIT :limit
FOR UPDATE SKIP LOCKED
""")

PROVIDER_ID_TAKEN = text("SELECT 1 FROM messages WHERE provider_id = :provider_id AND id <> :id")


def _outgoing(row):
    return Outgoing(id=row.id, channel=row.channel, to=row.to, body=row.body, sender=row.sender,
                    subject=row.subject, html=row.html, claimed_at=row.claimed_at)


def claim(session, settings):
    """Claim up to ``claim_size`` due messages (committed); returns those to send."""
    rows = session.execute(CLAIM, {
        "advertising_open": settings.advertising.is_open(settings.now()),
        "limit": settings.claim_size,
        "lease": settings.lease_seconds,
    }).all()
    session.commit()
    skipped = [row.id for row in rows if row.status == "skipped"]
    if skipped:
        log.info("skipped %s opted-out messages: %s", len(skipped), skipped[:20])
    return [(_outgoing(row), row.attempts) for row in rows if row.status == "sending"]


def _send_one(channels, item):
    message, attempts = item
    try:
        return message, attempts, channels.send(message.channel, message), None
    except ProviderError as exc:
        return message, attempts, None, exc
    except Exception as exc:  # a bug or an unexpected library error: recorded like a temporary one
        log.exception("unexpected error sending message %s", message.id)
        return message, attempts, None, ProviderError("{}: {}".format(type(exc).__name__, exc))


def deliver(channels, claimed, concurrency):
    """Send the claimed messages, ``concurrency`` at a time; yields (message, attempts, provider id, error)."""
    pool = eventlet.GreenPool(max(1, concurrency))
    return list(pool.imap(lambda item: _send_one(channels, item), claimed))


def record(session, results, settings, stats):
    sent, retry, failed = [], [], []
    for message, attempts, provider_id, error in results:
        if error is None:
            sent.append({"id": message.id, "provider_id": provider_id})
        elif error.permanent or attempts >= settings.max_attempts:
            failed.append({"id": message.id, "error": str(error)[:2000]})
            log.warning("message %s to %s failed after %s attempt(s): %s", message.id, message.to, attempts, error)
        else:
            retry.append({"id": message.id, "error": str(error)[:2000], "delay": settings.backoff(attempts)})
            log.info("message %s attempt %s failed, retrying in %ss: %s", message.id, attempts,
                     settings.backoff(attempts), error)
    for statement, params in ((MARK_SENT, sent), (MARK_RETRY, retry), (MARK_FAILED, failed)):
        if params:
            session.execute(statement, params)
    session.commit()
    stats.update(sent=len(sent), retried=len(retry), failed=len(failed))


def reconcile_interrupted(session, channels, settings, stats, limit=50):
    """Settle messages left ``sending`` by a stopped instance (lease expired)."""
    rows = session.execute(IN_DOUBT, {"lease": settings.lease_seconds, "limit": limit}).all()
    for row in rows:
        message = _outgoing(row)

        def taken(provider_id, message_id=row.id):
            return session.execute(PROVIDER_ID_TAKEN, {"provider_id": provider_id, "id": message_id}).first() is not None

        try:
            outcome, provider_id = channels.provider(row.channel).reconcile(message, taken=taken)
        except ProviderError as exc:
            log.warning("cannot check interrupted message %s yet: %s", row.id, exc)
            continue
        if outcome == SENT:
            session.execute(MARK_SENT, {"id": row.id, "provider_id": provider_id})
            stats["recovered_sent"] += 1
        elif outcome == NOT_SENT and row.attempts < settings.max_attempts:
            session.execute(MARK_RETRY, {"id": row.id, "delay": 0,
                                         "error": "interrupted before the provider accepted it; sending again"})
            stats["recovered_requeued"] += 1
        else:
            reason = ("interrupted while the provider was answering; whether it was accepted is unknown, "
                      "so it is not sent again") if outcome != NOT_SENT else "interrupted too many times"
            session.execute(MARK_FAILED, {"id": row.id, "error": reason})
            stats["recovered_failed"] += 1
        log.info("interrupted message %s to %s: %s", row.id, row.to, outcome)
    session.commit()


def send_due(session, channels, settings):
    """One sender tick: settle interrupted messages, then send rounds until none is due or time is up."""
    stats = Counter()
    started = time.monotonic()
    reconcile_interrupted(session, channels, settings, stats)
    while time.monotonic() - started < settings.tick_seconds:
        claimed = claim(session, settings)
        if not claimed:
            break
        record(session, deliver(channels, claimed, settings.concurrency), settings, stats)
    if stats:
        log.info("sender: %s", dict(stats))
    return stats
