"""The RabbitMQ of docker-compose.yml and of deploy/k8s: the definitions each imports at boot are
valid JSON creating the vhost the services' AMQP_URI names, with default queue type quorum, and
the user of that URI with every permission there; Kubernetes runs three nodes."""

import json
import os
import re
from urllib.parse import urlparse

import yaml

from services.core.registry import ROOT


def compose_defaults(text):
    """``${VAR:-default}`` as Compose reads it with VAR unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)


class PlainLoader(yaml.SafeLoader):
    """YAML as Compose and kubectl read it: without nameko's ``${VAR:default}`` resolver, which
    ``services.core.config`` adds to the SafeLoader (it would read ``${X:-y}`` as ``-y``)."""


PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(*path):
    with open(os.path.join(ROOT, *path)) as stream:
        return list(yaml.load_all(stream, Loader=PlainLoader))


def check_definitions(definitions, amqp_uri):
    uri = urlparse(amqp_uri)
    (vhost,) = [v for v in definitions["vhosts"] if v["name"] == uri.path.lstrip("/")]
    assert vhost["default_queue_type"] == "quorum" and vhost["metadata"]["default_queue_type"] == "quorum"
    assert {(u["name"], u["password"]) for u in definitions["users"]} == {(uri.username, uri.password)}
    (permission,) = [p for p in definitions["permissions"] if p["vhost"] == vhost["name"]]
    assert permission["user"] == uri.username
    assert (permission["configure"], permission["write"], permission["read"]) == (".*", ".*", ".*")


def test_compose_creates_the_services_vhost_with_quorum_queues_by_default():
    (compose,) = read_yaml("docker-compose.yml")
    definitions = json.loads(compose_defaults(compose["configs"]["rabbitmq-definitions"]["content"]))
    check_definitions(definitions, compose_defaults(compose["x-crm-env"]["AMQP_URI"]))
    conf = compose["configs"]["rabbitmq-conf"]["content"]
    targets = {c["source"]: c["target"] for c in compose["services"]["rabbitmq"]["configs"]}
    assert "load_definitions = {}".format(targets["rabbitmq-definitions"]) in conf
    assert targets["rabbitmq-conf"].startswith("/etc/rabbitmq/conf.d/")


def test_kubernetes_runs_three_rabbitmq_nodes_with_the_services_vhost():
    secrets = {d["metadata"]["name"]: d for d in read_yaml("deploy", "k8s", "secrets.yaml")}
    rabbitmq = {(d["kind"], d["metadata"]["name"]): d for d in read_yaml("deploy", "k8s", "rabbitmq", "rabbitmq.yaml")}
    definitions = json.loads(secrets["crm-rabbitmq"]["stringData"]["definitions.json"])
    amqp_uri = secrets["crm-platform"]["stringData"]["AMQP_URI"]
    check_definitions(definitions, amqp_uri)
    nodes = rabbitmq[("StatefulSet", "crm-rabbitmq")]
    assert nodes["spec"]["replicas"] == 3
    assert urlparse(amqp_uri).hostname in {name for kind, name in rabbitmq if kind == "Service"}
    conf = rabbitmq[("ConfigMap", "crm-rabbitmq")]["data"]["rabbitmq.conf"]
    (mount,) = [
        m["mountPath"]
        for m in nodes["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        if m["name"] == "definitions"
    ]
    assert "load_definitions = {}/definitions.json".format(mount) in conf
    assert "cluster_formation.k8s.service_name = {}".format(nodes["spec"]["serviceName"]) in conf
