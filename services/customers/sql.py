"""Small SQL helpers of the service."""

from sqlalchemy import ARRAY, Integer, String, bindparam, cast


def int_array(name, values):
    """SQL: an ``integer[]`` parameter sent as one literal ('{1,2,...}').

    psycopg2 would send a list as ``ARRAY[1, 2, ...]``, an expression of as many constants
    that PostgreSQL parses and folds one by one: with 100,000 ids that costs more than
    the scan that uses them.
    """
    literal = ",".join("NULL" if value is None else str(int(value)) for value in values)
    return cast(bindparam(name, "{" + literal + "}", type_=String), ARRAY(Integer))
