"""An incident's imports as people see them: listed, undone one at a time, and events deleted in bulk by filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, func, select

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import Conflict, InvalidInput, NotFound
from afteraction.incidents.service import load_incident
from afteraction.timeline.models import ImportRecord, TimelineEvent
from afteraction.timeline.refresh import after_bulk_change


@dataclass(frozen=True)
class ImportSummary:
    """One import of a source file into an incident's timeline, as listed."""

    id: int
    incident_id: str
    format: str
    file_name: str
    actor: str
    started_at: datetime
    finished_at: datetime | None
    state: str
    read: int
    added: int
    error: str | None
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True)
class UndoneImport:
    """What undoing an import did: the events it removed."""

    incident_id: str
    import_id: int
    removed: int


def list_imports(db: Database, *, incident_id: str, actor: Actor) -> list[ImportSummary]:
    """An incident's imports, newest first."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        records = session.scalars(
            select(ImportRecord).where(ImportRecord.incident_id == incident.id).order_by(ImportRecord.id.desc())
        )
        return [_summary(incident.key, record) for record in records]


def _summary(incident_key: str, record: ImportRecord) -> ImportSummary:
    """The listed view of an import record."""
    return ImportSummary(
        id=record.id, incident_id=incident_key, format=record.format, file_name=record.file_name,
        actor=record.actor, started_at=record.started_at, finished_at=record.finished_at, state=record.state,
        read=record.read, added=record.added, error=record.error, since=record.since, until=record.until,
    )  # fmt: skip


def undo_import(db: Database, *, incident_id: str, import_id: int, actor: Actor) -> UndoneImport:
    """Remove exactly the events one import added, refresh the incident's key moments and mark the import `undone`,
    all in one transaction. An import of another incident is NotFound; one undone (or failed, hence undone already)
    or still running is a Conflict."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor, for_update=True)
        record = session.get(ImportRecord, import_id, with_for_update=True)
        if record is None or record.incident_id != incident.id:
            raise NotFound(f"no import {import_id} of {incident.key}")
        if record.state == "undone":
            raise Conflict(f"import {import_id} of {incident.key} is already undone")
        if record.state == "failed":
            raise Conflict(f"import {import_id} of {incident.key} failed, and its events were removed then")
        if record.state == "running":
            raise Conflict(f"import {import_id} of {incident.key} is still running")
        result = session.execute(
            delete(TimelineEvent).where(TimelineEvent.import_id == import_id),
            execution_options={"synchronize_session": False},
        )
        removed = int(cast(CursorResult[Any], result).rowcount)
        after_bulk_change(session, incident.id)
        record.state = "undone"
        return UndoneImport(incident_id=incident.key, import_id=import_id, removed=removed)


@dataclass(frozen=True)
class EventFilter:
    """Which events of a timeline a bulk delete removes: every one matching all the criteria given."""

    source: str | None = None
    kind: str | None = None
    person: str | None = None  # the event's actor
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filter as SQL conditions; refused (InvalidInput) when it is empty or its times are wrong."""
        for name, value in (("since", self.since), ("until", self.until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{name}: the time needs a zone (e.g. 2026-03-14T10:08:10Z)", field=name)
        if self.since is not None and self.until is not None and self.until < self.since:
            raise InvalidInput("until must not be before since", field="until")
        found: list[ColumnElement[bool]] = []
        if self.source:
            found.append(TimelineEvent.source == self.source)
        if self.kind:
            found.append(TimelineEvent.kind == self.kind)
        if self.person:
            found.append(TimelineEvent.actor == self.person)
        if self.since is not None:
            found.append(TimelineEvent.at >= self.since)
        if self.until is not None:
            found.append(TimelineEvent.at <= self.until)
        if not found:
            raise InvalidInput(
                "give at least one filter (source, kind, actor, since or until): deleting every event is refused",
                field="filter",
            )
        return found


def delete_events(db: Database, *, incident_id: str, where: EventFilter, dry_run: bool = False, actor: Actor) -> int:
    """Delete the events of an incident's timeline that match a filter, refreshing its key moments in the same
    transaction; returns how many were deleted (with `dry_run`, how many would be, deleting nothing)."""
    conditions = where.conditions()
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor, for_update=not dry_run)
        matching = [TimelineEvent.incident_id == incident.id, *conditions]
        if dry_run:
            return int(session.scalar(select(func.count()).select_from(TimelineEvent).where(*matching)) or 0)
        result = session.execute(
            delete(TimelineEvent).where(*matching), execution_options={"synchronize_session": False}
        )
        deleted = int(cast(CursorResult[Any], result).rowcount)
        if deleted:
            after_bulk_change(session, incident.id)
        return deleted
