from services.core.errors import EXPECTED
from services.core.events import handles
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc
from services.core.unit_of_work import UnitOfWorkProvider
from services.customers import counterparts, groups, history, messaging, ownership, profiles, rating, related, sharing
from services.customers.totals import ListTotals, data_changed


class CustomersService:
    """Customers, contacts, groups, activities, related records, sharing, ownership, rating, history."""

    name = "customers"

    # directory: the users and departments named in shares, transfers, owners; notifications:
    # bulk SMS and email
    uow = UnitOfWorkProvider("directory", "notifications", after_commit=data_changed)
    outbox = OutboxRelay()
    totals = ListTotals()

    @rpc
    def ping(self):
        return "pong"

    # -- customers ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_customers(self, query=None):
        return profiles.list_customers(self.uow, self.totals, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_customer(self, data):
        return profiles.create_customer(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_customer(self, customer_id):
        return profiles.get_customer(self.uow, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_customer(self, customer_id, data):
        return profiles.update_customer(self.uow, customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def delete_customer(self, customer_id):
        return profiles.delete_customer(self.uow, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def customer_snapshot(self, customer_id):
        """{"id","code","name","phone","email"} of a customer visible to the caller, else 404."""
        return profiles.snapshot(self.uow, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def counterpart(self, customer_id):
        """{"id","code","name"} of a customer a receipt or payment is with (treasury)."""
        return counterparts.counterpart(self.uow, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def visible_customer_ids(self, customer_ids):
        """Which of these customers the caller may see (tickets shows only those)."""
        return profiles.visible_ids(self.uow, customer_ids)

    @rpc(expected_exceptions=EXPECTED)
    def list_shares(self, customer_id):
        return profiles.list_shares(self.uow, customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_contacts(self, customer_id, query=None):
        return profiles.list_contacts(self.uow, customer_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_contact(self, customer_id, data):
        return profiles.create_contact(self.uow, customer_id, data)

    # -- activities and records ------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_activity_types(self, query=None):
        return related.list_activity_types(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_activity_type(self, data):
        return related.create_activity_type(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_activity_type(self, type_id, data):
        return related.update_activity_type(self.uow, type_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_activities(self, customer_id, query=None):
        return related.list_activities(self.uow, customer_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_activity(self, customer_id, data):
        return related.create_activity(self.uow, customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_activity(self, activity_id):
        return related.get_activity(self.uow, activity_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_activity(self, activity_id, data):
        return related.update_activity(self.uow, activity_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_records(self, customer_id, query=None):
        return related.list_records(self.uow, customer_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_record(self, customer_id, data):
        return related.create_record(self.uow, customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_record(self, record_id):
        return related.get_record(self.uow, record_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_record(self, record_id, data):
        return related.update_record(self.uow, record_id, data)

    # -- groups, sharing, ownership (bulk) ------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_groups(self, query=None):
        return groups.list_groups(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_group(self, data):
        return groups.create_group(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_group(self, group_id, data):
        return groups.update_group(self.uow, group_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def delete_group(self, group_id):
        return groups.delete_group(self.uow, group_id)

    @rpc(expected_exceptions=EXPECTED)
    def bulk_groups(self, data):
        return groups.bulk_groups(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def bulk_share(self, data):
        return sharing.bulk_share(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def transfer_owner(self, data):
        return ownership.transfer_owner(self.uow, data)

    @handles("directory", "user_department_changed")
    def follow_owner_department(self, event):
        """A user changed department: the managers who see their customers change too."""
        ownership.follow_owner_department(self.uow, event)

    @rpc(expected_exceptions=EXPECTED)
    def list_history(self, query=None):
        return history.list_history(self.uow, query)

    # -- potential rating ----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_potential_rating(self):
        return rating.get_settings(self.uow)

    @rpc(expected_exceptions=EXPECTED)
    def set_potential_rating(self, data):
        return rating.set_settings(self.uow, data)

    # -- bulk SMS and email (notifications) --------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def bulk_sms(self, data):
        return messaging.bulk_sms(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def bulk_email(self, data):
        return messaging.bulk_email(self.uow, data)
