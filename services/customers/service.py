from services.core.actor import CurrentActor
from services.core.db import Database
from services.core.errors import EXPECTED
from services.core.events import handles
from services.core.outbox import OutboxRelay
from services.core.rpc import TimedRpcProxy, rpc
from services.customers import customers, groups, history, messaging, ownership, rating, related, sharing


class CustomersService:
    """Customers, contacts, groups, activities, related records, sharing, ownership, rating, history."""

    name = "customers"

    db = Database()
    actor = CurrentActor()
    outbox = OutboxRelay()
    directory = TimedRpcProxy("directory")
    tickets = TimedRpcProxy("tickets")
    notifications = TimedRpcProxy("notifications")

    @rpc
    def ping(self):
        return "pong"

    # -- customers ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_customers(self, query=None):
        return customers.list_customers(self.db, self.actor, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_customer(self, data):
        return customers.create_customer(self.db, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_customer(self, customer_id):
        return customers.get_customer(self.db, self.actor, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_customer(self, customer_id, data):
        return customers.update_customer(self.db, self.actor, customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def delete_customer(self, customer_id):
        return customers.delete_customer(self.db, self.actor, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def customer_snapshot(self, customer_id):
        """{"id","code","name","phone","email"} of a customer visible to the caller, else 404."""
        return customers.snapshot(self.db, self.actor, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def visible_customer_ids(self, customer_ids):
        """Which of these customers the caller may see (tickets shows only those)."""
        return customers.visible_ids(self.db, self.actor, customer_ids)

    @rpc(expected_exceptions=EXPECTED)
    def list_shares(self, customer_id):
        return customers.list_shares(self.db, self.actor, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_contacts(self, customer_id, query=None):
        return customers.list_contacts(self.db, self.actor, customer_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_contact(self, customer_id, data):
        return customers.create_contact(self.db, self.actor, customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def open_ticket(self, customer_id, ticket):
        return customers.open_ticket(self.db, self.tickets, self.actor, customer_id, ticket)

    # -- activities and records ------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_activity_types(self, query=None):
        return related.list_activity_types(self.db, self.actor, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_activity_type(self, data):
        return related.create_activity_type(self.db, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_activity_type(self, type_id, data):
        return related.update_activity_type(self.db, self.actor, type_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_activities(self, customer_id, query=None):
        return related.list_activities(self.db, self.actor, customer_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_activity(self, customer_id, data):
        return related.create_activity(self.db, self.directory, self.actor, customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_activity(self, activity_id):
        return related.get_activity(self.db, self.actor, activity_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_activity(self, activity_id, data):
        return related.update_activity(self.db, self.directory, self.actor, activity_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_records(self, customer_id, query=None):
        return related.list_records(self.db, self.actor, customer_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_record(self, customer_id, data):
        return related.create_record(self.db, self.directory, self.actor, customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_record(self, record_id):
        return related.get_record(self.db, self.actor, record_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_record(self, record_id, data):
        return related.update_record(self.db, self.directory, self.actor, record_id, data)

    # -- groups, sharing, ownership (bulk) ------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_groups(self, query=None):
        return groups.list_groups(self.db, self.actor, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_group(self, data):
        return groups.create_group(self.db, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_group(self, group_id, data):
        return groups.update_group(self.db, self.actor, group_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def delete_group(self, group_id):
        return groups.delete_group(self.db, self.actor, group_id)

    @rpc(expected_exceptions=EXPECTED)
    def bulk_groups(self, data):
        return groups.bulk_groups(self.db, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def bulk_share(self, data):
        return sharing.bulk_share(self.db, self.directory, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def transfer_owner(self, data):
        return ownership.transfer_owner(self.db, self.directory, self.actor, data)

    @handles("directory", "user_department_changed")
    def follow_owner_department(self, event):
        """A user changed department: the managers who see their customers change too."""
        ownership.follow_owner_department(self.db, self.directory, event)

    @rpc(expected_exceptions=EXPECTED)
    def list_history(self, query=None):
        return history.list_history(self.db, self.actor, query)

    # -- potential rating ----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_potential_rating(self):
        return rating.get_settings(self.db, self.actor)

    @rpc(expected_exceptions=EXPECTED)
    def set_potential_rating(self, data):
        return rating.set_settings(self.db, self.actor, data)

    # -- bulk SMS and email (notifications) --------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def bulk_sms(self, data):
        return messaging.bulk_sms(self.db, self.notifications, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def bulk_email(self, data):
        return messaging.bulk_email(self.db, self.notifications, self.actor, data)
