"""Login rate limiting on a real PostgreSQL (the gateway's migrated database)."""

import time

import pytest

from gateway.throttle import LoginThrottleStore, TooManyFailures

pytestmark = pytest.mark.infra

ADDRESS = "203.0.113.7"


@pytest.fixture
def make_store(databases):
    def make(**limits):
        return LoginThrottleStore(databases.engine("gateway"), **limits)

    yield make
    databases.truncate("gateway")


def test_a_username_is_locked_for_the_addresses_that_failed(make_store):
    store = make_store(max_failures=3, max_failures_per_address=100, lock_seconds=600)
    for _ in range(2):
        store.failed("An", ADDRESS)
        store.check("an", ADDRESS)  # still allowed
    store.failed(" AN ", ADDRESS)  # the same username, however written
    with pytest.raises(TooManyFailures) as locked:
        store.check("an", ADDRESS)
    assert locked.value.kind == "rate_limited" and 590 <= int(locked.value.headers["Retry-After"]) <= 600
    store.check("binh", ADDRESS)  # others are not affected
    store.check("an", "198.51.100.1")  # the real user, from an address that never failed: not locked out


def test_while_a_username_is_locked_each_new_address_gets_one_guess(make_store):
    store = make_store(max_failures=2, max_failures_per_address=100, lock_seconds=600)
    store.failed("an", ADDRESS)
    store.failed("an", "198.51.100.1")  # spread over two addresses: the username locks
    for address in (ADDRESS, "198.51.100.1"):
        with pytest.raises(TooManyFailures):
            store.check("an", address)
    store.check("an", "198.51.100.2")
    store.failed("an", "198.51.100.2")
    with pytest.raises(TooManyFailures):
        store.check("an", "198.51.100.2")


def test_a_success_clears_the_address_failures_and_the_lock_ends(make_store):
    store = make_store(max_failures=2, lock_seconds=1)
    store.failed("an", ADDRESS)
    store.succeeded("an", ADDRESS)
    store.failed("an", ADDRESS)  # the second failure for the username: locked...
    with pytest.raises(TooManyFailures):
        store.check("an", ADDRESS)
    store.succeeded("an", "198.51.100.1")  # ...and the real user signing in elsewhere does not unlock it
    with pytest.raises(TooManyFailures):
        store.check("an", ADDRESS)
    time.sleep(1.2)
    store.check("an", ADDRESS)


def test_an_address_trying_many_usernames_is_locked(make_store):
    store = make_store(max_failures=100, max_failures_per_address=4)
    for name in ("a", "b", "c", "d"):
        store.failed(name, ADDRESS)
    with pytest.raises(TooManyFailures):
        store.check("somebody-else", ADDRESS)
    store.check("somebody-else", "198.51.100.1")


def test_failures_older_than_the_window_do_not_count(make_store):
    store = make_store(max_failures=2, window_seconds=1)
    store.failed("an", ADDRESS)
    time.sleep(1.2)
    store.failed("an", ADDRESS)  # a new window: 1 failure
    store.check("an", ADDRESS)
    store.purge_expired()
