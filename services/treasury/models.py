from sqlalchemy.orm import DeclarativeBase

from services.core.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()
