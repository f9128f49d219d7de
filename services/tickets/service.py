import logging

from nameko.timer import timer

from services.core.actor import CurrentActor
from services.core.db import Database
from services.core.errors import EXPECTED
from services.core.events import handles
from services.core.outbox import OutboxRelay
from services.core.rpc import TimedRpcProxy, rpc
from services.tickets import customer_view, dispatcher, kpi, support_groups, tickets

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5


class TicketsService:
    """Ticket types, support groups, tickets, the dispatcher and KPI."""

    name = "tickets"

    db = Database()
    actor = CurrentActor()
    outbox = OutboxRelay()
    directory = TimedRpcProxy("directory")
    customers = TimedRpcProxy("customers")

    @rpc
    def ping(self):
        return "pong"

    # -- ticket types and support groups --------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_ticket_types(self, query=None):
        return support_groups.list_ticket_types(self.db, self.actor, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_ticket_type(self, data):
        return support_groups.create_ticket_type(self.db, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_support_groups(self, query=None):
        return support_groups.list_groups(self.db, self.actor, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_support_group(self, group_id):
        return support_groups.get_group(self.db, self.actor, group_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_support_group(self, data):
        return support_groups.create_group(self.db, self.directory, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_support_group(self, group_id, data):
        return support_groups.update_group(self.db, self.directory, self.actor, group_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def set_member_availability(self, group_id, user_id, data):
        return support_groups.set_availability(self.db, self.actor, group_id, user_id, data)

    # -- tickets ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_ticket(self, ticket, customer=None):
        """Its creator sees its customer: the customers service just checked (it may be the caller)."""
        return tickets.create_ticket(self.db, self.actor, ticket, customer)

    @rpc(expected_exceptions=EXPECTED)
    def list_tickets(self, query=None):
        return customer_view.shown(self.customers, self.actor, tickets.list_tickets(self.db, self.actor, query), query)

    @rpc(expected_exceptions=EXPECTED)
    def get_ticket(self, ticket_id):
        return customer_view.shown(self.customers, self.actor, tickets.get_ticket(self.db, self.actor, ticket_id))

    @rpc(expected_exceptions=EXPECTED)
    def update_ticket(self, ticket_id, data, customer=None):
        ticket = tickets.update_ticket(self.db, self.actor, ticket_id, data, customer)
        return customer_view.shown(self.customers, self.actor, ticket)

    @rpc(expected_exceptions=EXPECTED)
    def ticket_history(self, ticket_id):
        history = tickets.ticket_history(self.db, self.actor, ticket_id)
        return customer_view.shown_history(self.customers, self.actor, history)

    @rpc(expected_exceptions=EXPECTED)
    def accept_ticket(self, ticket_id):
        return customer_view.shown(self.customers, self.actor, tickets.accept_ticket(self.db, self.actor, ticket_id))

    @rpc(expected_exceptions=EXPECTED)
    def start_ticket(self, ticket_id):
        return customer_view.shown(self.customers, self.actor, tickets.start_ticket(self.db, self.actor, ticket_id))

    @rpc(expected_exceptions=EXPECTED)
    def hold_ticket(self, ticket_id):
        return customer_view.shown(self.customers, self.actor, tickets.hold_ticket(self.db, self.actor, ticket_id))

    @rpc(expected_exceptions=EXPECTED)
    def complete_ticket(self, ticket_id):
        return customer_view.shown(self.customers, self.actor, tickets.complete_ticket(self.db, self.actor, ticket_id))

    @rpc(expected_exceptions=EXPECTED)
    def cancel_ticket(self, ticket_id):
        return customer_view.shown(self.customers, self.actor, tickets.cancel_ticket(self.db, self.actor, ticket_id))

    @rpc(expected_exceptions=EXPECTED)
    def transfer_ticket(self, ticket_id, data):
        ticket = tickets.transfer_ticket(self.db, self.actor, ticket_id, data)
        return customer_view.shown(self.customers, self.actor, ticket)

    @rpc(expected_exceptions=EXPECTED)
    def employee_kpi(self, query=None):
        return kpi.employee_kpi(self.db, self.directory, self.actor, query)

    # -- the dispatcher -------------------------------------------------------------

    @handles("tickets", "ticket_created")
    @handles("tickets", "ticket_updated")
    @handles("tickets", "ticket_completed")
    @handles("tickets", "ticket_cancelled")
    @handles("tickets", "ticket_held")
    @handles("tickets", "ticket_transferred")
    @handles("tickets", "member_availability_changed")
    @handles("tickets", "support_group_changed")
    def dispatch(self, event):
        """Give the event's group's waiting tickets to its free members."""
        dispatcher.on_event(self.db, event)

    @timer(interval=SWEEP_SECONDS)
    def sweep(self):
        """Safety net: dispatch every group with waiting tickets, in case an event was lost."""
        dispatcher.sweep(self.db)
