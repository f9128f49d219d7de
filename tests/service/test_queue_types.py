"""Every queue the system declares suits a virtual host whose default queue type is ``quorum``
(``deploy/``): the service queues (RPC, events, dead letters) are durable, non-exclusive and
not auto-delete, with no ``x-queue-type`` of their own, so the vhost's default makes them
quorum queues; the reply queues (every service, the gateway, the health check) say
``x-queue-type: classic``, since they live and die with one process; so does each gateway's own
queue of ``actor_changed`` events (exclusive and auto-delete: RabbitMQ keeps such a queue classic
whatever the vhost's default).

RabbitMQ applies a vhost's default queue type from 3.11 on; on an older broker (the development
machines run 3.10) the second case is skipped and the first checks the declarations alone.
"""

import secrets

import pytest
import requests
from nameko.cli.run import import_service

from deploy.harness import free_port
from services.core import healthcheck
from services.core.registry import PARTS, part

pytestmark = pytest.mark.infra

REPLY_PREFIX = "rpc.reply-"
GATEWAY_BROADCAST_PREFIX = "evt-directory-actor_changed--gateway."


def start_everything(container_factory, service_config, amqp_uri):
    for each in PARTS:
        overrides = {"AMQP_URI": amqp_uri}
        if each.name == "gateway":
            overrides.update(
                JWT_SECRET=secrets.token_urlsafe(48), WEB_SERVER_ADDRESS="127.0.0.1:{}".format(free_port())
            )
        config = service_config(each.name, **overrides)
        for service_cls in import_service(each.module):
            container_factory(service_cls, config).start()


def quorum_vhost(infra, make_vhost):
    """A vhost whose default queue type is quorum, or None when the broker ignores the setting."""
    vhost = make_vhost()
    api = infra.rabbit_api_uri + "/api/vhosts/" + vhost
    requests.put(api, json={"default_queue_type": "quorum"}, timeout=10).raise_for_status()
    if requests.get(api, timeout=10).json().get("default_queue_type") != "quorum":
        return None
    return vhost


@pytest.fixture(params=["any vhost", "quorum by default"])
def vhost(request, infra, rabbit_config, make_vhost):
    if request.param == "any vhost":
        return rabbit_config["vhost"]
    vhost = quorum_vhost(infra, make_vhost)
    if vhost is None:
        pytest.skip("this RabbitMQ does not apply a vhost's default queue type (3.11 or later does)")
    return vhost


def test_service_queues_may_be_quorum_and_reply_queues_are_classic(
    vhost, infra, container_factory, service_config, monkeypatch
):
    amqp_uri = infra.amqp_uri_for(vhost)
    start_everything(container_factory, service_config, amqp_uri)
    monkeypatch.setenv("AMQP_URI", amqp_uri)
    assert healthcheck.main(["directory", part("directory").config_path]) == 0  # a standalone reply queue too
    queues = infra.rabbit_manager().get_queues(vhost)
    names = {queue["name"] for queue in queues}
    assert {"rpc-" + each.name for each in PARTS if each.name != "gateway"} <= names
    assert "crm.dead-letters" in names and any(name.startswith("evt-") for name in names)
    replies = [queue for queue in queues if queue["name"].startswith(REPLY_PREFIX)]
    owners = {q["name"][len(REPLY_PREFIX) :].rsplit("-", 5)[0] for q in replies}
    assert owners == {each.name for each in PARTS} | {"standalone_rpc_proxy"}, owners
    quorum_by_default = requests.get(infra.rabbit_api_uri + "/api/vhosts/" + vhost, timeout=10).json()
    quorum_by_default = quorum_by_default.get("default_queue_type") == "quorum"
    for queue in queues:
        arguments = queue.get("arguments") or {}
        if queue["name"].startswith(REPLY_PREFIX):
            assert arguments.get("x-queue-type") == "classic", queue["name"]
            assert queue.get("type", "classic") == "classic", queue["name"]
        elif queue["name"].startswith(GATEWAY_BROADCAST_PREFIX):  # one per gateway instance, gone with it
            assert (queue["exclusive"], queue["auto_delete"]) == (True, True), queue["name"]
            assert queue.get("type", "classic") == "classic", queue["name"]
        else:
            assert (queue["durable"], queue["exclusive"], queue["auto_delete"]) == (True, False, False), queue["name"]
            assert "x-queue-type" not in arguments or quorum_by_default, queue["name"]  # the vhost decides
            assert queue.get("type") == ("quorum" if quorum_by_default else "classic"), queue["name"]
