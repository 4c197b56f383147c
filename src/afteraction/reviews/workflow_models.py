"""The review history table: every change of a post-mortem's review state, with who and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from afteraction.db import Base, UTCDateTime, utcnow


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
