from services.core.actor import CurrentActor
from services.core.db import Database
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc


class TreasuryService:
    name = "treasury"

    db = Database()
    actor = CurrentActor()
    outbox = OutboxRelay()

    @rpc
    def ping(self):
        return "pong"
