"""The message log: every SMS and email this service queued (bulk batches and ticket notices),
with its status; ``GET /api/v1/messages``.  How statuses move after sending:
:mod:`services.notifications.delivery_reports`."""

from sqlalchemy import select

from services.core.actor import require_actor
from services.core.contracts.notifications import Message as MessageSchema
from services.core.contracts.notifications import MessageQuery
from services.core.schemas import load, paginate
from services.notifications.models import Message

message_schema = MessageSchema()


def list_messages(uow, query):
    """Admins see every message; others the messages of the batches they requested and the notices sent to them."""
    actor = require_actor(uow.actor)
    query = load(MessageQuery(), query)
    statement = select(Message).order_by(Message.id)
    if not actor.is_admin:
        statement = statement.where(Message.requested_by == actor.id)
    for key in ("batch_id", "status", "channel"):
        if key in query:
            statement = statement.where(getattr(Message, key) == query[key])
    with uow:
        return paginate(uow.session, statement, query["page"], query["page_size"], message_schema.dump)
