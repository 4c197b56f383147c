"""The record of webhook deliveries already applied, so a redelivery adds nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from afteraction.core.db import Base, UTCDateTime, utcnow


class WebhookDelivery(Base):
    """One applied delivery: the receiver, a digest of the raw body, the incident it went to."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("receiver", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receiver: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
