"""marshmallow helpers used at every boundary (HTTP, RPC, events), and the SQL of list queries."""

from marshmallow import ValidationError
from sqlalchemy import func, select

from services.core.errors import InvalidInput

MAX_PAGE_SIZE = 500


def load(schema, data, **kwargs):
    """Validate ``data`` with ``schema``; bad input raises InvalidInput with field errors."""
    if data is None:
        data = {}
    try:
        return schema.load(data, **kwargs)
    except ValidationError as error:
        raise InvalidInput(fields=flatten_messages(error.messages))


def flatten_messages(messages, prefix=""):
    """marshmallow's nested messages as ``{"field.sub": ["..."]}``."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat = {}
    for key, value in messages.items():
        name = "{}.{}".format(prefix, key) if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_messages(value, name))
        else:
            flat[name] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


def paginate(session, statement, page, page_size, dump, rows=False):
    """Run ``statement`` for one page; ``dump`` turns each item into a dict.

    Items are the first column's values (an ORM entity), or whole rows with ``rows=True``.
    """
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page_statement = statement.limit(page_size).offset((page - 1) * page_size)
    rows = (session.execute if rows else session.scalars)(page_statement).all()
    return {"items": [dump(row) for row in rows], "total": total, "page": page, "page_size": page_size}


def contains(column, text):
    """SQL: ``column`` contains ``text``, in any case (``ILIKE '%text%'``).

    ``%``, ``_`` and ``\\`` in ``text`` are literal: a user searching "50%" or "a_b" means those
    characters, not ILIKE's wildcards (backslash is PostgreSQL's default LIKE escape).  A trigram
    index on the column can answer it.
    """
    escaped = str(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike("%" + escaped + "%")
