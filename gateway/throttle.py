"""Login rate limiting: guessing is slowed per username and per client address, without letting
anyone lock the real user out.

- Per client address: ``LOGIN_MAX_FAILURES_PER_ADDRESS`` failures (default 50) in any
  ``LOGIN_FAILURE_WINDOW_SECONDS`` (default 900) lock that address out of every username.
- Per username: ``LOGIN_MAX_FAILURES`` failures (default 5, from anywhere) in the window lock the
  username — but only for the addresses that failed for it in the window.  An address that never
  failed for this username (the real user, at their desk) signs in as usual; an attacker's
  addresses are refused, and each new address gets one guess before it is refused too.  So five
  wrong passwords sent at ``admin`` no longer lock the admin out, and a spread attack still
  costs one address per guess while the lock lasts.

Refusals answer ``429 TOO_MANY_SIGN_IN_FAILURES`` with ``Retry-After`` for ``LOGIN_LOCK_SECONDS``
(default 900), whatever the password.  A successful sign-in clears that address's failures for
the username (not the username's count: the real user signing in does not give an attacker new
tries).  The counts live in the gateway's database, so every gateway instance sees them; each
failure is one atomic upsert per key.
"""

import logging
import math

from nameko.extensions import DependencyProvider
from sqlalchemy import case, delete, func, not_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from gateway.errors import ApiError
from gateway.models import LoginThrottle
from services.core.config import setting
from services.core.db import database_url, make_engine

log = logging.getLogger(__name__)

# the defaults of LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDRESS, LOGIN_FAILURE_WINDOW_SECONDS
# and LOGIN_LOCK_SECONDS
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 50
WINDOW_SECONDS = 900
LOCK_SECONDS = 900

throttles = LoginThrottle.__table__


class TooManyFailures(ApiError):
    def __init__(self, seconds):
        super().__init__(
            "rate_limited",
            "TOO_MANY_SIGN_IN_FAILURES",
            "Too many failed sign-ins; try again in {} seconds.".format(seconds),
        )
        self.headers = {"Retry-After": str(seconds)}


class LoginThrottleStore:
    def __init__(
        self,
        engine,
        max_failures=MAX_FAILURES,
        max_failures_per_address=MAX_FAILURES_PER_ADDRESS,
        window_seconds=WINDOW_SECONDS,
        lock_seconds=LOCK_SECONDS,
    ):
        self.engine = engine
        self.limits = {"user": max_failures, "address": max_failures_per_address}
        self.window_seconds = window_seconds
        self.lock_seconds = lock_seconds

    @staticmethod
    def _keys(username, address):
        """``user``: the username from anywhere; ``attempt``: this username from this address."""
        name = username.strip().lower()
        keys = {"user": "user:" + name}
        if address:
            keys["address"] = "address:" + address
            keys["attempt"] = "attempt:{}@{}".format(name, address)
        return keys

    def check(self, username, address):
        """Refuse (TooManyFailures) while the address is locked, or the username is and this address
        failed for it in the window."""
        keys = self._keys(username, address)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    throttles.c.key,
                    func.extract("epoch", throttles.c.locked_until - func.now()).label("seconds"),
                    not_(self._window_over()).label("recent"),
                ).where(throttles.c.key.in_(list(keys.values())))
            ).all()
        found = {row.key: row for row in rows}

        def locked(kind):
            row = found.get(keys.get(kind))
            return row.seconds if row is not None and row.seconds is not None and row.seconds > 0 else None

        attempt = found.get(keys.get("attempt"))
        failed_here = attempt is not None and attempt.recent
        seconds = [locked("address"), locked("user") if failed_here else None]
        seconds = [value for value in seconds if value is not None]
        if seconds:
            raise TooManyFailures(max(1, math.ceil(max(seconds))))

    def failed(self, username, address):
        """Count a failed sign-in; lock what went over its limit."""
        window_over = self._window_over()
        with self.engine.begin() as connection:
            for kind, key in self._keys(username, address).items():
                statement = insert(throttles).values(key=key, failures=1)
                failures = connection.scalar(
                    statement.on_conflict_do_update(
                        index_elements=[throttles.c.key],
                        set_={
                            "failures": case((window_over, 1), else_=throttles.c.failures + 1),
                            "window_started_at": case((window_over, func.now()), else_=throttles.c.window_started_at),
                        },
                    ).returning(throttles.c.failures)
                )
                if kind in self.limits and failures >= self.limits[kind]:
                    connection.execute(
                        update(throttles)
                        .where(throttles.c.key == key)
                        .values(
                            failures=0,
                            window_started_at=func.now(),
                            locked_until=func.now()
                            + text("make_interval(secs => :lock)").bindparams(lock=self.lock_seconds),
                        )
                    )
                    log.warning("sign-in locked for %ss after %s failures: %s", self.lock_seconds, failures, key)

    def succeeded(self, username, address=None):
        """This address may sign in as this user: its failures for the username are forgotten."""
        keys = self._keys(username, address)
        if "attempt" in keys:
            with self.engine.begin() as connection:
                connection.execute(delete(throttles).where(throttles.c.key == keys["attempt"]))

    def purge_expired(self):
        """Forget counts whose window is over and locks that ended."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(throttles).where(
                    self._window_over(), throttles.c.locked_until.is_(None) | (throttles.c.locked_until < func.now())
                )
            )

    def _window_over(self):
        """SQL: the row's counting window has ended."""
        return throttles.c.window_started_at < func.now() - text("make_interval(secs => :window)").bindparams(
            window=self.window_seconds
        )


class LoginThrottling(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.store = LoginThrottleStore(
            make_engine(database_url(config), pool_size=5),
            max_failures=int(setting(config, "LOGIN_MAX_FAILURES", MAX_FAILURES)),
            max_failures_per_address=int(setting(config, "LOGIN_MAX_FAILURES_PER_ADDRESS", MAX_FAILURES_PER_ADDRESS)),
            window_seconds=int(setting(config, "LOGIN_FAILURE_WINDOW_SECONDS", WINDOW_SECONDS)),
            lock_seconds=int(setting(config, "LOGIN_LOCK_SECONDS", LOCK_SECONDS)),
        )

    def stop(self):
        self.store.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.store
