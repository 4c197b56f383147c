"""The table of generated web secrets: the session signing key when AFTERACTION_SECRET_KEY is not set."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from afteraction.db import Base, UTCDateTime, utcnow


class WebSecret(Base):
    """A random secret generated once and shared by every server process through the database."""

    __tablename__ = "web_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
