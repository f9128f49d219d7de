"""The customer list's text search (``q``) on a real PostgreSQL: what it finds, and that its table
(customer_search, under a trigram index) follows the customers it copies."""

import pytest
from sqlalchemy import func, select, text

from services.customers import filters, profiles, sharing
from services.customers.models import Customer, customer_search
from tests.service.test_customers_sql import (  # noqa: F401 (fixtures)
    ADMIN,
    COLLEAGUE,
    MANAGER,
    OUTSIDER,
    OWNER,
    make_customer,
    make_session,
    new_session,
    run,
)

pytestmark = pytest.mark.infra


def found(run, actor, q):
    """The ids the list gives ``actor`` for ``q``, newest first (one page holds them all here)."""
    answer = run(profiles.list_customers, actor, {"q": q, "page_size": 100})
    assert answer["total"] == len(answer["items"])
    return [item["id"] for item in answer["items"]]


def test_finds_part_of_the_name_code_phone_or_email_in_any_case(run, make_customer):
    an = make_customer(name="Nguyễn Văn An", code="VN-001", phone="0901234567", email="an.nguyen@example.com")
    binh = make_customer(name="Trần Thị Bình", phone="0987654321")
    generated = make_customer(name="Lê Minh")  # its code is generated: KH + its id
    for q in ("văn an", "VĂN AN", "nguyễn", "vn-0", "1234", "AN.NGUYEN@Example"):
        assert found(run, OWNER, q) == [an], q
    assert found(run, OWNER, "bình") == [binh]
    assert found(run, OWNER, "KH{:06d}".format(generated)) == [generated]
    assert found(run, OWNER, "09") == [binh, an]
    assert found(run, OWNER, "văn bình") == []


def test_percent_underscore_and_backslash_are_literal(run, make_customer):
    percent = make_customer(name="Sale 50% off")
    make_customer(name="Sale 500 off")
    underscore = make_customer(name="a_b")
    make_customer(name="axb")
    backslash = make_customer(name="c\\d")
    assert found(run, OWNER, "50%") == [percent]
    assert found(run, OWNER, "%") == [percent]
    assert found(run, OWNER, "a_b") == [underscore]
    assert found(run, OWNER, "_") == [underscore]
    assert found(run, OWNER, "\\") == [backslash]


def test_an_update_moves_the_customer_in_the_search(new_session, run, make_customer):
    customer_id = make_customer(name="Old Name", phone="0911111111")
    run(profiles.update_customer, OWNER, customer_id, {"name": "New Name", "email": "new@example.com"})
    assert found(run, OWNER, "old name") == []
    assert found(run, OWNER, "new name") == found(run, OWNER, "NEW@") == found(run, OWNER, "0911") == [customer_id]
    run(profiles.update_customer, OWNER, customer_id, {"code": "NEW-CODE", "phone": None})
    assert found(run, OWNER, "new-code") == [customer_id]
    assert found(run, OWNER, "0911") == []
    run(profiles.update_customer, OWNER, customer_id, {"note": "not searched"})
    row = new_session().execute(select(customer_search).where(customer_search.c.customer_id == customer_id)).one()
    assert tuple(row) == (customer_id, "New Name", "NEW-CODE", None, "new@example.com")


def test_a_deleted_customer_leaves_the_search(new_session, run, make_customer):
    kept = make_customer(name="Kept")
    deleted = make_customer(name="Deleted")
    run(profiles.delete_customer, OWNER, deleted)
    ids = new_session().scalars(select(customer_search.c.customer_id)).all()
    assert ids == [kept]


def test_the_search_shows_only_visible_customers(run, make_customer):
    mine = make_customer(name="Acme Hà Nội")
    colleagues = make_customer(actor=COLLEAGUE, name="Acme Sài Gòn")
    assert found(run, OWNER, "acme") == [mine]
    assert found(run, COLLEAGUE, "acme") == [colleagues]  # same department, not a manager
    assert found(run, MANAGER, "acme") == found(run, ADMIN, "acme") == [colleagues, mine]
    assert found(run, OUTSIDER, "acme") == []
    run(sharing.bulk_share, OWNER, {"customer_ids": [mine], "mode": "add", "user_ids": [OUTSIDER.id]})
    assert found(run, OUTSIDER, "acme") == [mine]


def test_every_customer_has_its_search_row(new_session, make_customer):
    """The copy is exact: the search table holds each customer's name, code, phone and email."""
    for index in range(3):
        make_customer(name="Customer {}".format(index), phone="090000000{}".format(index))
    session = new_session()
    copied = session.execute(select(customer_search).order_by(customer_search.c.customer_id)).all()
    source = session.execute(
        select(Customer.id, Customer.name, Customer.code, Customer.phone, Customer.email).order_by(Customer.id)
    ).all()
    assert [tuple(row) for row in copied] == [tuple(row) for row in source]
    assert session.scalar(select(func.count()).select_from(customer_search)) == 3


def test_the_search_can_use_the_trigram_index(new_session):
    """The query is one the GIN index answers (on a table this small the planner would rather scan)."""
    session = new_session()
    session.execute(text("SET LOCAL enable_seqscan = off"))
    query = select(Customer.id).where(*filters.matching({"q": "văn an"}, None))
    plan = "\n".join(
        session.scalars(
            text("EXPLAIN " + str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})))
        )
    )
    assert "ix_customer_search_trgm" in plan, plan
