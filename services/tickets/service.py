from nameko.rpc import rpc

from services.core.actor import CurrentActor
from services.core.db import Database
from services.core.outbox import OutboxRelay


class TicketsService:
    name = "tickets"

    db = Database()
    actor = CurrentActor()
    outbox = OutboxRelay()

    @rpc
    def ping(self):
        return "pong"
