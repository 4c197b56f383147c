"""Tables of insights: the team's factor taxonomy, and the search documents that full-text search indexes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from afteraction.core.db import Base, UTCDateTime, utcnow
from afteraction.incidents.models import Incident


class FactorCategory(Base):
    """One category of the factor taxonomy, as the team edited it (empty table: the built-in taxonomy)."""

    __tablename__ = "factor_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class SearchDocument(Base):
    """The searchable text of one incident and its post-mortem, kept current by refresh_search_index().

    SQLite indexes it with an FTS5 table (search_fts) through triggers; PostgreSQL with a tsvector column `tsv`
    and a GIN index. Both are created by migration 0003_insights and are not in this metadata.
    """

    __tablename__ = "search_documents"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    factors: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InsightCategory(Base):
    """A category an incident carries (from its factors or its category labels), lower-cased as stored.

    Kept by refresh_search_index() beside the search document, so that counting categories across 100,000
    incidents reads one narrow table; the taxonomy maps these values to its slugs at query time.
    """

    __tablename__ = "insight_categories"
    __table_args__ = (Index("ix_insight_categories_value", "value", "incident_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)


# Insights reads the latest incidents (recurrences) and date ranges (--since/--until) by when they happened.
Index("ix_incidents_happened_at", Incident.happened_at)


class SearchTerm(Base):
    """How many search documents hold a term (PostgreSQL's document frequencies; SQLite reads FTS5's own)."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(Text, primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


# Full-text search objects that migration 0003_insights creates per database and that no model describes:
# SQLite's FTS5 table (with its shadow and vocabulary tables), PostgreSQL's tsvector column and its GIN index.
# And SQLite's expression indexes of the durations that insights ranks (prefix ix_insights_).
_FTS_TABLE_PREFIX = "search_fts"
_FTS_COLUMNS_AND_INDEXES = frozenset({"tsv", "ix_search_documents_tsv"})
_EXPRESSION_INDEX_PREFIX = "ix_insights_"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic hook: leave the database-specific full-text search objects out of schema comparisons."""
    if reflected and compare_to is None and name is not None:
        if type_ == "table" and name.startswith(_FTS_TABLE_PREFIX):
            return False
        if type_ in ("column", "index") and name in _FTS_COLUMNS_AND_INDEXES:
            return False
        if type_ == "index" and name.startswith(_EXPRESSION_INDEX_PREFIX):
            return False
    return True


class IncidentLink(Base):
    """Two incidents tied together: `duplicate` says `incident` is the same event as `other` (imported twice, or
    recorded by two teams): themes and figures show them as one, under `other`."""

    __tablename__ = "incident_links"
    __table_args__ = (
        UniqueConstraint("incident_id", "other_id", "kind", name="uq_incident_links"),
        Index("ix_incident_links_other", "other_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # duplicate
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategoryDecision(Base):
    """An author's answer to a category suggested for a contributing factor: accepted (the factor took it) or
    rejected. Kept by the factor's text (factor rows are written anew by each edit) and counted for docs/insights.md."""

    __tablename__ = "category_decisions"
    __table_args__ = (Index("ix_category_decisions_incident", "incident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    factor_text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(60))
    accepted: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
