"""The unit of work every use case gets: one session, the actor, the outbox and the other services.

A use case is a plain function of the unit of work::

    def rename_group(uow, group_id, name):
        with uow:
            group = uow.session.get(Group, group_id)
            group.name = name
            uow.record_event("group_renamed", {"id": group_id})
            uow.commit()

- Leaving the ``with`` block without :meth:`UnitOfWork.commit` rolls back: an error half way
  leaves nothing behind, and a read-only block simply ends its transaction.
- :meth:`UnitOfWork.record_event` writes the event to the outbox in the same transaction as the
  change (:mod:`services.core.outbox`), so it is published if and only if the change commits;
  :meth:`UnitOfWork.record_events` writes several events of one type in one statement.
- ``uow.services.<name>.<method>(...)`` calls another service (``RPC_TIMEOUT``, the callee's
  domain errors relayed as ours: :mod:`services.core.rpc`).  Such a call while a transaction of
  ours is open raises :class:`RemoteCallInTransaction` at once: no row lock, advisory lock or
  snapshot is ever held while waiting on the bus.  Ask first, then open the transaction; or end
  the transaction (leave the block), ask, and open a new one that checks again what it relies on.

The service class declares ``uow = UnitOfWorkProvider("directory", "customers")`` naming the
services its use cases may call; nothing else in a use case touches the database or the bus.
"""

import logging

from nameko.constants import DEFAULT_MAX_WORKERS, MAX_WORKERS_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from services.core import business_time
from services.core.actor import actor_of
from services.core.db import closing_quietly, database_url, make_engine
from services.core.outbox import event_parameters, record_event, record_events
from services.core.rpc import ClassicReplyListener, TimedServiceProxy, rpc_timeout

log = logging.getLogger(__name__)


class RemoteCallInTransaction(RuntimeError):
    """A programming error: a use case asked another service while holding a transaction open."""


class UnitOfWork:
    """See the module docstring.  Not reentrant: one ``with`` block at a time."""

    def __init__(self, make_session, actor=None, services=None, after_commit=None):
        self._make_session = make_session
        self.actor = actor
        self.services = Services(self, services or {})
        self.session = None
        self._committed = False
        self._after_commit = after_commit

    def __enter__(self):
        if self.session is not None:
            raise RuntimeError("this unit of work is already open")
        self.session = self._make_session()
        self._committed = False
        return self

    def __exit__(self, exc_type, exc, traceback):
        session, self.session = self.session, None
        try:
            if not self._committed:
                session.rollback()
        finally:
            session.close()
        return False

    def commit(self):
        """Make the block's changes (and the events recorded in it) durable."""
        self._require_open()
        self.session.commit()
        self._committed = True
        if self._after_commit is not None:
            self._after_commit(self.session)

    def rollback(self):
        """Drop the block's changes so far; the block may go on with a new transaction."""
        self._require_open()
        self.session.rollback()

    def record_event(self, event_type, data):
        """Add an event to the outbox in this block's transaction; returns its id."""
        self._require_open()
        return record_event(self.session, event_type, data, self.actor)

    def event_parameters(self, event_type, datas):
        """The parameters of ``services.core.outbox.EVENTS_INSERT`` for one new event per item of
        ``datas``, for a statement that records them as a CTE
        (``statement.add_cte(EVENTS_INSERT.cte("event"))``): same transaction."""
        self._require_open()
        return event_parameters(event_type, datas, self.actor)

    def record_events(self, event_type, datas):
        """Add one event per item of ``datas`` to the outbox, in one statement; returns their ids."""
        self._require_open()
        return record_events(self.session, event_type, datas, self.actor)

    @property
    def in_transaction(self):
        return self.session is not None and self.session.in_transaction()

    def _require_open(self):
        if self.session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")

    def close(self):
        """The worker ended: roll back and release a block left open by an exception."""
        if self.session is not None:
            self.__exit__(None, None, None)


class Services:
    """``uow.services.directory.get_actor(5)``: calls that refuse to wait inside a transaction."""

    def __init__(self, uow, proxies):
        self._uow = uow
        self._proxies = proxies

    def __getattr__(self, service):
        try:
            proxy = self._proxies[service]
        except KeyError:
            raise AttributeError("this service does not call {!r}: name it in its UnitOfWorkProvider".format(service))
        return _GuardedService(self._uow, service, proxy)


class _GuardedService:
    def __init__(self, uow, service, proxy):
        self._uow, self._service, self._proxy = uow, service, proxy

    def __getattr__(self, method):
        def call(*args, **kwargs):
            if self._uow.in_transaction:
                raise RemoteCallInTransaction(
                    "{}.{} called while a transaction is open: end it before asking another service".format(
                        self._service, method
                    )
                )
            return getattr(self._proxy, method)(*args, **kwargs)

        call.__name__ = method
        return call


class UnitOfWorkProvider(DependencyProvider):
    """Gives each worker a :class:`UnitOfWork` on the service's database.

    ``UnitOfWorkProvider("directory")``: the services this one may call (through one long-lived
    reply queue per instance, as nameko's ``RpcProxy``).  ``after_commit``: called with the session
    right after each commit, in a new transaction of its own (it must not fail: the change is
    already durable), e.g. ``services.customers.totals.data_changed``.
    """

    rpc_reply_listener = ClassicReplyListener()

    def __init__(self, *services, after_commit=None):
        self.service_names = services
        self.after_commit = after_commit

    def setup(self):
        business_time.configure(self.container.config)
        self.timeout = rpc_timeout(self.container.config)
        max_workers = int(self.container.config.get(MAX_WORKERS_CONFIG_KEY, DEFAULT_MAX_WORKERS))
        self.engine = make_engine(database_url(self.container.config), pool_size=max_workers + 2)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.units = {}

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        proxies = {
            name: TimedServiceProxy(self.timeout, worker_ctx, name, self.rpc_reply_listener)
            for name in self.service_names
        }
        uow = UnitOfWork(self.sessionmaker, actor_of(worker_ctx), proxies, self.after_commit)
        self.units[worker_ctx] = uow
        return uow

    def worker_teardown(self, worker_ctx):
        uow = self.units.pop(worker_ctx, None)
        if uow is not None:
            with closing_quietly():
                uow.close()
