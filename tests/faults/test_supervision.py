"""The launcher's supervision: a child that dies is started again after a growing pause; one that
keeps dying stops the system with a clear sentence and exit status 1 (not a restart loop)."""

import importlib.util
import os
import subprocess
import sys

import pytest

from deploy.harness import random_name
from tests.conftest import ROOT

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]


def launcher():
    spec = importlib.util.spec_from_file_location("crm_launcher", os.path.join(ROOT, "deploy", "launcher.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_restart_pauses_grow_and_a_child_that_keeps_dying_is_given_up():
    child = launcher().Child("tickets", ["true"], max_restarts=3, window=60)
    assert child.died(100.0) and child.restart_at == 100.5
    assert child.died(101.0) and child.restart_at == 102.0
    assert child.died(102.0) and child.restart_at == 104.0
    assert not child.died(103.0)  # a fourth death within the window


def test_deaths_outside_the_window_are_forgotten():
    child = launcher().Child("tickets", ["true"], max_restarts=1, window=10)
    assert child.died(100.0)
    assert child.died(111.0) and child.restart_at == 111.5


def test_instances_come_from_crm_instances(monkeypatch):
    module = launcher()
    monkeypatch.setenv("CRM_INSTANCES", "2")
    names = [name for name, _ in module.commands(module.instances())]
    assert names.count("gateway") == 1 and "gateway#2" in names and "tickets#2" in names and len(names) == 14
    monkeypatch.setenv("CRM_INSTANCES", "0")
    with pytest.raises(SystemExit):
        module.instances()


def test_a_service_that_cannot_start_stops_the_system_with_one_clear_sentence(infra, make_vhost):
    prefix = random_name("crmfaultsup")
    env = dict(
        os.environ,
        AMQP_URI=infra.amqp_uri_for(make_vhost()),
        DATABASE_URL=infra.database_url,
        DATABASE_PREFIX=prefix,
        GATEWAY_PORT="0",
        BUSINESS_TIME_ZONE="Mars/Olympus",  # every service fails in setup (prepare does not start them)
        CRM_MAX_RESTARTS="1",
        PYTHONWARNINGS="ignore",
        LOG_LEVEL="CRITICAL",
    )
    try:
        done = subprocess.run(
            [sys.executable, os.path.join(ROOT, "deploy", "launcher.py"), "run"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        infra.drop_databases(prefix)
    lines = [line for line in done.stdout.splitlines() if line.startswith("[crm]")]
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert any("restarting it in 0.5s" in line for line in lines), lines
    assert any("keeps dying (2 exits within 60s" in line and "stopping everything" in line for line in lines), lines
    assert lines[-1] == "[crm] stopped"
