"""The totals of list pages, counted once while the customers' data stays the same.

A page's exact total is most of what a list costs: every visible customer meeting the filters is
counted (13,333 index entries for a bench owner, hundreds of thousands for a manager or an admin),
where the page itself reads 50.  Each instance keeps the totals it counted (:class:`ListTotals`:
at most ``LIST_TOTALS_SIZE``, each at most ``LIST_TOTALS_SECONDS`` old) with the *data generation*
they were counted at, and uses one again only while the generation has not moved: paging through
a list, or asking for it again, costs the page alone, one statement that also reads the generation
(:func:`services.customers.profiles.list_customers`).

The generation is a PostgreSQL sequence (``customers_data_generation``) that :func:`data_changed`
advances right after every commit of this service's units of work, whatever it changed
(``UnitOfWorkProvider(after_commit=data_changed)``).  Why a total used again is exact:

- the generation a total is kept with is read in a statement that starts before the count's
  (READ COMMITTED: a statement's snapshot is taken when it starts).  A change whose advance that
  read saw had committed before it, so that count sees the change;
- a kept total is used only in an answer whose page was read by a statement that read the same
  generation: a change whose advance comes after the count's generation was read makes every
  total counted before it unused, in every instance (they all read the one sequence), and the
  total is counted again after the page;
- between a change's commit and its advance (the same call, before it answers) another request
  may still count without it under the old generation: as if it had come just before the commit.

A change committed by a process that dies before advancing the generation, or made outside this
service (psql, a restore), shows in the totals after at most ``LIST_TOTALS_SECONDS``.
"""

import logging
import time

from nameko.extensions import DependencyProvider
from sqlalchemy import literal_column, select, table
from sqlalchemy.exc import SQLAlchemyError

from services.core.config import setting
from services.core.lru import TimedLru
from services.customers.models import data_generation

log = logging.getLogger(__name__)

DEFAULT_SIZE = 10_000  # the default of LIST_TOTALS_SIZE: totals kept per instance
DEFAULT_SECONDS = 60.0  # the default of LIST_TOTALS_SECONDS: how long one is kept at most

# SQL: the generation now (a sequence's last value: no lock, not bound to any snapshot; before its
# first nextval a sequence has the last value its first nextval returns, but is not called yet)
GENERATION = select(literal_column("CASE WHEN is_called THEN last_value ELSE 0 END")).select_from(
    table(data_generation.name)
)
# the same as a column of another statement (the page's): read when that statement starts
GENERATION_COLUMN = GENERATION.scalar_subquery().label("data_generation")


def data_changed(session):
    """After a commit: advance the generation, so that no instance uses a total counted before it.

    A failure is logged, not raised: the change is already durable, and its caller must hear so;
    the totals counted before it are then used for at most ``LIST_TOTALS_SECONDS``.
    """
    try:
        session.execute(select(data_generation.next_value()))
    except SQLAlchemyError:
        log.warning("the data generation could not be advanced after a commit", exc_info=True)


class Totals:
    """Totals by what they count (any hashable key naming the viewer and the filters), each with
    the generation it was counted at.

    How a use case keeps them exact: a total is counted in a statement that starts after the
    generation it is kept with was read (:meth:`generation`, or :data:`GENERATION_COLUMN` in an
    earlier statement), and after anything else the count depends on (the rating thresholds of a
    stars filter); one kept is used for an answer whose statements read the same generation.
    """

    def __init__(self, size=DEFAULT_SIZE, seconds=DEFAULT_SECONDS, clock=time.monotonic):
        self._kept = TimedLru(size, seconds, clock)

    @staticmethod
    def generation(connection):
        """The data generation now, in a statement of its own."""
        return connection.execute(GENERATION).scalar_one()

    def kept(self, key):
        """``(generation, total)`` kept for ``key``, or None."""
        return self._kept.get(key)

    def keep(self, key, generation, total):
        self._kept.put(key, (generation, total))

    def __len__(self):
        return len(self._kept)


class ListTotals(DependencyProvider):
    """The instance's :class:`Totals` (``LIST_TOTALS_SIZE``, ``LIST_TOTALS_SECONDS``)."""

    def setup(self):
        config = self.container.config
        self.totals = Totals(
            int(setting(config, "LIST_TOTALS_SIZE", DEFAULT_SIZE)),
            float(setting(config, "LIST_TOTALS_SECONDS", DEFAULT_SECONDS)),
        )

    def get_dependency(self, worker_ctx):
        return self.totals
