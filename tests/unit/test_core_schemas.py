"""services.core.schemas.contains: the SQL of a list's text search."""

import pytest
from sqlalchemy import String, column
from sqlalchemy.dialects import postgresql

from services.core.schemas import contains


def sql(expression):
    compiled = expression.compile(dialect=postgresql.dialect())
    return str(compiled), list(compiled.params.values())


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("Lan", "%Lan%"),
        ("50%", "%50\\%%"),
        ("a_b", "%a\\_b%"),
        ("c\\d", "%c\\\\d%"),
        ("\\%", "%\\\\\\%%"),  # a backslash before a wildcard stays a backslash, the wildcard literal
    ],
)
def test_contains_is_a_case_blind_match_whose_wildcards_are_literal(text, pattern):
    statement, params = sql(contains(column("name", String), text))
    assert statement.startswith("name ILIKE ") and params == [pattern]
