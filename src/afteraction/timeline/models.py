"""The timeline tables: one row per event of an incident's timeline, from its source's own timestamp, and one per
import of a source file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afteraction.core.db import Base, UTCDateTime
from afteraction.incidents.models import Incident

IMPORT_STATES: tuple[str, ...] = ("running", "done", "failed", "undone")  # undone: its events removed by hand


class ImportRecord(Base):
    """One import of a source file into an incident's timeline: who ran it, when, how far it got and how it ended.

    The import commits its events in batches, each row carrying the record's id, so a failed import can be undone
    whole (its events deleted) while other writers only ever waited for one batch.
    """

    __tablename__ = "timeline_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(300))  # the base name only, never a path
    actor: Mapped[str] = mapped_column(String(200))  # the name of who ran it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="running")  # one of IMPORT_STATES
    read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))  # a failed import's one-line error
    # The window of time the import kept (issue #16); None: all of it.
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TimelineEvent(Base):
    """One moment of an incident's timeline, from a source's own timestamp."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        UniqueConstraint("incident_id", "source", "source_id"),
        # The timeline's order (timeline.service.TIMELINE_ORDER): pages are read from a cursor's row along it.
        Index("ix_timeline_events_incident_order", "incident_id", "sort_at", "position", "id"),
        # The highlights in the same order, for the post-mortem and the "highlights only" filter (issue #16).
        Index(
            "ix_timeline_events_highlights",
            "incident_id",
            "sort_at",
            "position",
            "id",
            sqlite_where=text("highlight = 1"),  # as SQLAlchemy writes the filter there
            postgresql_where=text("highlight"),
        ),
        # One import's events in the timeline's order (its page of events, its undo).
        Index("ix_timeline_events_import_order", "import_id", "sort_at", "position", "id"),
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
    # The import that inserted the row (None: added by hand, by a document or by a webhook delivery).
    # Where a chat message was said (a Slack channel's name); None for other sources.
    channel: Mapped[str | None] = mapped_column(String(200))
    # One of the events that tell the story (domain.highlights); `highlight_by_hand`: a person chose, which the
    # default rules never undo.
    highlight: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    highlight_by_hand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    import_id: Mapped[int | None] = mapped_column(ForeignKey("timeline_imports.id", ondelete="SET NULL"))

    incident: Mapped[Incident] = relationship()
