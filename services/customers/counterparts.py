"""The counterpart question of the treasury: which customer a receipt or a payment is with.

An accountant records money from any customer, so admins and accountants get the code and
name of every customer (only those: never the record, whose visibility stays as SPEC §1
says).  Anyone else gets them only for a customer they may see; otherwise, as for every
customer outside one's visibility, 404 ``CUSTOMER_NOT_FOUND``.
"""

from sqlalchemy import select

from services.core.actor import ACCOUNTANT, ADMIN, require_actor
from services.customers.exceptions import CustomerNotFound
from services.customers.models import Customer
from services.customers.visibility import visible


def counterpart(uow, customer_id):
    """``{"id", "code", "name"}`` of the customer, or CUSTOMER_NOT_FOUND."""
    actor = require_actor(uow.actor)
    statement = select(Customer.id, Customer.code, Customer.name).where(Customer.id == customer_id)
    if not actor.has_role(ADMIN, ACCOUNTANT):
        statement = statement.where(visible(actor))
    with uow:
        row = uow.session.execute(statement).first()
    if row is None:
        raise CustomerNotFound()
    return {"id": row.id, "code": row.code, "name": row.name}
