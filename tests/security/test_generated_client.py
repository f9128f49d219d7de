"""A client generated from the gateway's own OpenAPI document works (openapi-python-client).

The document once had ``password`` both ``writeOnly`` and ``required`` in the one ``User``
schema used both ways; generated clients apply ``required`` to responses and raised
``KeyError: 'password'`` on ``GET /api/v1/me``.  Requests now have their own schemas
(``UserInput``, ``UserPatch``...).  One flow per service goes through the generated code.
"""

import importlib
import json
import os
import subprocess
import sys

import pytest
import requests

from tests.conftest import unique

BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def generated(system, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("client")
    document = requests.get(system.base_url + "/api/v1/openapi.json", timeout=30).json()
    (workdir / "openapi.json").write_text(json.dumps(document))
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run(
        [os.path.join(BIN, "openapi-python-client"), "generate", "--path", "openapi.json", "--meta", "none"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module("crm_api_client")
    finally:
        sys.path.remove(str(workdir))
        for name in [n for n in sys.modules if n == "crm_api_client" or n.startswith("crm_api_client.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def api(generated, system):
    """The generated modules, and a client signed in as the admin."""
    from crm_api_client import AuthenticatedClient, Client
    from crm_api_client.api.auth import login
    from crm_api_client.models import Login, Token

    anonymous = Client(base_url=system.base_url, raise_on_unexpected_status=True)
    token = login.sync(client=anonymous, body=Login(username="admin", password=system.env["CRM_ADMIN_PASSWORD"]))
    assert isinstance(token, Token), token
    return AuthenticatedClient(base_url=system.base_url, token=token.access_token, raise_on_unexpected_status=True)


def test_directory_through_the_generated_client(api):
    from crm_api_client.api.auth import me
    from crm_api_client.api.directory import create_department, create_user, get_user, list_users, update_user
    from crm_api_client.models import Department, DepartmentInput, Me, User, UserInput, UserPage, UserPatch

    department = create_department.sync(client=api, body=DepartmentInput(name=unique("Client dept ")))
    assert isinstance(department, Department), department
    username = unique("client")
    user = create_user.sync(
        client=api, body=UserInput(username=username, password="pw-" + unique(), department_id=department.id)
    )
    assert isinstance(user, User), user
    assert user.username == username and user.department_id == department.id
    assert isinstance(me.sync(client=api), Me)
    page = list_users.sync(client=api, q=username)
    assert isinstance(page, UserPage) and [u.id for u in page.items] == [user.id]
    edited = update_user.sync(client=api, user_id=user.id, body=UserPatch(full_name="Edited"))
    assert isinstance(edited, User) and edited.full_name == "Edited"
    assert get_user.sync(client=api, user_id=user.id).full_name == "Edited"


def test_customers_through_the_generated_client(api):
    from crm_api_client.api.customers import create_customer, list_customers, update_customer
    from crm_api_client.models import Customer, CustomerInput, CustomerPage, CustomerPatch

    name = unique("Client customer ")
    customer = create_customer.sync(client=api, body=CustomerInput(name=name, phone="+84 90 123 4567"))
    assert isinstance(customer, Customer), customer
    page = list_customers.sync(client=api, q=name)
    assert isinstance(page, CustomerPage) and [c.id for c in page.items] == [customer.id]
    edited = update_customer.sync(client=api, customer_id=customer.id, body=CustomerPatch(note="via the client"))
    assert isinstance(edited, Customer) and edited.note == "via the client"


def test_tickets_through_the_generated_client(api):
    from crm_api_client.api.auth import me
    from crm_api_client.api.tickets import create_support_group, create_ticket, create_ticket_type, list_tickets
    from crm_api_client.models import (
        GroupMember,
        SupportGroup,
        SupportGroupInput,
        Ticket,
        TicketInput,
        TicketPage,
        TicketType,
        TicketTypeInput,
    )

    admin_id = me.sync(client=api).id
    ticket_type = create_ticket_type.sync(client=api, body=TicketTypeInput(name=unique("Client type ")))
    assert isinstance(ticket_type, TicketType), ticket_type
    group = create_support_group.sync(
        client=api,
        body=SupportGroupInput(
            name=unique("Client group "), ticket_type_ids=[ticket_type.id], members=[GroupMember(user_id=admin_id)]
        ),
    )
    assert isinstance(group, SupportGroup), group
    ticket = create_ticket.sync(client=api, body=TicketInput(title="Through the client", type_id=ticket_type.id))
    assert isinstance(ticket, Ticket), ticket
    page = list_tickets.sync(client=api, group_id=group.id)
    assert isinstance(page, TicketPage) and ticket.id in [t.id for t in page.items]


def test_notifications_through_the_generated_client(api):
    from crm_api_client.api.notifications import add_opt_out, list_messages, list_opt_outs
    from crm_api_client.models import MessagePage, OptOut, OptOutInput, OptOutInputChannel, OptOutPage

    address = unique("optout") + "@example.com"
    opt_out = add_opt_out.sync(client=api, body=OptOutInput(channel=OptOutInputChannel.EMAIL, address=address))
    assert isinstance(opt_out, OptOut), opt_out
    page = list_opt_outs.sync(client=api, address=address)
    assert isinstance(page, OptOutPage) and [o.address for o in page.items] == [address]
    assert isinstance(list_messages.sync(client=api), MessagePage)
