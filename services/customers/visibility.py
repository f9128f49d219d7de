"""Who may see and who may edit a customer: the one SQL predicate of SPEC §1.

A customer is visible to its owner, to the users and the members of the departments it
is shared with, to the managers of its owner's department and to admins.  It is
editable by the same people, except that a share must have the level ``edit``.
Every read, list, count and bulk action of this service filters with
:func:`visible` / :func:`editable`; a customer outside them does not exist for the
actor (404, never in a list or a bulk result).  Lists and their counts take the same
rule in the shape of a union (:func:`visible_branches`), built from the same parts.

The rule has two shapes in SQL, chosen by who reads how many customers: for a scan (lists,
bulk selections, many ids) the customers shared with the actor are found once, from the share
index of the actor (``id IN (...)``, which PostgreSQL hashes); for one customer looked up by id
(``one=True``: the detail, an update, a snapshot) the customer's own shares are probed through
the share table's primary key (``EXISTS``), one or two index entries, where the hashed form would
first read every share the actor has (3,333 of them for a bench owner, on every detail).

Related records (activities, contracts, ...) are visible with their customer, and
besides to their own owner and to whom they are shared with.
"""

import functools

from sqlalchemy import and_, any_, exists, func, or_, select, true, union, union_all

from services.customers.models import customer_shares, customer_table
from services.customers.sql import int_array


def _share_targets(actor):
    """Whom a share must name for the actor to get it: the actor, the actor's department."""
    return [("user", actor.id)] + ([("department", actor.department_id)] if actor.department_id is not None else [])


def shared_with(actor, shares, object_column, levels=None):
    """The ids (``object_column`` of ``shares``) shared with the actor or the actor's department.

    A UNION ALL of one index-only scan per target (an OR of the two would read the table).
    """
    queries = []
    for kind, target_id in _share_targets(actor):
        query = select(shares.c[object_column]).where(shares.c.target_kind == kind, shares.c.target_id == target_id)
        if levels is not None:
            query = query.where(shares.c.level.in_(levels))
        queries.append(query)
    return union_all(*queries) if len(queries) > 1 else queries[0]


def shared_with_this(actor, shares, object_column, object_id, levels=None):
    """SQL: the object ``object_id`` (a column of the outer row) is shared with the actor or the
    actor's department: an EXISTS on the share table's primary key (object, target_kind, target_id),
    for a lookup of one object; :func:`shared_with` is the shape for a scan."""
    targets = [
        and_(shares.c.target_kind == kind, shares.c.target_id == target_id) for kind, target_id in _share_targets(actor)
    ]
    conditions = [shares.c[object_column] == object_id, or_(*targets)]
    if levels is not None:
        conditions.append(shares.c.level.in_(levels))
    return exists().where(*conditions)


def _shared(actor, shares, object_column, object_id, levels, one):
    if one:
        return shared_with_this(actor, shares, object_column, object_id, levels)
    return object_id.in_(shared_with(actor, shares, object_column, levels))


def _owner_side(actor, customer):
    """The owner and the managers of the owner's department (cheapest tests first: PostgreSQL
    evaluates OR arguments in order and stops at the first true one)."""
    rule = [customer.c.owner_id == actor.id]
    if actor.managed_department_ids:
        rule.append(customer.c.owner_department_id.in_(list(actor.managed_department_ids)))
    return rule


RULES_KEPT = 4096  # rules kept built, one per (actor, table, levels, shape): a few kB each


@functools.lru_cache(maxsize=RULES_KEPT)
def _customer_rule(actor, customer, levels, one):
    """The rule's SQL for that actor (a frozen value: a changed actor is another key), built once:
    SQLAlchemy's clauses are immutable, so one serves every statement of that actor, where
    building it again took 9 % of the service's samples for a detail (py-spy, bench/README.md)."""
    if actor.is_admin:
        return true()
    return or_(
        *_owner_side(actor, customer), _shared(actor, customer_shares, "customer_id", customer.c.id, levels, one)
    )


def visible(actor, customer=customer_table, one=False):
    """SQL: the actor may see this customer (``one``: in the shape for one customer by id)."""
    return _customer_rule(actor, customer, None, one)


def editable(actor, customer=customer_table, one=False):
    """SQL: the actor may change this customer (and its related records); ``one`` as in :func:`visible`."""
    return _customer_rule(actor, customer, ("edit",), one)


def viewer(actor):
    """What of the actor the rule depends on, as a key: who sees the same customers has the same."""
    if actor.is_admin:
        return ("admin",)
    return (actor.id, actor.department_id, tuple(sorted(actor.managed_department_ids)))


def visible_branches(actor, matching=()):
    """The rule of :func:`visible` as a union, for lists and counts: the ids of the customers the
    actor may see among those meeting ``matching`` (conditions on ``customer_table``), as a list of
    ``(SELECT of ids, its id column)`` whose UNION is what ``visible()`` selects, one per way
    of seeing a customer.

    For a user who manages no department those ways are narrow: owning the customer (the
    owner index) and its shares to the user or the user's department (the share index).  One
    index-friendly SELECT each reads only those customers, where a single scan filtered by
    ``visible()`` would read every customer meeting ``matching`` (all of them, unfiltered).
    Admins and managers, whose customers may be most of the table, get one branch: that scan.
    """
    owned, shared = _branches(actor, matching)
    return owned + shared


