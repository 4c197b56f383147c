"""Use cases of the timeline: add events by hand, list them in order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from afteraction.db import Database
from afteraction.errors import InvalidInput
from afteraction.incidents.models import TimelineEvent
from afteraction.incidents.schemas import TimelineEntry
from afteraction.incidents.service import load_incident

EVENT_KINDS: tuple[str, ...] = (
    "alert", "page", "acknowledge", "message", "deploy", "rollback", "change", "decision",
    "status", "note", "resolve", "escalate", "assign", "notify", "recover", "mitigate",
)  # fmt: skip


def entry_of(event: TimelineEvent) -> TimelineEntry:
    """The domain view of a timeline row."""
    return TimelineEntry.model_validate(event, from_attributes=True)


def add_event(
    db: Database,
    *,
    incident_id: str,
    at: datetime,
    text: str,
    actor: str | None = None,
    kind: str = "note",
    source: str = "manual",
    link: str | None = None,
) -> TimelineEntry:
    """Add one event by hand to an incident's timeline."""
    if at.tzinfo is None:
        raise InvalidInput("the event time needs a zone (e.g. 2026-03-14T10:08:10Z)", field="at")
    if not text.strip():
        raise InvalidInput("the event text must not be empty", field="text")
    with db.transaction() as session:
        incident = load_incident(session, incident_id)
        position = session.scalar(
            select(func.coalesce(func.max(TimelineEvent.position), -1) + 1).where(
                TimelineEvent.incident_id == incident.id
            )
        )
        event = TimelineEvent(
            incident_id=incident.id,
            at=at,
            sort_at=at,
            text=text.strip(),
            actor=actor,
            kind=kind,
            source=source,
            link=link,
            position=position or 0,
        )
        session.add(event)
        session.flush()
        return entry_of(event)


def list_events(db: Database, *, incident_id: str) -> list[TimelineEntry]:
    """An incident's timeline in time order (events without a readable time stay where the document had them)."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id)
        rows = session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident.id)
            .order_by(TimelineEvent.sort_at.asc().nulls_first(), TimelineEvent.position, TimelineEvent.id)
        )
        return [entry_of(row) for row in rows]
