"""What a fault test does while it breaks something, and how it counts the effects afterwards.

:class:`TicketLoad` opens tickets through the gateway, one after the other from a few clients,
and keeps every answer.  :func:`effects` counts, in the system's databases, what became of
every ticket opened: the ticket row, its ``assigned`` history entry (the dispatcher, an event
handler of ``ticket_created``) and the email to the assignee (notifications, an event handler
of ``ticket_assigned``).  Jepsen's ``total-queue`` check: nothing confirmed is lost, nothing is
done twice.
"""

import threading
import time

import requests
from sqlalchemy import text

from services.notifications.ticket_notices import DEFAULT_LANGUAGE, TEMPLATES
from tests.conftest import unique

# the subject of the assignee's email (the system runs in the default business language)
SUBJECT = TEMPLATES[DEFAULT_LANGUAGE]["email_subject"]


class TicketLoad:
    def __init__(self, client, type_id, clients=3, pause=0.05):
        self.client, self.type_id, self.clients, self.pause = client, type_id, clients, pause
        self.tag = unique("load")
        self.answers = []  # (title, status or None, seconds)
        self.refusals = []  # (status, Retry-After, error code) of every answer that is not a 201
        self.running = False
        self.threads = []

    def __enter__(self):
        self.running = True
        for number in range(self.clients):
            thread = threading.Thread(target=self._run, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc):
        self.running = False
        for thread in self.threads:
            thread.join(120)

    def _run(self, number):
        count = 0
        while self.running:
            count += 1
            title = "{} {}-{}".format(self.tag, number, count)
            started = time.time()
            try:
                response = self.client.post("/api/v1/tickets", {"title": title, "type_id": self.type_id})
                status = response.status_code
                if status != 201:
                    code = (response.json().get("error") or {}).get("code")
                    self.refusals.append((status, response.headers.get("Retry-After"), code))
            except (requests.RequestException, ValueError):
                status = None
            self.answers.append((title, status, time.time() - started))
            time.sleep(self.pause)

    def confirmed(self):
        return {title for title, status, _ in self.answers if status == 201}

    def statuses(self):
        counts = {}
        for _, status, _ in self.answers:
            counts[status] = counts.get(status, 0) + 1
        return counts

    def slowest(self):
        return max((seconds for _, _, seconds in self.answers), default=0.0)


def effects(system, tag):
    """``{title: (tickets, assigned entries, emails)}`` of every ticket whose title starts with ``tag``."""
    with system.connect("tickets") as connection:
        rows = connection.execute(
            text(
                "SELECT t.id, t.title, (SELECT count(*) FROM ticket_history h "
                "WHERE h.ticket_id = t.id AND h.action = 'assigned') FROM tickets t WHERE t.title LIKE :tag"
            ),
            {"tag": tag + " %"},
        ).all()
    with system.connect("notifications") as connection:
        emails = dict(
            connection.execute(
                text("SELECT subject, count(*) FROM messages WHERE channel = 'email' AND subject LIKE :s GROUP BY 1"),
                {"s": SUBJECT.format(ticket_id="%", title=tag + " %")},
            ).all()
        )
    found = {}
    for ticket_id, title, assigned in rows:
        tickets, assigned_before, emails_before = found.get(title, (0, 0, 0))
        subject = SUBJECT.format(ticket_id=ticket_id, title=title)
        found[title] = (tickets + 1, assigned_before + assigned, emails_before + emails.get(subject, 0))
    return found


def half_written(system, tag):
    """Tickets of ``tag`` without their ``created`` history entry (written in the same transaction)."""
    with system.connect("tickets") as connection:
        return connection.scalars(
            text(
                "SELECT t.title FROM tickets t WHERE t.title LIKE :tag AND NOT EXISTS "
                "(SELECT 1 FROM ticket_history h WHERE h.ticket_id = t.id AND h.action = 'created')"
            ),
            {"tag": tag + " %"},
        ).all()


def outbox_sizes(system, services=("tickets", "notifications", "customers", "directory")):
    sizes = {}
    for service in services:
        with system.connect(service) as connection:
            sizes[service] = connection.scalar(text("SELECT count(*) FROM outbox"))
    return sizes


def wait_settled(system, tag, timeout=120):
    """Wait until every ticket of ``tag`` is assigned and notified; returns :func:`effects`."""
    deadline = time.time() + timeout
    while True:
        found = effects(system, tag)
        if all(assigned >= tickets and emails >= tickets for tickets, assigned, emails in found.values()):
            return found
        if time.time() > deadline:
            waiting = {
                title: counts for title, counts in found.items() if counts[1] < counts[0] or counts[2] < counts[0]
            }
            raise AssertionError("not every ticket was assigned and notified: {}".format(waiting))
        time.sleep(0.5)


def check_exactly_once(load, found):
    """Every confirmed ticket exists once, was assigned once and notified once; no other ticket
    (an unconfirmed request that went through: a 504) was done twice either."""
    lost = load.confirmed() - set(found)
    twice = {title: counts for title, counts in found.items() if counts != (1, 1, 1)}
    assert not lost, "confirmed but lost: {}".format(sorted(lost))
    assert not twice, "done more than once (tickets, assigned, emails): {}".format(twice)
