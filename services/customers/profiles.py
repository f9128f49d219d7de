"""Customer profiles: create, read, list, update, delete a customer; its contacts and shares;
what other services are told of a customer (snapshot, which ones a user may see).

(The module is not called ``customers``: that is the package, the service and the table.)
"""

from sqlalchemy import delete, exists, func, literal_column, select, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from services.core.actor import require_actor
from services.core.contracts.common import PageQuery
from services.core.contracts.customers import Contact as ContactSchema
from services.core.contracts.customers import Customer as CustomerSchema
from services.core.contracts.customers import CustomerQuery, CustomerSnapshot, VisibleQuery
from services.core.errors import InvalidInput
from services.core.schemas import load, paginate
from services.customers import bulk, exceptions, filters, groups, rating, sharing
from services.customers.dumping import row_dumper
from services.customers.models import (
    SEARCHED,
    Contact,
    Customer,
    customer_search,
    customer_shares,
    customer_table,
    group_members,
)
from services.customers.modes import GROUP_MODES
from services.customers.totals import GENERATION_COLUMN, Totals
from services.customers.visibility import (
    deletable,
    editable,
    viewer,
    visible,
    visible_branches,
    visible_count,
    visible_customer_ids,
)

customer_schema = CustomerSchema()
dump_customer = row_dumper(customer_schema)  # customer_schema.dump of a row with its group_ids and stars
contact_schema = ContactSchema()
snapshot_schema = CustomerSnapshot()
CUSTOMER_QUERY = CustomerQuery()

CODE_PREFIX = "KH"
FIELDS = ("code", "name", "kind", "phone", "email", "address", "source", "note")


# -- reading -------------------------------------------------------------------

# The customer's group ids, in the customer's own row (an index-only scan of the memberships' key)
GROUP_IDS = func.array(
    select(group_members.c.group_id)
    .where(group_members.c.customer_id == customer_table.c.id)
    .order_by(group_members.c.group_id)
    .scalar_subquery()
)


def customer_rows(*conditions):
    """SQL: the customers meeting ``conditions`` with everything their answer needs, in one statement:
    their columns, their ``group_ids`` and the stored rating setting (``rating_setting``, read once
    per statement: :func:`services.customers.rating.stored_setting`)."""
    return select(customer_table, GROUP_IDS.label("group_ids"), rating.stored_setting().label("rating_setting")).where(
        *conditions
    )


def dump_customers(rows, thresholds=None):
    """The answers (``Customer``) of rows of :func:`customer_rows`; their stars by ``thresholds``
    (default: the setting read with the rows)."""
    if not rows:
        return []
    thresholds = thresholds or rating.thresholds_of(rows[0].rating_setting)
    return [dump_customer(dict(row._mapping, stars=rating.stars(row.score, thresholds))) for row in rows]


def read_customer(session, customer_id):
    """The answer of a customer this transaction has just written (no visibility test: the caller made it)."""
    session.flush()
    return dump_customers(session.execute(customer_rows(customer_table.c.id == customer_id)).all())[0]


def visible_customer(session, actor, customer_id, lock=False):
    """The customer if the actor may see it, else CUSTOMER_NOT_FOUND (existence is not leaked)."""
    require_actor(actor)
    query = select(Customer).where(Customer.id == customer_id, visible(actor, one=True))
    if lock:
        query = query.with_for_update(of=Customer)
    customer = session.scalar(query)
    if customer is None:
        raise exceptions.CustomerNotFound()
    return customer


def editable_customer(session, actor, customer_id, lock=False):
    """The customer if the actor may change it: 404 if not visible, 403 if visible only."""
    customer = visible_customer(session, actor, customer_id, lock=lock)
    if not _allows(session, editable(actor, one=True), customer_id):
        raise exceptions.CannotEditCustomer()
    return customer


def _allows(session, rule, customer_id):
    return session.scalar(select(exists().where(Customer.id == customer_id, rule)))


def get_customer(uow, customer_id):
    """The customer, if the actor may see it: one statement (its row, its groups, the rating setting)."""
    actor = require_actor(uow.actor)
    with uow:  # Core rows straight from the connection: the ORM's result layer is a third of the call
        rows = (
            uow.session.connection()
            .execute(customer_rows(customer_table.c.id == customer_id, visible(actor, one=True)))
            .all()
        )
    if not rows:
        raise exceptions.CustomerNotFound()
    return dump_customers(rows)[0]


