"""A killed process costs seconds of errors, never the system and never data.

SIGKILL of every instance of tickets (RPC handlers: ``create_ticket``; event handlers: the
dispatcher) and of notifications (event handler: ``ticket_assigned``) while tickets are being
opened: the launcher starts them again, the others keep serving, ``/health`` is ok again, and
each ticket confirmed to its client exists once, was assigned once and notified once.
"""

import os
import signal
import time

import pytest

from tests.faults.conftest import patiently
from tests.faults.workload import TicketLoad, check_exactly_once, wait_settled

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]


def test_killed_services_come_back_and_every_effect_exists_once(fault_system, fault_admin, help_desk):
    killed = {service: fault_system.pids(service) for service in ("tickets", "notifications")}
    assert all(killed.values()), killed
    with TicketLoad(fault_admin, help_desk["type_id"]) as load:
        time.sleep(2)
        for pids in killed.values():
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
        # the other services keep serving while those are down
        assert patiently(lambda: fault_admin.get("/api/v1/me")).status_code == 200
        deadline = time.time() + 90
        while time.time() < deadline:
            back = {s: fault_system.pids(s) for s in killed}
            if all(len(back[s]) == len(killed[s]) and not set(back[s]) & set(killed[s]) for s in killed):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("not restarted:\n" + fault_system.log()[-3000:])
        fault_system.wait_healthy()
        time.sleep(2)
    assert fault_system.process.poll() is None
    log = fault_system.log()
    for service in killed:
        assert "{} exited with status -9; restarting it".format(service) in log
    assert load.statuses().get(201, 0) > 0, load.statuses()
    assert set(load.statuses()) <= {201, 503, 504}, load.statuses()
    found = wait_settled(fault_system, load.tag)
    check_exactly_once(load, found)
