from services.core.errors import EXPECTED
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc
from services.core.unit_of_work import UnitOfWorkProvider
from services.directory import authentication, departments, users


class DirectoryService:
    """Users, departments, roles and password checks."""

    name = "directory"

    uow = UnitOfWorkProvider()  # the directory asks no other service
    outbox = OutboxRelay()

    @rpc
    def ping(self):
        return "pong"

    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, username, password):
        return authentication.authenticate(self.uow, username, password)

    @rpc(expected_exceptions=EXPECTED)
    def get_actor(self, user_id, profile=False):
        return authentication.get_actor(self.uow, user_id, profile)

    @rpc(expected_exceptions=EXPECTED)
    def me(self):
        return users.me(self.uow)

    @rpc(expected_exceptions=EXPECTED)
    def list_users(self, query=None):
        return users.list_users(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, user_id):
        return users.get_user(self.uow, user_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, data):
        return users.create_user(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_user(self, user_id, data):
        return users.update_user(self.uow, user_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_departments(self, query=None):
        return departments.list_departments(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_department(self, department_id):
        return departments.get_department(self.uow, department_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_department(self, data):
        return departments.create_department(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_department(self, department_id, data):
        return departments.update_department(self.uow, department_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def active_members(self, user_ids=(), department_ids=()):
        return users.active_members(self.uow, user_ids, department_ids)

    @rpc(expected_exceptions=EXPECTED)
    def contact_of(self, user_id):
        return users.contact_of(self.uow, user_id)
