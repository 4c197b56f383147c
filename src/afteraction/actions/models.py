"""The action item table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afteraction.db import Base, UTCDateTime, utcnow
from afteraction.incidents.models import Incident, Person


class ActionItem(Base):
    """A specific, owned, dated piece of follow-up work, tracked until done."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_status_due", "status", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str | None] = mapped_column(String(4))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    status_reason: Mapped[str | None] = mapped_column(Text)
    factor_id: Mapped[int | None] = mapped_column(ForeignKey("contributing_factors.id", ondelete="SET NULL"))
    why_node_id: Mapped[int | None] = mapped_column(ForeignKey("why_nodes.id", ondelete="SET NULL"))
    tracker: Mapped[str | None] = mapped_column(String(20))
    tracker_key: Mapped[str | None] = mapped_column(String(200))
    tracker_url: Mapped[str | None] = mapped_column(String(2000))
    position: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    incident: Mapped[Incident] = relationship()
    owner: Mapped[Person | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
