"""The gateway's actor cache: LRU size, time-to-live, invalidation, no stale put after a drop."""

from gateway.actors import ActorCache


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_stored_actor_is_returned_until_its_time_to_live_passes():
    clock = Clock()
    cache = ActorCache(size=10, seconds=60, clock=clock)
    assert cache.get(1) is None
    assert cache.put(1, {"id": 1}, cache.generation())
    clock.now = 59
    assert cache.get(1) == {"id": 1}
    clock.now = 61
    assert cache.get(1) is None and len(cache) == 0


def test_the_least_recently_used_entry_goes_first():
    cache = ActorCache(size=2, seconds=60, clock=Clock())
    for user_id in (1, 2):
        cache.put(user_id, user_id, cache.generation())
    cache.get(1)  # 2 is now the least recently used
    cache.put(3, 3, cache.generation())
    assert (cache.get(1), cache.get(2), cache.get(3)) == (1, None, 3)


def test_drop_forgets_only_the_users_named():
    cache = ActorCache(clock=Clock())
    for user_id in (1, 2, 3):
        cache.put(user_id, user_id, cache.generation())
    cache.drop([1, 3])
    assert (cache.get(1), cache.get(2), cache.get(3)) == (None, 2, None)


def test_a_fetch_that_started_before_a_drop_does_not_put_back_what_it_read():
    cache = ActorCache(clock=Clock())
    before = cache.generation()  # a request starts fetching user 1 ...
    cache.drop([1])  # ... user 1 is deactivated meanwhile ...
    assert not cache.put(1, {"id": 1, "active": True}, before)  # ... its stale answer is not kept
    assert cache.get(1) is None
    assert cache.put(1, {"id": 1}, cache.generation())  # a fetch after the drop is kept
    assert cache.put(2, 2, before)  # other users are not affected


def test_clear_forgets_everyone_and_refuses_fetches_in_flight():
    cache = ActorCache(clock=Clock())
    before = cache.generation()
    cache.put(1, 1, before)
    cache.clear()
    assert cache.get(1) is None and not cache.put(2, 2, before)
