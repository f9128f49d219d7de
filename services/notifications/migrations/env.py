from alembic import context

from services.core.migrations import run_env
from services.notifications.models import Base

run_env(context, Base.metadata)
