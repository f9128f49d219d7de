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

Tokens are still checked on every request (signature, expiry) before the cache is consulted.
"""

import threading
import time
from collections import OrderedDict

DEFAULT_SIZE = 10_000
DEFAULT_SECONDS = 60.0


class ActorCache:
    """An LRU map ``user id -> value`` with a time-to-live; ``drop`` forgets users at once.

    A fetch that started before a ``drop`` of the same user must not put back what it read:
    :meth:`generation` is taken before fetching and :meth:`put` ignores a value read before the
    last drop of that user (or of everyone).
    """

    def __init__(self, size=DEFAULT_SIZE, seconds=DEFAULT_SECONDS, clock=time.monotonic):
        self.size = int(size)
        self.seconds = float(seconds)
        self.clock = clock
        self._entries = OrderedDict()  # user id -> (stored at, value)
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
        with self._lock:
            entry = self._entries.get(user_id)
            if entry is None:
                return None
            stored_at, value = entry
            if self.clock() - stored_at > self.seconds:
                del self._entries[user_id]
                return None
            self._entries.move_to_end(user_id)
            return value

    def put(self, user_id, value, generation):
        """Remember ``value`` fetched after ``generation``, unless the user was dropped since."""
        with self._lock:
            if generation < max(self._dropped.get(user_id, -1), self._cleared_at):
                return False
            self._entries[user_id] = (self.clock(), value)
            self._entries.move_to_end(user_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return True

    def drop(self, user_ids):
        """Forget these users (their next request asks the directory)."""
        with self._lock:
            self._generation += 1
            for user_id in user_ids:
                self._entries.pop(user_id, None)
                self._dropped[user_id] = self._generation
            if len(self._dropped) > 4 * self.size:  # old marks only matter to fetches in flight
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
