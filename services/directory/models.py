from datetime import datetime

from sqlalchemy import ARRAY, Boolean, Column, DateTime, ForeignKey, Integer, String, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.core.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


department_managers = Table(
    "department_managers",
    Base.metadata,
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    managers: Mapped[list["User"]] = relationship(secondary=department_managers, lazy="selectin", order_by="User.id")

    @property
    def manager_ids(self):
        return [user.id for user in self.managers]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=lambda: ["staff"])
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # in every access token; raised by a password change or a deactivation, which ends the tokens given before
    token_version: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    managed_departments: Mapped[list[Department]] = relationship(
        secondary=department_managers, lazy="selectin", viewonly=True
    )

    @property
    def managed_department_ids(self):
        return sorted(department.id for department in self.managed_departments)
