"""Tables of the incidents area: incidents, their labels (services, teams, tags, categories), members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afteraction.core.db import Base, UTCDateTime, utcnow


class Incident(Base):
    """An incident, near-miss, failed deploy or project milestone, with its key moments."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    external_ref: Mapped[str | None] = mapped_column(String(300), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="incident")
    severity: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The effective key moments (hand-set, else marked, else derived), where each came from ({moment: {origin,
    # event_id}}) and the four durations in seconds: kept by timeline.moments.refresh_moments, read by every face.
    effective_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moment_origins: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    ttd_seconds: Mapped[float | None] = mapped_column(Float)
    tta_seconds: Mapped[float | None] = mapped_column(Float)
    ttm_seconds: Mapped[float | None] = mapped_column(Float)
    ttr_seconds: Mapped[float | None] = mapped_column(Float)
    # When the incident happened, to count it by month: its effective start, else its earliest moment or timed
    # event, else when it was recorded in the tool; NULL ("date unknown") for an imported document that gives no date.
    happened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recorded from an imported document: the row's creation says nothing of when the incident happened.
    # The picture of a large timeline's events per lane and bucket, counted once (timeline.picture): {"start", "end",
    # "counts": {lane: [...]}}, or {"stale": true} once its timeline changed; None for a timeline small enough to count
    # on every view.
    timeline_picture: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    # A status set by hand (API, CLI, page, document) stays; otherwise the status follows the moments.
    status_set_by_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    labels: Mapped[list[IncidentLabel]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentLabel.position"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def key(self) -> str:
        """The id users see: INC-<number>."""
        return f"INC-{self.number}"


class IncidentLabel(Base):
    """A service, team, tag or category attached to an incident."""

    __tablename__ = "incident_labels"
    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "value"),
        Index("ix_incident_labels_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # service, team, tag, category
    value: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    incident: Mapped[Incident] = relationship(back_populates="labels")


class IncidentMember(Base):
    """A user who may see a private incident (admins see every incident anyway)."""

    __tablename__ = "incident_members"
    __table_args__ = (
        UniqueConstraint("incident_id", "user_id"),
        Index("ix_incident_members_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
