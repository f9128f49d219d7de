import logging

from nameko.timer import timer

from services.core.errors import EXPECTED
from services.core.events import handles
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc
from services.core.unit_of_work import UnitOfWorkProvider
from services.tickets import dispatcher, kpi, support_groups, tickets

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5


class TicketsService:
    """Ticket types, support groups, tickets, the dispatcher and KPI."""

    name = "tickets"

    # asks the directory (members, managed departments) and customers (snapshots, visibility)
    uow = UnitOfWorkProvider("directory", "customers")
    outbox = OutboxRelay()

    @rpc
    def ping(self):
        return "pong"

    # -- ticket types and support groups --------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_ticket_types(self, query=None):
        return support_groups.list_ticket_types(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_ticket_type(self, data):
        return support_groups.create_ticket_type(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_support_groups(self, query=None):
        return support_groups.list_groups(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_support_group(self, group_id):
        return support_groups.get_group(self.uow, group_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_support_group(self, data):
        return support_groups.create_group(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_support_group(self, group_id, data):
        return support_groups.update_group(self.uow, group_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def set_member_availability(self, group_id, user_id, data):
        return support_groups.set_availability(self.uow, group_id, user_id, data)

    # -- tickets ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_ticket(self, ticket):
        """With a ``customer_id``: tickets asks customers for its snapshot (404 if the actor cannot see it)."""
        return tickets.create_ticket(self.uow, ticket)

    @rpc(expected_exceptions=EXPECTED)
    def list_tickets(self, query=None):
        return tickets.list_tickets(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_ticket(self, ticket_id):
        return tickets.get_ticket(self.uow, ticket_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_ticket(self, ticket_id, data):
        return tickets.update_ticket(self.uow, ticket_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def ticket_history(self, ticket_id):
        return tickets.ticket_history(self.uow, ticket_id)

    @rpc(expected_exceptions=EXPECTED)
    def accept_ticket(self, ticket_id):
        return tickets.accept_ticket(self.uow, ticket_id)

    @rpc(expected_exceptions=EXPECTED)
    def start_ticket(self, ticket_id):
        return tickets.start_ticket(self.uow, ticket_id)

    @rpc(expected_exceptions=EXPECTED)
    def hold_ticket(self, ticket_id):
        return tickets.hold_ticket(self.uow, ticket_id)

    @rpc(expected_exceptions=EXPECTED)
    def complete_ticket(self, ticket_id):
        return tickets.complete_ticket(self.uow, ticket_id)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_ticket(self, ticket_id):
        return tickets.cancel_ticket(self.uow, ticket_id)

    @rpc(expected_exceptions=EXPECTED)
    def transfer_ticket(self, ticket_id, data):
        return tickets.transfer_ticket(self.uow, ticket_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def employee_kpi(self, query=None):
        return kpi.employee_kpi(self.uow, query)

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
        dispatcher.on_event(self.uow, event)

    @timer(interval=SWEEP_SECONDS)
    def sweep(self):
        """Safety net: dispatch every group with waiting tickets, in case an event was lost."""
        dispatcher.sweep(self.uow)
