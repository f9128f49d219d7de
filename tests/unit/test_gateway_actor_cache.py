"""The gateway's actor cache: LRU size, time-to-live, invalidation by each kind of the directory's
``actor_changed``, no stale put after a drop; and what the directory says changed."""

import pytest

from gateway.actors import ActorCache, SignedIn, forget, signed_in
from services.directory import actor_changes


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


# -- what the gateway does with it -------------------------------------------------------------


class Directory:
    """A fake ``rpc`` answering ``directory.get_actor(user_id, True)`` and counting the calls."""

    def __init__(self):
        self.calls = []
        self.version = 0

    def __call__(self, service, method, *args):
        self.calls.append((service, method) + args)
        user_id = args[0]
        return {"id": user_id, "roles": ["staff"], "token_version": self.version, "profile": {"id": user_id}}


def test_a_cold_user_costs_one_get_actor_call_then_none():
    cache, directory = ActorCache(clock=Clock()), Directory()
    first = signed_in(cache, directory, 5)
    assert first == SignedIn({"id": 5, "roles": ["staff"]}, 0, {"id": 5})
    assert signed_in(cache, directory, 5) is first
    assert directory.calls == [("directory", "get_actor", 5, True)]


def test_an_expired_or_evicted_user_is_asked_for_again():
    clock, directory = Clock(), Directory()
    cache = ActorCache(size=1, seconds=60, clock=clock)
    signed_in(cache, directory, 1)
    signed_in(cache, directory, 2)  # evicts 1
    signed_in(cache, directory, 1)
    clock.now = 61
    signed_in(cache, directory, 1)
    assert [call[2] for call in directory.calls] == [1, 2, 1, 1]


def event(user_ids, changes):
    return {"id": "e1", "type": actor_changes.EVENT, "data": actor_changes.event_data(user_ids, changes)}


@pytest.mark.parametrize("kind", actor_changes.KINDS)
def test_every_kind_of_actor_change_makes_the_gateway_ask_again(kind):
    cache, directory = ActorCache(clock=Clock()), Directory()
    for user_id in (1, 2, 3):
        signed_in(cache, directory, user_id)
    directory.version = 1  # what the directory now says of them
    forget(cache, event([1, 3], [kind]))
    assert [signed_in(cache, directory, user_id).token_version for user_id in (1, 2, 3)] == [1, 0, 1]
    assert [call[2] for call in directory.calls] == [1, 2, 3, 1, 3]


def test_a_malformed_event_forgets_everybody():
    cache = ActorCache(clock=Clock())
    cache.put(1, "kept", cache.generation())
    forget(cache, {"data": {"user_id": 1}})
    assert cache.get(1) is None


# -- what the directory says changed -------------------------------------------------------------


def user(**changes):
    base = {
        "active": True,
        "token_version": 0,
        "roles": ["staff"],
        "department_id": 1,
        "username": "an",
        "full_name": "An",
        "email": None,
        "phone": None,
    }
    return dict(base, **changes)


@pytest.mark.parametrize(
    "after, password, expected",
    [
        (user(active=False, token_version=1), False, ["deactivated"]),
        (user(roles=["admin", "staff"]), False, ["roles"]),
        (user(department_id=2), False, ["department"]),
        (user(full_name="An Nguyen", phone="+84 90 000 0000"), False, ["profile"]),
        (user(token_version=1), True, ["password"]),
        (user(active=False, roles=["admin"], email="an@example.com"), False, ["deactivated", "roles", "profile"]),
        (user(), False, []),
    ],
)
def test_the_changes_of_a_user_edit(after, password, expected):
    assert actor_changes.user_changes(user(), after, password) == expected


def test_reactivation_is_a_change():
    assert actor_changes.user_changes(user(active=False), user()) == ["reactivated"]


def test_a_managers_change_names_who_was_added_and_who_was_removed():
    assert actor_changes.managers_changed([1, 2, 3], [3, 4]) == [1, 2, 4]
    assert actor_changes.managers_changed([1], [1]) == []
