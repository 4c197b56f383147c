"""The action item table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afteraction.core.db import Base, UTCDateTime, utcnow
from afteraction.incidents.models import Incident
from afteraction.people.models import Person


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
    # What an imported document said of the item beyond our fields: its table's other columns, a value kept as
    # written ({"Bug #": "1234", "Group": "Process improvements"}); exported back as written.
    details: Mapped[dict[str, str] | None] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    incident: Mapped[Incident] = relationship()
    owner: Mapped[Person | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class TrackerLink(Base):
    """An action item's issue in a tracker, what was last pushed to it, and the claim of a sync run on it."""

    __tablename__ = "tracker_links"
    __table_args__ = (UniqueConstraint("action_item_id", "tracker"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"))
    tracker: Mapped[str] = mapped_column(String(20))
    # A stable marker sent with the create, so a run that lost the answer finds the issue instead of making another.
    marker: Mapped[str] = mapped_column(String(64), unique=True)
    key: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_title: Mapped[str | None] = mapped_column(Text)
    pushed_due: Mapped[date | None] = mapped_column(Date)
    remote_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SentDigest(Base):
    """A reminder digest sent to one owner for one period on one channel: the record that stops a second send."""

    __tablename__ = "sent_digests"
    __table_args__ = (UniqueConstraint("owner", "period", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))  # email, slack
    address: Mapped[str | None] = mapped_column(String(320))
    items: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
