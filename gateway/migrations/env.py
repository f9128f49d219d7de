from alembic import context

from gateway.models import Base
from services.core.migrations import run_env

run_env(context, Base.metadata, outbox=False)  # the gateway publishes no event
