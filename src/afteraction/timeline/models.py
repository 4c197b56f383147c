"""The timeline table: one row per event of an incident's timeline, from its source's own timestamp."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afteraction.core.db import Base, UTCDateTime
from afteraction.incidents.models import Incident


class TimelineEvent(Base):
    """One moment of an incident's timeline, from a source's own timestamp."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        UniqueConstraint("incident_id", "source", "source_id"),
        Index("ix_timeline_events_incident_sort", "incident_id", "sort_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_text: Mapped[str | None] = mapped_column(String(100))  # what the document said when no time was understood
    # The time to sort by: `at`, or for an event without one the time of the event before it in its document.
    sort_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    actor: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="note")
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2000))
    source_id: Mapped[str | None] = mapped_column(String(300))
    key_moment: Mapped[str | None] = mapped_column(String(20))
    evidence: Mapped[str | None] = mapped_column(String(2000))
    parent_source_id: Mapped[str | None] = mapped_column(String(300))  # a thread reply's parent message
    position: Mapped[int] = mapped_column(Integer, default=0)

    incident: Mapped[Incident] = relationship()
