"""Tables of the post-mortem aggregate: the review, its people, cause tree, factors, lessons and other sections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afteraction.core.db import Base, UTCDateTime, utcnow
from afteraction.incidents.models import Incident
from afteraction.people.models import Person


class Postmortem(Base):
    """The review of one incident (or retrospective of one milestone)."""

    __tablename__ = "postmortems"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(Text, default="")
    detection: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    problem_statement: Mapped[str] = mapped_column(Text, default="")
    supporting_info: Mapped[str] = mapped_column(Text, default="")
    timeline_note: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_path: Mapped[str | None] = mapped_column(String(2000))
    # What the last import read and stored ({"document": ..., "stored": ...}), so that a re-import changes only what
    # the document changed and keeps what was edited in the tool since (usecases.documents).
    import_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Changed after it was published (edited or re-imported): when and by whom, shown as "amended after publication".
    amended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    amended_by: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    incident: Mapped[Incident] = relationship()

    __mapper_args__ = {"version_id_col": version}


class PostmortemPerson(Base):
    """An author or reviewer of a post-mortem."""

    __tablename__ = "postmortem_people"
    __table_args__ = (UniqueConstraint("postmortem_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(20))  # author, reviewer
    position: Mapped[int] = mapped_column(Integer, default=0)

    person: Mapped[Person] = relationship()


class WhyNode(Base):
    """One "why" in a cause tree: a parent, any depth, any number of branches; leaves may be root causes."""

    __tablename__ = "why_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("why_nodes.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    is_root_cause: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContributingFactor(Base):
    """A contributing factor with its category (from the factor taxonomy)."""

    __tablename__ = "contributing_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Lesson(Base):
    """What went well, what went wrong, or where we got lucky."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # went-well, went-wrong, lucky, learned
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ExtraSection(Base):
    """A section the format has no field for (Attendees, Stats, …), kept verbatim."""

    __tablename__ = "extra_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"), index=True)
    heading: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class SectionVersion(Base):
    """The version of one section of one post-mortem; a missing row means version 1."""

    __tablename__ = "postmortem_section_versions"

    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReviewEvent(Base):
    """One step of the review workflow: a request, approval, rejection, publication, closing or reopening."""

    __tablename__ = "review_events"
    __table_args__ = (Index("ix_review_events_postmortem_at", "postmortem_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))  # request, approve, reject, publish, close, reopen
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    """A comment on a part of a post-mortem (a section, a why, a factor, a lesson, an action item, or the whole),
    optionally quoting a passage; a reply has a parent. Resolved by its author or an author of the post-mortem."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_postmortem_created", "postmortem_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    target_kind: Mapped[str] = mapped_column(String(20))  # document, section, why, factor, lesson, action
    target_id: Mapped[int | None] = mapped_column(Integer)  # the row of a why, factor, lesson or action item
    target_label: Mapped[str] = mapped_column(String(300))  # as the reader names it: "Summary", "W1.2", "AI-7"
    quote: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[int]] = mapped_column(JSON, default=list)  # people's ids
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
