from services.core.actor import CurrentActor
from services.core.db import Database
from services.core.errors import EXPECTED
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc
from services.directory import people


class DirectoryService:
    """Users, departments, roles and password checks."""

    name = "directory"

    db = Database()
    actor = CurrentActor()
    outbox = OutboxRelay()

    @rpc
    def ping(self):
        return "pong"

    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, username, password):
        return people.authenticate(self.db, username, password)

    @rpc(expected_exceptions=EXPECTED)
    def get_actor(self, user_id):
        return people.get_actor(self.db, user_id)

    @rpc(expected_exceptions=EXPECTED)
    def me(self):
        return people.me(self.db, self.actor)

    @rpc(expected_exceptions=EXPECTED)
    def list_users(self, query=None):
        return people.list_users(self.db, self.actor, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, user_id):
        return people.get_user(self.db, self.actor, user_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, data):
        return people.create_user(self.db, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_user(self, user_id, data):
        return people.update_user(self.db, self.actor, user_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_departments(self, query=None):
        return people.list_departments(self.db, self.actor, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_department(self, department_id):
        return people.get_department(self.db, self.actor, department_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_department(self, data):
        return people.create_department(self.db, self.actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_department(self, department_id, data):
        return people.update_department(self.db, self.actor, department_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def active_members(self, user_ids=(), department_ids=()):
        return people.active_members(self.db, user_ids, department_ids)

    @rpc(expected_exceptions=EXPECTED)
    def contact_of(self, user_id):
        return people.contact_of(self.db, user_id)
