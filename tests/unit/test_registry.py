"""The registry of services agrees with the tree: each part's files, database name, and its place
in docker-compose.yml and deploy/k8s; a setting left empty in config.yml takes the code's default."""

import os

import pytest
import yaml

from services.core.config import load_config, setting
from services.core.registry import GATEWAY, PARTS, ROOT, SERVICE_NAMES, SERVICES, part
from services.core.rpc import DEFAULT_TIMEOUT, rpc_timeout


@pytest.mark.parametrize("each", PARTS, ids=lambda each: each.name)
def test_every_part_has_its_code_config_and_migrations(each, monkeypatch):
    monkeypatch.delenv("DATABASE_PREFIX", raising=False)
    assert os.path.isfile(os.path.join(each.directory, "service.py"))
    assert os.path.isfile(os.path.join(each.directory, "models.py"))
    assert os.path.isfile(os.path.join(each.directory, "migrations", "env.py"))
    config = load_config(each.config_path)
    assert config["DATABASE"]["NAME"] == each.database()


def test_the_gateway_is_a_part_without_an_outbox_and_not_a_service():
    assert GATEWAY in PARTS and GATEWAY not in SERVICES
    assert not GATEWAY.outbox and all(service.outbox for service in SERVICES)
    assert SERVICE_NAMES == ("directory", "customers", "tickets", "inventory", "treasury", "notifications")


def test_an_unknown_part_is_named_in_the_error():
    with pytest.raises(KeyError, match="'stock'.*known: directory"):
        part("stock")


def test_every_service_runs_in_compose_and_on_kubernetes():
    with open(os.path.join(ROOT, "docker-compose.yml")) as stream:
        compose = yaml.safe_load(stream)["services"]
    with open(os.path.join(ROOT, "deploy", "k8s", "kustomization.yaml")) as stream:
        resources = yaml.safe_load(stream)["resources"]
    for each in PARTS:
        assert compose[each.name]["command"][-1] == each.module
    assert [r.split("/", 1)[1] for r in resources if r.startswith("services/")] == list(SERVICE_NAMES)


def test_a_setting_left_empty_takes_the_default_written_once(monkeypatch):
    monkeypatch.delenv("RPC_TIMEOUT", raising=False)
    assert setting({"X": None}, "X", 3) == 3
    assert setting({"X": ""}, "X", 3) == 3
    assert setting({}, "X", 3) == 3
    assert setting({"X": 0}, "X", 3) == 0
    assert rpc_timeout(load_config(GATEWAY.config_path)) == DEFAULT_TIMEOUT
    assert rpc_timeout({"RPC_TIMEOUT": "2.5"}) == 2.5
