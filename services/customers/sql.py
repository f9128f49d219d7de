"""Small SQL helpers of the service."""
from sqlalchemy import ARRAY, Integer, String, bindparam, cast, func, select
from sqlalchemy.exc import IntegrityError


def int_array(name, values):
    """SQL: an ``integer[]`` parameter sent as one literal ('{1,2,...}').

    psycopg2 would send a list as ``ARRAY[1, 2, ...]``, an expression of as many constants
    that PostgreSQL parses and folds one by one: with 100,000 ids that costs more than
    the scan that uses them.
    """
    literal = ",".join("NULL" if value is None else str(int(value)) for value in values)
    return cast(bindparam(name, "{" + literal + "}", type_=String), ARRAY(Integer))


def flush_unique(session, error):
    """Flush; a unique violation becomes ``error`` (a domain error class)."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise error() from exc


def page_of_rows(session, statement, page, page_size, dump):
    """Like ``services.core.schemas.paginate``, for a statement of several columns (``dump(row)``)."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.execute(statement.limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": [dump(row) for row in rows], "total": total, "page": page, "page_size": page_size}
