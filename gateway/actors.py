"""Who is signed in, remembered by each gateway instance.

Every authenticated request needs its actor (roles, department, managed departments); asking
the directory each time doubled the cost of a request.  Each gateway instance keeps the actors
(and the ``/me`` profiles) it fetched in an :class:`ActorCache`:

- kept true by events, not by time: the directory publishes ``actor_changed`` (through its
  outbox) naming the users whose actor or profile changed — deactivated or reactivated, roles,
  department, password, profile, a department's managers — and every gateway instance hears
  every such event (a broadcast queue per instance) and forgets those users;
- bounded: at most ``ACTOR_CACHE_SIZE`` users (least recently used go first), each entry at
  most ``ACTOR_CACHE_SECONDS`` old, a safety net for an event missed while the broker was away;
- a cold, evicted or expired entry costs one ``directory.get_actor`` call.

Tokens are still checked on every request (signature, expiry) before the cache is consulted,
and the token's version against the kept actor's.

The instance's queue (``evt-directory-actor_changed--gateway.actors-<random>``) is exclusive and
auto-deleted: it lives as long as the instance's connection, so the queue of a gone instance does
not fill up; it is not one of the queues the prepare step declares ahead (those are shared by the
instances of a service).  After a (re)connection the cache starts empty, since events published
while the instance had no queue never reach it.  With no gateway running, the directory's relay
counts ``actor_changed`` as unrouted: nobody keeps an actor then.
"""

import logging
import threading
import time
import uuid
from typing import NamedTuple

from kombu import Queue
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.standalone.events import get_event_exchange

from services.core.config import setting
from services.core.lru import TimedLru

log = logging.getLogger(__name__)

DEFAULT_SIZE = 10_000  # the default of ACTOR_CACHE_SIZE: users kept per gateway instance
DEFAULT_SECONDS = 60.0  # the default of ACTOR_CACHE_SECONDS: how long one is kept at most

SOURCE = "directory"
EVENT = "actor_changed"  # services/directory/actor_changes.py


class ActorCache:
    """An LRU map ``user id -> value`` with a time-to-live; ``drop`` forgets users at once.

    A fetch that started before a ``drop`` of the same user must not put back what it read:
    :meth:`generation` is taken before fetching and :meth:`put` ignores a value read before the
    last drop of that user (or of everyone).
    """

    def __init__(self, size=DEFAULT_SIZE, seconds=DEFAULT_SECONDS, clock=time.monotonic):
        self._entries = TimedLru(size, seconds, clock)  # user id -> value
        self._dropped = {}  # user id -> generation of its last drop
        self._generation = 0
        self._cleared_at = 0
        self._lock = threading.Lock()

    def generation(self):
        """A mark to give :meth:`put` for a value fetched from now on."""
        with self._lock:
            return self._generation

    def get(self, user_id):
        """The value, or None when absent or older than the time-to-live."""
        return self._entries.get(user_id)

    def put(self, user_id, value, generation):
        """Remember ``value`` fetched after ``generation``, unless the user was dropped since."""
        with self._lock:
            if generation < max(self._dropped.get(user_id, -1), self._cleared_at):
                return False
            self._entries.put(user_id, value)
            return True

    def drop(self, user_ids):
        """Forget these users (their next request asks the directory)."""
        with self._lock:
            self._generation += 1
            for user_id in user_ids:
                self._entries.pop(user_id)
                self._dropped[user_id] = self._generation
            if len(self._dropped) > 4 * self._entries.size:  # old marks only matter to fetches in flight
                self._cleared_at = self._generation
                self._dropped.clear()

    def clear(self):
        with self._lock:
            self._generation += 1
            self._cleared_at = self._generation
            self._entries.clear()
            self._dropped.clear()

    def __len__(self):
        return len(self._entries)


class SignedIn(NamedTuple):
    """What the gateway keeps of a signed-in user: the actor (context data), the version its
    tokens must carry, and its ``/me`` page."""

    actor: dict
    token_version: int
    profile: dict


def signed_in(cache, rpc, user_id):
    """The kept :class:`SignedIn` of ``user_id``, or one ``directory.get_actor`` call (401 for a
    deactivated or unknown user: never kept)."""
    entry = cache.get(user_id)
    if entry is not None:
        return entry
    generation = cache.generation()
    answer = rpc("directory", "get_actor", user_id, True)
    profile = answer.pop("profile")
    entry = SignedIn(answer, answer.pop("token_version", 0), profile)
    cache.put(user_id, entry, generation)
    return entry


def forget(cache, event):
    """Apply one ``actor_changed`` event: the users it names are asked for again."""
    data = (event or {}).get("data") or {}
    user_ids = data.get("user_ids")
    if not isinstance(user_ids, list):
        log.warning("an %s event without user ids: forgetting every actor (%r)", EVENT, event)
        cache.clear()
        return
    cache.drop(user_ids)


class _ActorEventsConsumer(QueueConsumer):
    """The instance's own consumer (own connection) of its broadcast queue; on every (re)connection
    its providers start over (``reconnected``)."""

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        super().on_consume_ready(connection, channel, consumers, **kwargs)
        for provider in list(self._providers):
            provider.reconnected()


class Actors(DependencyProvider):
    """The instance's :class:`ActorCache` (``ACTOR_CACHE_SIZE``, ``ACTOR_CACHE_SECONDS``), kept true
    by the directory's ``actor_changed`` events on a queue of this instance alone.

    The events are applied by the consumer's own thread, not by a worker: a gateway whose workers
    are all busy still forgets at once.
    """

    queue_consumer = _ActorEventsConsumer()

    def setup(self):
        config = self.container.config
        self.cache = ActorCache(
            int(setting(config, "ACTOR_CACHE_SIZE", DEFAULT_SIZE)),
            float(setting(config, "ACTOR_CACHE_SECONDS", DEFAULT_SECONDS)),
        )
        name = "evt-{}-{}--{}.actors-{}".format(SOURCE, EVENT, self.container.service_name, uuid.uuid4().hex)
        exchange = get_event_exchange(SOURCE, config)
        self.queue = Queue(name, exchange=exchange, routing_key=EVENT, durable=False, exclusive=True, auto_delete=True)
        self.queue_consumer.register_provider(self)

    def stop(self):
        self.queue_consumer.unregister_provider(self)

    def handle_message(self, body, message):
        try:
            forget(self.cache, body)
        except Exception:  # a malformed event: an error here would stop the instance
            log.exception("could not apply an %s event; forgetting every actor", EVENT)
            self.cache.clear()
        self.queue_consumer.ack_message(message)

    def reconnected(self):
        self.cache.clear()

    def get_dependency(self, worker_ctx):
        return self.cache
