"""Two gateway instances keep the actors they fetched and both forget them when the directory says
so (``actor_changed``, through its outbox): a deactivated user's token gets 401, a removed role 403,
a manager removed from a department stops seeing its customers, on both, within a second; ``/me``
is answered without asking the directory once kept, and is right after the user's own edit."""

import time

import pytest
import requests
from sqlalchemy.orm import sessionmaker

from deploy.harness import free_port
from gateway import rpc as gateway_rpc
from gateway.service import GatewayService
from services.core.unit_of_work import UnitOfWork
from services.customers.service import CustomersService
from services.directory import users
from services.directory.service import DirectoryService

pytestmark = pytest.mark.infra

PASSWORD = "password123"
WITHIN = 1.0  # seconds: how soon every gateway must apply a change


class Gateway:
    def __init__(self, port, container):
        self.container = container
        self.base_url = "http://127.0.0.1:{}".format(port)
        self.session = requests.Session()

    def call(self, method, path, token, **kwargs):
        headers = {"Authorization": "Bearer " + token}
        return self.session.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)

    def login(self, username):
        response = self.session.post(
            self.base_url + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@pytest.fixture
def system(container_factory, service_config, databases):
    """The directory, customers and two gateways on one bus; the first admin in the directory."""
    make_session = sessionmaker(databases.engine("directory"), expire_on_commit=False)
    assert users.ensure_admin(UnitOfWork(make_session), "admin", PASSWORD)
    for cls, name in ((DirectoryService, "directory"), (CustomersService, "customers")):
        container_factory(cls, service_config(name)).start()
    gateways = []
    for _ in range(2):
        port = free_port()
        config = service_config(
            "gateway", WEB_SERVER_ADDRESS="127.0.0.1:{}".format(port), JWT_SECRET="s" * 40, ACTOR_CACHE_SECONDS=600
        )
        container = container_factory(GatewayService, config)
        container.start()
        gateways.append(Gateway(port, container))
    return gateways


@pytest.fixture
def directory_calls(monkeypatch):
    """Every call the gateways make to the directory, as ``(method, args)``."""
    calls = []
    start = gateway_rpc.Caller.start

    def counted(self, service, method, *args, **kwargs):
        if service == "directory":
            calls.append((method, args))
        return start(self, service, method, *args, **kwargs)

    monkeypatch.setattr(gateway_rpc.Caller, "start", counted)
    return calls


def eventually(check, within=WITHIN):
    """Poll ``check()`` until true; returns the seconds it took (fails past ``within``)."""
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < within, "not applied within {}s".format(within)
        time.sleep(0.02)
    return time.monotonic() - began


def soon(gateway, status, method, path, token, **kwargs):
    """``method path`` answers ``status`` on ``gateway`` within :data:`WITHIN` seconds."""
    return eventually(lambda: gateway.call(method, path, token, **kwargs).status_code == status)


def new_user(gateway, admin, username, **fields):
    body = dict({"username": username, "password": PASSWORD, "full_name": username.title()}, **fields)
    response = gateway.call("POST", "/api/v1/users", admin, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_deactivated_user_gets_401_on_every_gateway_within_a_second(system, directory_calls):
    one, two = system
    admin = one.login("admin")
    member = new_user(one, admin, "member")
    token = one.login("member")
    for instance in system:  # both keep the member now
        assert instance.call("GET", "/api/v1/me", token).status_code == 200
    assert one.call("PATCH", "/api/v1/users/{}".format(member["id"]), admin, json={"active": False}).ok
    for instance in system:
        soon(instance, 401, "GET", "/api/v1/me", token)
    # reactivated: the old token stays ended (its version is past), a new sign-in works everywhere
    assert two.call("PATCH", "/api/v1/users/{}".format(member["id"]), admin, json={"active": True}).ok
    fresh = two.login("member")
    for instance in system:
        assert instance.call("GET", "/api/v1/me", token).status_code == 401
        soon(instance, 200, "GET", "/api/v1/me", fresh)


def test_a_removed_role_is_403_on_every_gateway_within_a_second(system):
    one, two = system
    admin = one.login("admin")
    boss = new_user(one, admin, "boss", roles=["admin", "staff"])
    token = one.login("boss")
    for number, instance in enumerate(system):  # an admin action, kept as an admin's on both
        response = instance.call("POST", "/api/v1/departments", token, json={"name": "Sales {}".format(number)})
        assert response.status_code == 201, response.text
    assert two.call("PATCH", "/api/v1/users/{}".format(boss["id"]), admin, json={"roles": ["staff"]}).ok
    for number, instance in enumerate(system):
        soon(instance, 403, "POST", "/api/v1/departments", token, json={"name": "Late {}".format(number)})


def test_a_manager_removed_from_a_department_stops_seeing_its_customers(system):
    one, two = system
    admin = one.login("admin")
    manager = new_user(one, admin, "manager")
    department = one.call("POST", "/api/v1/departments", admin, json={"name": "Sales", "manager_ids": [manager["id"]]})
    assert department.status_code == 201, department.text
    new_user(one, admin, "seller", department_id=department.json()["id"])
    seller, boss = one.login("seller"), one.login("manager")
    customer = one.call("POST", "/api/v1/customers", seller, json={"name": "An Phát"})
    assert customer.status_code == 201, customer.text
    path = "/api/v1/customers/{}".format(customer.json()["id"])
    for instance in system:
        soon(instance, 200, "GET", path, boss)  # both keep them as manager
    response = one.call(
        "PATCH", "/api/v1/departments/{}".format(department.json()["id"]), admin, json={"manager_ids": []}
    )
    assert response.status_code == 200, response.text
    for instance in system:
        soon(instance, 404, "GET", path, boss)
    assert two.call("GET", path, seller).status_code == 200  # the owner still does


def test_me_is_answered_without_the_directory_once_kept_and_right_after_an_own_edit(system, directory_calls):
    one, two = system
    admin = one.login("admin")
    member = new_user(one, admin, "member")
    token = one.login("member")
    del directory_calls[:]
    first = one.call("GET", "/api/v1/me", token)
    assert first.status_code == 200 and first.json()["full_name"] == "Member"
    assert directory_calls == [("get_actor", (member["id"], True))]  # cold: one call, actor and page
    for _ in range(5):
        assert one.call("GET", "/api/v1/me", token).json() == first.json()
    assert len(directory_calls) == 1  # kept: no call
    edited = one.call("PATCH", "/api/v1/users/{}".format(member["id"]), token, json={"full_name": "Member Nguyễn"})
    assert edited.status_code == 200, edited.text
    assert one.call("GET", "/api/v1/me", token).json()["full_name"] == "Member Nguyễn"  # at once, here
    eventually(lambda: two.call("GET", "/api/v1/me", token).json()["full_name"] == "Member Nguyễn")


def test_a_forged_or_expired_token_is_401_even_for_a_kept_user(system):
    import jwt

    one, _ = system
    admin = one.login("admin")
    assert one.call("GET", "/api/v1/me", admin).status_code == 200  # admin kept now
    claims = jwt.decode(admin, options={"verify_signature": False})
    forged = jwt.encode(dict(claims, exp=claims["exp"] + 3600), "x" * 40, algorithm="HS256")
    expired = jwt.encode(dict(claims, exp=int(time.time()) - 1), "s" * 40, algorithm="HS256")
    for token in (forged, expired, admin[:-2] + "xx"):
        assert one.call("GET", "/api/v1/me", token).status_code == 401


def test_each_gateway_has_its_own_queue_which_goes_with_it_and_is_not_declared_ahead(
    system, infra, rabbit_config, service_config
):
    from services.core.events import consumer_queues

    def queues():
        found = infra.rabbit_manager().get_queues(rabbit_config["vhost"])
        return [q for q in found if q["name"].startswith("evt-directory-actor_changed--gateway.")]

    mine = queues()
    assert len(mine) == 2 and all(q["exclusive"] and q["auto_delete"] for q in mine)
    system[0].container.stop()
    eventually(lambda: len(queues()) == 1, within=10)  # the stopped instance's queue is gone
    assert consumer_queues(GatewayService, service_config("gateway")) == []  # prepare declares no such queue