def _branches(actor, matching):
    """(branches on the customers' own columns, branches through shares), as visible_branches."""
    matching = list(matching)
    if actor.is_admin or actor.managed_department_ids:
        return [(select(customer_table.c.id).where(visible(actor), *matching), customer_table.c.id)], []
    owned = [
        (select(customer_table.c.id).where(rule, *matching), customer_table.c.id)
        for rule in _owner_side(actor, customer_table)
    ]
    shared = []
    for kind, target_id in _share_targets(actor):
        branch = select(customer_shares.c.customer_id.label("id")).where(
            customer_shares.c.target_kind == kind, customer_shares.c.target_id == target_id
        )
        if matching:
            branch = branch.join(customer_table, customer_table.c.id == customer_shares.c.customer_id).where(*matching)
        shared.append((branch, customer_shares.c.customer_id))
    return owned, shared


def visible_count(actor, matching=()):
    """SQL: ``SELECT count(*)`` of the customers meeting ``matching`` that the actor may see, exact.

    The size of the union of :func:`visible_branches`, counted in disjoint parts so that no side is
    put into a hash to drop its duplicates: the customers owned, plus, for each share target,
    those it gives the actor that no earlier part has (:func:`_newly_shared`).  For a bench owner
    of 1,000,000 customers who sees 213,334: 55 ms in one process, where the owned FULL JOIN the
    shares' UNION took 100 (a hash of that union, which spilled to disk, then one of the owned:
    bench/README.md).
    """
    owned, shared = _branches(actor, matching)
    owned = select(func.count()).select_from(_union_of(owned, "owned"))
    if not shared:
        return owned
    parts = _newly_shared(actor, shared, bool(matching))
    shared = select(func.count()).select_from((union_all(*parts) if len(parts) > 1 else parts[0]).subquery("shared"))
    return select((owned.scalar_subquery() + shared.scalar_subquery()).label("count"))


def _newly_shared(actor, shared, joined):
    """The branches through shares of :func:`_branches` (one per share target, in
    :func:`_share_targets`' order; ``joined``: they join the customer's row, for ``matching``),
    each narrowed to the customers that the actor does not own (the owner side's test on the
    joined row, else an anti-join, which PostgreSQL makes a hash of the owned) and that no earlier
    target's share gives (a probe of the share table's primary key per share): disjoint."""
    targets = _share_targets(actor)
    parts = []
    for number, (statement, _) in enumerate(shared):
        if joined:
            statement = statement.where(or_(*_owner_side(actor, customer_table)).is_not(True))
        else:
            own = customer_table.alias("own")
            statement = statement.where(
                ~exists().where(own.c.id == customer_shares.c.customer_id, or_(*_owner_side(actor, own)))
            )
        for kind, target_id in targets[:number]:
            earlier = customer_shares.alias("earlier")
            statement = statement.where(
                ~exists().where(
                    earlier.c.customer_id == customer_shares.c.customer_id,
                    earlier.c.target_kind == kind,
                    earlier.c.target_id == target_id,
                )
            )
        parts.append(statement)
    return parts


def _union_of(branches, name):
    statements = [statement for statement, _ in branches]
    return (union(*statements) if len(statements) > 1 else statements[0]).subquery(name)


def deletable(actor, customer=customer_table):
    """SQL: the actor may delete this customer: owner, manager of the owner's department, admin."""
    return true() if actor.is_admin else or_(*_owner_side(actor, customer))


def related_rule(actor, record, shares, object_column, levels=None):
    """SQL: the actor may see (levels None) or edit (levels ("edit",)) a related record, in the shape
    for one record looked up by id.

    Through its customer, or as its owner, or through a share of the record itself.
    """
    if actor.is_admin:
        return true()
    return or_(
        record.c.owner_id == actor.id,
        exists().where(
            customer_table.c.id == record.c.customer_id, _customer_rule(actor, customer_table, levels, True)
        ),
        shared_with_this(actor, shares, object_column, record.c.id, levels),
    )


def among(customer_ids):
    """SQL: the customer is one of the given ids (one array parameter, however many ids)."""
    return customer_table.c.id == any_(int_array("customer_ids", customer_ids))


def visible_customers(session, actor, customer_ids, columns=("id", "code", "name", "phone", "email")):
    """Rows (dicts of ``columns``) of the customers among ``customer_ids`` that the actor may see,
    in the given order, each once."""
    rows = session.execute(
        select(*[customer_table.c[name] for name in ("id",) + tuple(columns)]).where(
            among(customer_ids), visible(actor)
        )
    )
    found = {row[0]: {name: value for name, value in zip(columns, row[1:])} for row in rows}
    return [found[customer_id] for customer_id in dict.fromkeys(customer_ids) if customer_id in found]


def visible_customer_ids(session, actor, customer_ids):
    """The ids among ``customer_ids`` that the actor may see, in the given order, each once."""
    return [row["id"] for row in visible_customers(session, actor, customer_ids, columns=("id",))]
