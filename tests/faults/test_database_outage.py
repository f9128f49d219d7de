"""PostgreSQL goes away (every connection of the system cut, new ones refused, for a few
seconds) while tickets are opened: no process dies or is restarted, requests during the outage
answer ``503`` with ``Retry-After`` (never a 500), nothing half written is left, the outbox
relays resume, and every confirmed ticket was assigned and notified exactly once."""

import time

import pytest

from tests.faults.workload import TicketLoad, check_exactly_once, half_written, outbox_sizes, wait_settled

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

SERVICES = ("gateway", "directory", "customers", "tickets", "inventory", "treasury", "notifications")


def test_services_survive_a_database_outage_answering_503_and_keep_every_change_whole(
    fault_system, fault_admin, help_desk
):
    fault_system.wait_healthy()
    pids = {service: sorted(fault_system.pids(service)) for service in SERVICES}
    assert fault_system.database.connections() > 0
    with TicketLoad(fault_admin, help_desk["type_id"]) as load:
        time.sleep(2)
        fault_system.database.cut()
        time.sleep(5)
        fault_system.database.restore()
        fault_system.wait_healthy()
        time.sleep(2)
    assert {service: sorted(fault_system.pids(service)) for service in SERVICES} == pids, "a process was restarted"
    statuses = load.statuses()
    assert statuses.get(201, 0) > 0 and statuses.get(503, 0) > 0, statuses
    assert set(statuses) <= {201, 503, 504}, (statuses, load.refusals)
    assert all(retry_after for status, retry_after, _ in load.refusals if status == 503), load.refusals
    found = wait_settled(fault_system, load.tag)
    check_exactly_once(load, found)
    assert half_written(fault_system, load.tag) == []
    deadline = time.time() + 30
    while any(outbox_sizes(fault_system).values()) and time.time() < deadline:
        time.sleep(0.5)
    assert not any(outbox_sizes(fault_system).values()), outbox_sizes(fault_system)
