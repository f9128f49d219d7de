"""Login rate limiting: too many failed sign-ins lock a username, or a client address, for a while.

Guessing passwords costs an attacker ``LOGIN_MAX_FAILURES`` tries per username (default 5) and
``LOGIN_MAX_FAILURES_PER_ADDRESS`` tries per client address (default 50) in any
``LOGIN_FAILURE_WINDOW_SECONDS`` (default 900); past that, sign-ins for that username or from
that address answer ``429 TOO_MANY_SIGN_IN_FAILURES`` with ``Retry-After`` for
``LOGIN_LOCK_SECONDS`` (default 900), whatever the password.  A successful sign-in clears the
username's count.  The counts live in the gateway's database, so every gateway instance sees
them; each failure is one atomic upsert.
"""

import logging
import math

from nameko.extensions import DependencyProvider
from sqlalchemy import case, delete, func, select, text, update
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
        keys = {"user": "user:" + username.strip().lower()}
        if address:
            keys["address"] = "address:" + address
        return keys

    def check(self, username, address):
        """Refuse (TooManyFailures) while the username or the address is locked."""
        with self.engine.connect() as connection:
            seconds = connection.scalar(
                select(func.max(func.extract("epoch", throttles.c.locked_until - func.now()))).where(
                    throttles.c.key.in_(list(self._keys(username, address).values())),
                    throttles.c.locked_until > func.now(),
                )
            )
        if seconds is not None:
            raise TooManyFailures(max(1, math.ceil(seconds)))

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
                if failures >= self.limits[kind]:
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

    def succeeded(self, username):
        with self.engine.begin() as connection:
            connection.execute(delete(throttles).where(throttles.c.key == self._keys(username, None)["user"]))

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
