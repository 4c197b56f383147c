"""The directory of people: everyone who authors, reviews, owns an action item, comments or acts in a timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from afteraction.core.db import Base, UTCDateTime, utcnow


class Person(Base):
    """A person: a display name, how to reach them (e-mail, Slack), their ids in trackers, a team, and optionally the
    account they sign in with. Names are unique without regard to case."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    slack_id: Mapped[str | None] = mapped_column(String(40))
    github_login: Mapped[str | None] = mapped_column(String(100))
    jira_account_id: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # which channels the person wants notifications on
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    notify_slack: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)


Index("uq_people_name_lower", func.lower(Person.name), unique=True)
Index("uq_people_user_id", Person.user_id, unique=True)
