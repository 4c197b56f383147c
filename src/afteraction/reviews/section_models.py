"""The version of each post-mortem section, so that concurrent edits of one section never overwrite each other."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from afteraction.db import Base


class SectionVersion(Base):
    """The version of one section of one post-mortem; a missing row means version 1."""

    __tablename__ = "postmortem_section_versions"

    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
