"""Tables of the tickets service: ticket types, support groups and members, tickets, history."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.core.db import make_metadata

UNASSIGNED, ASSIGNED, IN_PROGRESS, ON_HOLD, DONE, CANCELLED = (
    "unassigned",
    "assigned",
    "in_progress",
    "on_hold",
    "done",
    "cancelled",
)
STATUSES = (UNASSIGNED, ASSIGNED, IN_PROGRESS, ON_HOLD, DONE, CANCELLED)
# what counts against a member's capacity (SPEC §3)
OPEN_STATUSES = (ASSIGNED, IN_PROGRESS)
# the assignee holds the ticket (and sees its customer, SPEC §1)
HELD_STATUSES = (ASSIGNED, IN_PROGRESS, ON_HOLD)
FINISHED_STATUSES = (DONE, CANCELLED)


class Base(DeclarativeBase):
    metadata = make_metadata()


class SupportGroup(Base):
    __tablename__ = "support_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    members: Mapped[list["GroupMember"]] = relationship(
        back_populates="group",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="(GroupMember.priority.desc(), GroupMember.user_id)",
    )
    ticket_types: Mapped[list["TicketType"]] = relationship(
        back_populates="group", lazy="selectin", order_by="TicketType.id"
    )

    @property
    def ticket_type_ids(self):
        return [ticket_type.id for ticket_type in self.ticket_types]


class TicketType(Base):
    __tablename__ = "ticket_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # the support group that owns this type (a type belongs to at most one group)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("support_groups.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    group: Mapped[SupportGroup | None] = relationship(back_populates="ticket_types")


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (CheckConstraint("capacity >= 1", name="capacity_positive"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("support_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    available: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # when the dispatcher (or an accept/transfer) last gave this member a ticket: "idle longest" tie-break
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    group: Mapped[SupportGroup] = relationship(back_populates="members")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(
            "status IN ('unassigned', 'assigned', 'in_progress', 'on_hold', 'done', 'cancelled')", name="status_known"
        ),
        # a waiting ticket has nobody; a held ticket has somebody (a cancelled one may have either)
        CheckConstraint(
            "(status = 'unassigned' AND assignee_id IS NULL) OR status = 'cancelled' "
            "OR (status IN ('assigned', 'in_progress', 'on_hold', 'done') AND assignee_id IS NOT NULL)",
            name="assignee_matches_status",
        ),
        Index("ix_tickets_group_id_status", "group_id", "status"),
        Index("ix_tickets_assignee_id_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text, default="")
    type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("support_groups.id"))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # a contact of that customer (its snapshot is the ``contact`` of ``customer``)
    contact_id: Mapped[int | None] = mapped_column(Integer)
    # snapshot of the customer (and of the contact) asked of the customers service when set
    customer: Mapped[dict | None] = mapped_column(JSONB)
    creator_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20), default=UNASSIGNED)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class TicketHistory(Base):
    """Every change of a ticket: who, when, status and assignee before and after."""

    __tablename__ = "ticket_history"
    __table_args__ = (Index("ix_ticket_history_to_assignee_id_at", "to_assignee_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(Integer)  # None: the dispatcher
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    from_assignee_id: Mapped[int | None] = mapped_column(Integer)
    to_assignee_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict | None] = mapped_column(JSONB)
