"""A bounded map of what a process keeps from one request to the next: least recently used out
first, each entry at most ``seconds`` old.  Used by the gateway's actors (``gateway/actors.py``)
and the customers' list totals (``services/customers/totals.py``); both add their own rule for
when an entry stops being true.  Thread-safe (one lock), as green threads and real ones may share it.
"""

import threading
import time
from collections import OrderedDict


class TimedLru:
    def __init__(self, size, seconds, clock=time.monotonic):
        self.size = int(size)
        self.seconds = float(seconds)
        self.clock = clock
        self._entries = OrderedDict()  # key -> (stored at, value)
        self._lock = threading.Lock()

    def get(self, key):
        """The value, or None when absent or older than ``seconds``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, value = entry
            if self.clock() - stored_at > self.seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key, value):
        """Keep ``value`` (the least recently used entry goes when there are more than ``size``)."""
        with self._lock:
            self._entries[key] = (self.clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def pop(self, key):
        with self._lock:
            self._entries.pop(key, None)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)
