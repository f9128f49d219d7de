from alembic import context

from services.core.migrations import run_env
from gateway.models import Base

run_env(context, Base.metadata)
