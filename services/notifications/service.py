from nameko.timer import timer

from services.core.errors import EXPECTED
from services.core.events import handles
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc
from services.core.unit_of_work import UnitOfWorkProvider
from services.notifications import batches, brandnames, delivery_reports, message_log, opt_outs, sending, ticket_notices
from services.notifications.providers import Providers
from services.notifications.settings import NotificationSettings


class NotificationsService:
    """SMS (Twilio) and email (SMTP): bulk batches, ticket notices, message log, opt-outs."""

    name = "notifications"

    # asks the directory for the contact of a ticket's assignee
    uow = UnitOfWorkProvider("directory")
    outbox = OutboxRelay()
    channels = Providers()
    settings = NotificationSettings()

    @rpc
    def ping(self):
        return "pong"

    # -- bulk batches -----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def preview_sms(self, data):
        return batches.preview_sms(self.uow, data, self.settings)

    @rpc(expected_exceptions=EXPECTED)
    def open_batch(self, data):
        return batches.open_batch(self.uow, data, self.settings)

    @handles("customers", "sms_requested")
    def queue_sms_batch(self, payload):
        batches.queue_batch(self.uow, payload["id"], payload["data"], self.settings)

    @handles("customers", "email_requested")
    def queue_email_batch(self, payload):
        batches.queue_batch(self.uow, payload["id"], payload["data"], self.settings)

    # -- tickets ----------------------------------------------------------------

    @handles("tickets", "ticket_assigned")
    def notify_ticket_assignee(self, payload):
        ticket_notices.notify_assignee(self.uow, payload["id"], payload["data"], self.settings)

    # -- the sender -------------------------------------------------------------

    @timer(interval=0.5)
    def send_due(self):
        sending.send_due(self.uow, self.channels, self.settings)

    # -- message log and delivery statuses -------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_messages(self, query=None):
        return message_log.list_messages(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def twilio_status(self, data):
        return delivery_reports.record_twilio_status(self.uow, data, self.settings)

    # -- brandnames and opt-outs -------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_brandnames(self, query=None):
        return brandnames.list_brandnames(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_brandname(self, data):
        return brandnames.create_brandname(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_opt_outs(self, query=None):
        return opt_outs.list_opt_outs(self.uow, query, self.settings)

    @rpc(expected_exceptions=EXPECTED)
    def add_opt_out(self, data):
        return opt_outs.add_opt_out(self.uow, data, self.settings)

    @rpc(expected_exceptions=EXPECTED)
    def remove_opt_out(self, data):
        return opt_outs.remove_opt_out(self.uow, data, self.settings)