def list_customers(uow, totals, query):
    """A page of the customers the actor may see that meet the query, newest first, and their total.

    The visibility rule comes as a union of branches (:func:`visible_branches`): the total
    counts their union (:func:`visible_count`), the page is the newest of the first
    ``offset + size`` of each branch.  The statements, when this instance counted the same list's
    total before (:mod:`services.customers.totals`): the page with everything its answers need
    (:func:`customer_rows`) and the data generation; and only if the generation moved since, the
    total again.  Otherwise: the generation, the total (with the size of the table, for the plan
    of the page), the page.  With the stars filter, the thresholds it is built from come before
    the total (and again before a total counted again).
    """
    actor = require_actor(uow.actor)
    query = load(CUSTOMER_QUERY, query)
    key = (viewer(actor), filters.key(query))
    offset, size = (query["page"] - 1) * query["page_size"], query["page_size"]
    stars = bool(query.get("stars"))
    with uow:
        session = uow.session
        connection = session.connection()  # Core rows, as in get_customer
        kept = totals.kept(key)
        # without one kept, the generation first: what the count depends on is read after it
        generation, counted = kept or (totals.generation(connection), None)
        thresholds = rating.thresholds(session) if stars else None
        matching = filters.matching(query, thresholds)
        if counted is None:
            counted = _count(connection, actor, matching)
            totals.keep(key, generation, counted)
        rows, now = _page(connection, actor, matching, offset, size, counted)
        if now != generation:  # changed since it was counted: count again, after `now` was read
            recount = filters.matching(query, rating.thresholds(session)) if stars else matching
            counted = _count(connection, actor, recount)
            totals.keep(key, now, counted)
            if not rows and offset < counted[0]:  # there are customers on this page now
                rows, _ = _page(connection, actor, matching, offset, size, counted)
        return {
            "items": dump_customers(rows, thresholds),
            "total": counted[0],
            "page": query["page"],
            "page_size": size,
        }


def _count(connection, actor, matching):
    """``(total, customers)``: how many visible customers meet ``matching``, and how many customers
    there are (the planner's figure, for the plan of the page)."""
    return tuple(connection.execute(visible_count(actor, matching).add_columns(TABLE_SIZE)).one())


def _page(connection, actor, matching, offset, size, counted):
    """``(rows, generation)``: the page's rows (:func:`customer_rows`), newest first, planned
    with ``counted`` (:func:`_count`), and the data generation, read in the same statement."""
    total, customers_count = counted
    if offset >= total:
        return [], Totals.generation(connection)
    newest = _newest_first(offset + size, total, customers_count)
    branches = visible_branches(actor, matching)
    tops = _union([statement.order_by(newest(column)).limit(offset + size) for statement, column in branches])
    page = select(tops.c.id).order_by(tops.c.id.desc()).limit(size).offset(offset)
    rows = connection.execute(
        customer_rows(customer_table.c.id.in_(page)).add_columns(GENERATION_COLUMN).order_by(customer_table.c.id.desc())
    ).all()
    if not rows:  # none any more: the generation alone
        return rows, Totals.generation(connection)
    return rows, rows[0].data_generation


def _union(statements):
    return (union(*statements) if len(statements) > 1 else statements[0]).subquery()


# Walking an id index backwards until a page of matches is found reads about
# wanted * customers / total entries.  Beyond this many, filter first (score index, owner
# index, ...) and sort the matches: a rare match must not cost a scan of every customer.
PK_WALK_LIMIT = 20_000

# SQL: how many customers there are, as the planner's statistics have it (at least 1)
TABLE_SIZE = literal_column("(SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'customers'::regclass)")


def _newest_first(wanted, total, customers_count):
    """``column -> ORDER BY column DESC`` (ids), in the form that lets PostgreSQL use the cheaper plan."""
    if wanted * customers_count / total <= PK_WALK_LIMIT:
        return lambda column: column.desc()
    return lambda column: (column + 0).desc()  # not an index's order: the planner filters first


def visible_ids(uow, customer_ids):
    """The ids among ``customer_ids`` (at most MAX_BULK) that the actor may see, in the given order."""
    actor = require_actor(uow.actor)
    customer_ids = load(VisibleQuery(), {"customer_ids": customer_ids})["customer_ids"]
    with uow:
        return visible_customer_ids(uow.session, actor, customer_ids)


