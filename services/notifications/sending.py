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
from collections import Counter, deque

import eventlet
from eventlet.queue import Empty, LightQueue
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
RETURNING m.id, m.channel, m."to", m.body, m.sender, m.subject, m.html, m.advertising, m.status, m.attempts,
    now() AS claimed_at
""")

# The outcomes of a round, one statement each (arrays of ids and values, one round trip).
MARK_SENT = text("""
UPDATE messages AS m SET
    status = CASE WHEN m.status = 'sending' THEN 'sent' ELSE m.status END,
    provider_id = COALESCE(m.provider_id, v.provider_id),
    sent_at = COALESCE(m.sent_at, now()), claimed_until = NULL, error = NULL, updated_at = now()
FROM unnest(CAST(:ids AS bigint[]), CAST(:provider_ids AS text[])) AS v(id, provider_id)
WHERE m.id = v.id
""")

MARK_RETRY = text("""
UPDATE messages AS m SET status = 'queued', error = v.error, claimed_until = NULL, updated_at = now(),
    next_attempt_at = now() + make_interval(secs => v.delay)
FROM unnest(CAST(:ids AS bigint[]), CAST(:errors AS text[]), CAST(:delays AS float8[])) AS v(id, error, delay)
WHERE m.id = v.id AND m.status = 'sending'
""")

MARK_FAILED = text("""
UPDATE messages AS m SET status = 'failed', error = v.error, claimed_until = NULL, updated_at = now()
FROM unnest(CAST(:ids AS bigint[]), CAST(:errors AS text[])) AS v(id, error)
WHERE m.id = v.id AND m.status = 'sending'
""")

# A claim given back unsent (its lease ran short before its turn came): the attempt is not counted.
RELEASE = text("""
UPDATE messages SET status = 'queued', attempts = attempts - 1, claimed_until = NULL, updated_at = now()
WHERE id = ANY(CAST(:ids AS bigint[])) AND status = 'sending'
""")

IN_DOUBT = text("""
SELECT id, channel, "to", body, sender, subject, html, advertising, attempts, claimed_until - make_interval(secs => :lease) AS claimed_at
FROM messages
WHERE status = 'sending' AND claimed_until < now()
ORDER BY claimed_until
LIMIT :limit
FOR UPDATE SKIP LOCKED
""")

PROVIDER_ID_TAKEN = text("SELECT 1 FROM messages WHERE provider_id = :provider_id AND id <> :id")


def _outgoing(row):
    return Outgoing(
        id=row.id,
        channel=row.channel,
        to=row.to,
        body=row.body,
        sender=row.sender,
        subject=row.subject,
        html=row.html,
        advertising=row.advertising,
        claimed_at=row.claimed_at,
    )


def claim(uow, settings):
    """Claim up to ``claim_size`` due messages (committed); returns those to send."""
    with uow:
        rows = uow.session.execute(
            CLAIM,
            {
                "advertising_open": settings.advertising.is_open(settings.now()),
                "limit": settings.claim_size,
                "lease": settings.lease_seconds,
            },
        ).all()
        uow.commit()
    skipped = [row.id for row in rows if row.status == "skipped"]
    if skipped:
        log.info("skipped %s opted-out messages: %s", len(skipped), skipped[:20])
    return [(_outgoing(row), row.attempts) for row in rows if row.status == "sending"]


# The outcome of a claimed message given back unsent: its lease ran short before its turn came,
# or it is an advertising SMS and the advertising window closed meanwhile.
RELEASED = ProviderError("not sent: given back")


def _send_one(channels, item, send_by, settings):
    message, attempts = item
    if time.monotonic() > send_by or (message.advertising and not settings.advertising.is_open(settings.now())):
        return message, attempts, None, RELEASED
    try:
        return message, attempts, channels.send(message.channel, message), None
    except ProviderError as exc:
        return message, attempts, None, exc
    except Exception as exc:  # a bug or an unexpected library error: recorded like a temporary one
        log.exception("unexpected error sending message %s", message.id)
        return message, attempts, None, ProviderError("{}: {}".format(type(exc).__name__, exc))


def record(uow, results, settings, stats):
    """Record the outcomes of sent messages (one statement per kind of outcome), committed."""
    sent, retry, failed, released = [], [], [], []
    for message, attempts, provider_id, error in results:
        if error is None:
            sent.append((message.id, provider_id))
        elif error is RELEASED:
            released.append(message.id)
        elif error.permanent or attempts >= settings.max_attempts:
            failed.append((message.id, str(error)[:2000]))
            log.warning("message %s to %s failed after %s attempt(s): %s", message.id, message.to, attempts, error)
        else:
            retry.append((message.id, str(error)[:2000], float(settings.backoff(attempts))))
            log.info(
                "message %s attempt %s failed, retrying in %ss: %s",
                message.id,
                attempts,
                settings.backoff(attempts),
                error,
            )
    with uow:
        _mark(uow.session, sent=sent, retry=retry, failed=failed, released=released)
        uow.commit()
    stats.update(sent=len(sent), retried=len(retry), failed=len(failed), released=len(released))


def _mark(session, sent=(), retry=(), failed=(), released=()):
    """Run the statements for lists of (id, provider id) sent, (id, error, delay) retry, (id, error) failed."""
    if sent:
        ids, provider_ids = zip(*sent)
        session.execute(MARK_SENT, {"ids": list(ids), "provider_ids": list(provider_ids)})
    if retry:
        ids, errors, delays = zip(*retry)
        session.execute(MARK_RETRY, {"ids": list(ids), "errors": list(errors), "delays": list(delays)})
    if failed:
        ids, errors = zip(*failed)
        session.execute(MARK_FAILED, {"ids": list(ids), "errors": list(errors)})
    if released:
        session.execute(RELEASE, {"ids": list(released)})


def reconcile_interrupted(uow, channels, settings, stats, limit=50):
    """Settle messages left ``sending`` by a stopped instance (lease expired).

    Their rows stay locked (``SKIP LOCKED`` for the other instances) while the provider is asked."""
    with uow:
        _reconcile(uow.session, channels, settings, stats, limit)
        uow.commit()


def _reconcile(session, channels, settings, stats, limit):
    rows = session.execute(IN_DOUBT, {"lease": settings.lease_seconds, "limit": limit}).all()
    for row in rows:
        message = _outgoing(row)

        def taken(provider_id, message_id=row.id):
            return (
                session.execute(PROVIDER_ID_TAKEN, {"provider_id": provider_id, "id": message_id}).first() is not None
            )

        try:
            outcome, provider_id = channels.provider(row.channel).reconcile(message, taken=taken)
        except ProviderError as exc:
            log.warning("cannot check interrupted message %s yet: %s", row.id, exc)
            continue
        if outcome == SENT:
            _mark(session, sent=[(row.id, provider_id)])
            stats["recovered_sent"] += 1
        elif outcome == NOT_SENT and row.attempts < settings.max_attempts:
            _mark(session, retry=[(row.id, "interrupted before the provider accepted it; sending again", 0.0)])
            stats["recovered_requeued"] += 1
        else:
            reason = (
                (
                    "interrupted while the provider was answering; whether it was accepted is unknown, "
                    "so it is not sent again"
                )
                if outcome != NOT_SENT
                else "interrupted too many times"
            )
            _mark(session, failed=[(row.id, reason)])
            stats["recovered_failed"] += 1
        log.info("interrupted message %s to %s: %s", row.id, row.to, outcome)


def _receive(finished, timeout):
    """The outcomes that came in: waits up to ``timeout`` for the first one, takes the others there."""
    received = []
    try:
        received.append(finished.get(timeout=timeout))
        while True:
            received.append(finished.get_nowait())
    except Empty:
        return received


def _settle_after_error(uow, outcomes, ready, settings, stats):
    """Best effort after a failed tick: record what was sent, give back what was claimed but not
    started; whatever cannot be written now is settled when its lease ends (reconcile_interrupted)."""
    try:
        record(
            uow,
            outcomes + [(message, attempts, None, RELEASED) for (message, attempts), _ in ready],
            settings,
            stats,
        )
    except Exception:
        log.exception(
            "could not record %s outcomes after an error; their leases will settle them", len(outcomes) + len(ready)
        )


# Outcomes are recorded at least this often (seconds), or as soon as ``concurrency`` of them are in.
RECORD_EVERY = 0.2


def send_due(uow, channels, settings):
    """One sender tick: settle interrupted messages, then send until none is due or time is up.

    ``concurrency`` messages are always on their way to the providers: the next ones are claimed
    (and committed) while the last claimed are being sent, and outcomes are recorded as they come
    in, a group at a time, instead of every round waiting for its slowest message.  A claimed
    message that could not start within half its lease is given back unsent, so it can never be
    taken for an interrupted one while this instance still holds it.
    """
    stats = Counter()
    started = time.monotonic()
    reconcile_interrupted(uow, channels, settings, stats)
    concurrency = max(1, settings.concurrency)
    pool = eventlet.GreenPool(concurrency)
    finished = LightQueue()
    ready = deque()  # (claimed item, start it before this monotonic time)
    outcomes, in_flight, more, recorded_at = [], 0, True, time.monotonic()
    try:
        while True:
            if more and len(ready) < concurrency:
                more = time.monotonic() - started < settings.tick_seconds
                claimed = claim(uow, settings) if more else []
                send_by = time.monotonic() + settings.lease_seconds / 2
                ready.extend((item, send_by) for item in claimed)
                more = more and bool(claimed)
            while ready and in_flight < concurrency:
                item, send_by = ready.popleft()
                pool.spawn_n(lambda *args: finished.put(_send_one(*args)), channels, item, send_by, settings)
                in_flight += 1
            if not in_flight and not outcomes:
                break
            if in_flight:
                received = _receive(finished, RECORD_EVERY)
                in_flight -= len(received)
                outcomes.extend(received)
            if outcomes and (
                len(outcomes) >= concurrency or not in_flight or time.monotonic() - recorded_at >= RECORD_EVERY
            ):
                record(uow, outcomes, settings, stats)
                outcomes, recorded_at = [], time.monotonic()
    except Exception:
        pool.waitall()  # no send outlives its tick
        _settle_after_error(uow, outcomes + _receive(finished, 0), ready, settings, stats)
        raise
    if stats:
        log.info("sender: %s", dict(stats))
    return stats
