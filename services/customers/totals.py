"""The totals of list pages, counted once while the customers' data stays the same.

A page's exact total is most of what a list costs: every visible customer meeting the filters is
counted (13,333 index entries for a bench owner, hundreds of thousands for a manager or an admin),
where the page itself reads 50.  Each instance keeps the totals it counted (:class:`ListTotals`:
at most ``LIST_TOTALS_SIZE``, each at most ``LIST_TOTALS_SECONDS`` old) with the *data generation*
they were counted at, and uses one again only while the generation has not moved: paging through
a list, or asking for it again, costs the page alone.

The generation is a PostgreSQL sequence (``customers_data_generation``) that :func:`data_changed`
advances right after every commit of this service's units of work, whatever it changed
(``UnitOfWorkProvider(after_commit=data_changed)``).  Why a total used again is exact:

- the generation is read in a statement of its own, before the count's (READ COMMITTED: a
  statement's snapshot is taken when it starts).  A change whose advance that read saw had
  committed before it, so that count sees the change;
- a change whose advance comes after that read makes every total counted before it unused, in
  every instance (they all read the one sequence);
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

# SQL: the generation now (a sequence's last value: no lock, not bound to any snapshot)
GENERATION = select(literal_column("last_value")).select_from(table(data_generation.name))


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
    """Totals by what they count (any hashable key naming the viewer and the filters).

    A use case reads :meth:`generation` first, before anything its count depends on (the rating
    thresholds of a stars filter too), then asks :meth:`total`.
    """

    def __init__(self, size=DEFAULT_SIZE, seconds=DEFAULT_SECONDS, clock=time.monotonic):
        self._kept = TimedLru(size, seconds, clock)

    @staticmethod
    def generation(connection):
        """The data generation now, in a statement of its own: call it before the count's."""
        return connection.execute(GENERATION).scalar_one()

    def total(self, generation, key, count):
        """The total for ``key`` kept at ``generation``, or ``count()`` run now and kept."""
        kept = self._kept.get(key)
        if kept is not None and kept[0] == generation:
            return kept[1]
        value = count()
        self._kept.put(key, (generation, value))
        return value

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
