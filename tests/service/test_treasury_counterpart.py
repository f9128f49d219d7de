"""The customers service answers the treasury's counterpart question: code and name of any
customer for admins and accountants, of visible customers only for anyone else."""

import pytest
from nameko.testing.services import entrypoint_hook

from services.core.actor import Actor
from services.core.errors import NotFound
from services.customers.service import CustomersService

pytestmark = pytest.mark.infra

OWNER = Actor(id=41, username="owner").to_context()
OTHER_STAFF = Actor(id=42, username="other").to_context()
ACCOUNTANT = Actor(id=43, username="accountant", roles=("accountant",)).to_context()
ADMIN = Actor(id=1, username="admin", roles=("admin",)).to_context()


def call(container, method, *args, actor):
    with entrypoint_hook(container, method, context_data={"actor": actor}) as hook:
        return hook(*args)


@pytest.fixture
def customers(container_factory, service_config):
    container = container_factory(CustomersService, service_config("customers"))
    container.start()
    return container


def test_accountants_get_code_and_name_of_any_customer_others_only_of_visible_ones(customers):
    created = call(customers, "create_customer", {"name": "Công ty Bình Minh", "code": "KH-BM"}, actor=OWNER)
    expected = {"id": created["id"], "code": "KH-BM", "name": "Công ty Bình Minh"}
    for actor in (ACCOUNTANT, ADMIN, OWNER):
        assert call(customers, "counterpart", created["id"], actor=actor) == expected
    with pytest.raises(NotFound) as raised:
        call(customers, "counterpart", created["id"], actor=OTHER_STAFF)
    assert raised.value.code == "CUSTOMER_NOT_FOUND"
    with pytest.raises(NotFound):
        call(customers, "counterpart", created["id"] + 1000, actor=ACCOUNTANT)
    with pytest.raises(NotFound):  # the record itself stays out of the accountant's sight
        call(customers, "get_customer", created["id"], actor=ACCOUNTANT)
