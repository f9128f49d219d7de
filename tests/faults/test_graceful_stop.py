"""SIGTERM lets running workers finish: a bulk action in flight when its service is told to stop
completes whole (or, were it cut, would leave nothing), the caller gets one answer, and the
supervisor's restart of the stopped processes does not run the action again.

The action is held in flight deterministically: the test locks the one open activity of the
selection, so the bulk transfer — its customers already rewritten inside its transaction —
waits on that lock in ``UPDATE activities``.  Every customers process then gets SIGTERM; the
test keeps the lock until the launcher has restarted them and the new ones serve (a message
given back to the broker would reach them now), then lets the transaction go on.
"""

import os
import signal
import threading
import time

import pytest
from sqlalchemy import text

from tests.conftest import unique, wait_for
from tests.faults.conftest import patiently

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

CUSTOMERS = 3000


def seed_customers(connection, owner_id, tag, count):
    """``count`` customers of ``owner_id`` (one INSERT … SELECT); their ids."""
    return connection.scalars(
        text(
            "INSERT INTO customers (code, name, kind, owner_id) "
            "SELECT :tag || '-' || g, 'Stop test ' || g, 'person', :owner FROM generate_series(1, :n) AS g "
            "RETURNING id"
        ),
        {"tag": tag, "owner": owner_id, "n": count},
    ).all()


def waiting_on_activities(fault_system):
    """Backends of the customers database waiting on a lock in an ``UPDATE activities``."""
    with fault_system.connect("customers") as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE activities%'"
            )
        )


def history_of(fault_system, ids):
    """(changes, entries) of the ownership history of those customers: one transfer is one change
    with one entry per customer."""
    with fault_system.connect("customers") as connection:
        return tuple(
            connection.execute(
                text("SELECT count(DISTINCT change_id), count(*) FROM history_entries WHERE customer_id = ANY(:ids)"),
                {"ids": ids},
            ).one()
        )


def owners_of(fault_system, ids):
    with fault_system.connect("customers") as connection:
        rows = connection.execute(
            text("SELECT owner_id, count(*) FROM customers WHERE id = ANY(:ids) GROUP BY owner_id"), {"ids": ids}
        )
        return dict(rows.all())


def test_sigterm_lets_a_bulk_transfer_in_flight_finish_whole_and_answer_once(fault_system, fault_admin):
    fault_system.wait_healthy()
    admin_id = patiently(lambda: fault_admin.get("/api/v1/me")).json()["id"]
    body = {"username": unique("heir"), "password": "pw-" + unique(), "full_name": "Heir", "roles": ["staff"]}
    heir = patiently(lambda: fault_admin.post("/api/v1/users", body))
    assert heir.status_code == 201, heir.text
    heir_id = heir.json()["id"]
    call_type = patiently(lambda: fault_admin.post("/api/v1/activity-types", {"name": unique("Call ")}))
    assert call_type.status_code == 201, call_type.text
    with fault_system.connect("customers") as connection:
        ids = seed_customers(connection, admin_id, unique("stop"), CUSTOMERS)
        activity_id = connection.scalar(
            text(
                "INSERT INTO activities (customer_id, type_id, title, status, owner_id) "
                "VALUES (:customer, :type, 'Call back', 'not_started', :owner) RETURNING id"
            ),
            {"customer": ids[-1], "type": call_type.json()["id"], "owner": admin_id},
        )
        connection.commit()

    blocker = fault_system.connect("customers")
    blocker.execute(text("SELECT id FROM activities WHERE id = :id FOR UPDATE"), {"id": activity_id})
    answers = []
    transfer = {"customer_ids": ids, "user_ids": [heir_id], "transfer_activities": ["not_started"]}
    caller = threading.Thread(
        target=lambda: answers.append(fault_admin.post("/api/v1/customers/bulk/transfer-owner", transfer)),
        daemon=True,
    )
    caller.start()
    try:
        wait_for(lambda: waiting_on_activities(fault_system), 30, "the transfer to reach UPDATE activities")
        stopped = fault_system.pids("customers")
        assert stopped
        logged_before = len(fault_system.log())
        for pid in stopped:
            os.kill(pid, signal.SIGTERM)
        if len(stopped) > 1:  # the idle instances exit and are restarted; the busy one waits for its worker
            wait_for(
                lambda: len(set(fault_system.pids("customers")) - set(stopped)) >= len(stopped) - 1,
                60,
                "the launcher to restart the stopped customers processes",
            )
            fault_system.wait_healthy()
        time.sleep(2)
        still_running = set(fault_system.pids("customers")) & set(stopped)
        assert len(still_running) == 1, "the process of the running worker should still be finishing it"
        assert not answers, answers[0].text  # nobody answered the caller yet: the work is not done
        assert owners_of(fault_system, ids) == {admin_id: CUSTOMERS}  # nothing visible before the commit
    finally:
        blocker.rollback()
        blocker.close()
    caller.join(90)
    assert not caller.is_alive(), "the caller got no answer"
    (response,) = answers
    assert response.status_code == 200, response.text
    assert (response.json()["matched"], response.json()["changed"]) == (CUSTOMERS, CUSTOMERS)
    assert owners_of(fault_system, ids) == {heir_id: CUSTOMERS}
    assert history_of(fault_system, ids) == (1, CUSTOMERS)
    wait_for(lambda: not set(fault_system.pids("customers")) & set(stopped), 60, "the stopping process to exit")
    fault_system.wait_healthy()
    time.sleep(1)
    log = fault_system.log()[logged_before:]
    assert "customers exited with status 0; restarting it" in log
    assert history_of(fault_system, ids) == (1, CUSTOMERS)  # the restarted processes did not run it again
    assert "delivered again" not in log  # nor were they handed the call again: it had been acknowledged
    assert fault_system.process.poll() is None
