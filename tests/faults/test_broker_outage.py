"""The broker goes away (every connection cut, new ones refused, for a few seconds) while tickets
are opened and events flow: no process dies or is restarted, every service reconnects by itself,
requests during the outage answer 503/504 within the RPC timeout, ``/health`` is ok again
afterwards, and every confirmed ticket was assigned and notified exactly once."""

import time

import pytest

from tests.faults.workload import TicketLoad, check_exactly_once, wait_settled

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

SERVICES = ("gateway", "directory", "customers", "tickets", "inventory", "treasury", "notifications")


def test_services_survive_a_broker_outage_and_every_confirmed_event_is_handled_once(
    fault_system, fault_admin, help_desk
):
    fault_system.wait_healthy()
    pids = {service: sorted(fault_system.pids(service)) for service in SERVICES}
    assert fault_system.broker.connections() > 0  # the system does talk through the proxy
    with TicketLoad(fault_admin, help_desk["type_id"]) as load:
        time.sleep(2)
        fault_system.broker.cut()
        time.sleep(5)
        fault_system.broker.restore()
        fault_system.wait_healthy()
        time.sleep(2)
    assert {service: sorted(fault_system.pids(service)) for service in SERVICES} == pids, "a process was restarted"
    statuses = load.statuses()
    assert statuses.get(201, 0) > 0 and set(statuses) <= {201, 503, 504}, statuses
    rpc_timeout = float(fault_system.env["RPC_TIMEOUT"])
    assert load.slowest() < 3 * rpc_timeout  # authentication and the call itself, each bounded
    check_exactly_once(load, wait_settled(fault_system, load.tag))