def snapshot(uow, customer_id):
    """What another service keeps of a visible customer (tickets, messages)."""
    with uow:
        return snapshot_schema.dump(visible_customer(uow.session, uow.actor, customer_id))


# -- changing ------------------------------------------------------------------


def create_customer(uow, data):
    actor = require_actor(uow.actor)
    data = load(customer_schema, data)
    group_ids = data.pop("group_ids")
    with uow:
        session = uow.session
        customer = _insert_with_code(session, actor, data)
        if group_ids:
            bulk.select_customers(session, actor, [customer.id])
            groups.change_groups(session, GROUP_MODES["move"], group_ids)
        body = read_customer(session, customer.id)
        uow.record_event("customer_created", body)
        uow.commit()
    return body


def _insert_with_code(session, actor, data):
    """Insert the customer; a missing code becomes ``KH`` + a number nobody uses yet."""
    given_code = data.get("code")
    while True:
        customer_id = session.scalar(select(func.nextval("customers_id_seq")))
        code = given_code or "{}{:06d}".format(CODE_PREFIX, customer_id)
        customer = Customer(
            id=customer_id, owner_id=actor.id, owner_department_id=actor.department_id, score=0, **dict(data, code=code)
        )
        try:
            with session.begin_nested():
                session.add(customer)
                session.flush()
                _write_search(session, customer)
            return customer
        except IntegrityError:
            if given_code:
                raise exceptions.CustomerCodeTaken(fields={"code": ["Another customer has this code."]})
            # someone chose this generated code by hand: take the next number


def _write_search(session, customer):
    """Copy the customer's searched fields to customer_search, in the caller's transaction
    (the list's ``q`` reads them there; see the table's note in models)."""
    values = {field: getattr(customer, field) for field in SEARCHED}
    session.execute(
        insert(customer_search)
        .values(customer_id=customer.id, **values)
        .on_conflict_do_update(index_elements=[customer_search.c.customer_id], set_=values)
    )


def update_customer(uow, customer_id, data):
    actor = uow.actor
    data = load(customer_schema, data, partial=True)
    if "code" in data and data["code"] is None:
        raise InvalidInput(fields={"code": ["A customer keeps a code; give a new one or leave it out."]})
    with uow:
        session = uow.session
        customer = editable_customer(session, actor, customer_id, lock=True)
        changed = [key for key in FIELDS if key in data and getattr(customer, key) != data[key]]
        for key in changed:
            setattr(customer, key, data[key])
        if changed:
            try:
                with session.begin_nested():
                    session.flush()
            except IntegrityError:
                raise exceptions.CustomerCodeTaken(fields={"code": ["Another customer has this code."]})
        if set(changed) & set(SEARCHED):
            _write_search(session, customer)
        if "group_ids" in data:
            bulk.select_customers(session, actor, [customer.id])
            if groups.change_groups(session, GROUP_MODES["move"], data["group_ids"]):
                changed.append("group_ids")
        body = read_customer(session, customer.id)
        if changed:
            uow.record_event("customer_updated", dict(body, changed=changed))
        uow.commit()
    return body


def delete_customer(uow, customer_id):
    actor = uow.actor
    with uow:
        session = uow.session
        customer = visible_customer(session, actor, customer_id, lock=True)
        if not _allows(session, deletable(actor), customer_id):
            raise exceptions.CannotDeleteCustomer()
        session.execute(delete(Customer).where(Customer.id == customer.id))  # related rows cascade
        uow.record_event("customer_deleted", {"id": customer.id, "code": customer.code})
        uow.commit()


# -- shares and contacts ---------------------------------------------------------


def list_shares(uow, customer_id):
    with uow:
        customer = visible_customer(uow.session, uow.actor, customer_id)
        return {"items": sharing.shares_of(uow.session, customer_shares, "customer_id", [customer.id])[customer.id]}


def list_contacts(uow, customer_id, query):
    with uow:
        customer = visible_customer(uow.session, uow.actor, customer_id)
        query = load(PageQuery(), query)
        statement = select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id)
        return paginate(uow.session, statement, query["page"], query["page_size"], contact_schema.dump)


def create_contact(uow, customer_id, data):
    data = load(contact_schema, data)
    with uow:
        customer = editable_customer(uow.session, uow.actor, customer_id)
        contact = Contact(customer_id=customer.id, **data)
        uow.session.add(contact)
        uow.session.flush()
        body = contact_schema.dump(contact)
        uow.commit()
    return body
