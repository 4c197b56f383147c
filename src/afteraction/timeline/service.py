"""Use cases of the timeline: add events by hand, list them in order, import source files in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PureWindowsPath
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Select, delete, func, select, update
from sqlalchemy.orm import Session

from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.core.visibility import can_see
from afteraction.documents.markdown import safe_url
from afteraction.domain.highlights import default_highlight
from afteraction.domain.incidents import KEY_MOMENTS, TimelineEntry
from afteraction.domain.metrics import IncidentMetrics, compute_metrics
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import FORMATS, ImportOptions, detect_format
from afteraction.timeline.models import ImportRecord, TimelineEvent
from afteraction.timeline.moments import refresh_moments, refresh_moments_of, stored_moments
from afteraction.timeline.paging import page_events as page_events  # pages of the API and the CLI
from afteraction.timeline.pipeline import ROW_VALUES, import_batches, row_batches
from afteraction.timeline.refresh import after_bulk_change
from afteraction.timeline.window import WindowFilter, choose_window

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
    person: str | None = None,
    kind: str = "note",
    source: str = "manual",
    link: str | None = None,
    actor: Actor,
) -> TimelineEntry:
    """Add one event by hand to an incident's timeline."""
    if at.tzinfo is None:
        raise InvalidInput("the event time needs a zone (e.g. 2026-03-14T10:08:10Z)", field="at")
    if not text.strip():
        raise InvalidInput("the event text must not be empty", field="text")
    link = check_link(link)
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
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
            actor=person,
            kind=kind,
            source=source,
            link=link,
            position=position or 0,
            highlight=default_highlight(source, kind),
        )
        session.add(event)
        refresh_moments(session, incident)
        return entry_of(event)


def check_link(link: str | None) -> str | None:
    """An event's link as stored: None when blank; refused unless it is an http, https or mailto URL (the one URL
    rule of documents/markdown.py, so that no `javascript:` link is ever stored)."""
    if link is None or not link.strip():
        return None
    if not safe_url(link):
        raise InvalidInput("the link must be an http, https or mailto URL", field="link")
    return link.strip()


# Time order; an event without a readable time keeps its place after the event before it in its document.
TIMELINE_ORDER = (TimelineEvent.sort_at.asc().nulls_first(), TimelineEvent.position, TimelineEvent.id)


def list_events(db: Database, *, incident_id: str, actor: Actor) -> list[TimelineEntry]:
    """An incident's timeline in time order (events without a readable time stay where the document had them)."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        rows = session.scalars(
            select(TimelineEvent).where(TimelineEvent.incident_id == incident.id).order_by(*TIMELINE_ORDER)
        )
        return [entry_of(row) for row in rows]


# ---------------------------------------------------------------- importing


@dataclass
class TimelineImport:
    """What one `timeline import` did, and the id of its import record; `read` counts every event of the file,
    `skipped_outside` those outside the window kept (`since`..`until`; `default_window`: the incident's own)."""

    incident_id: str
    path: str
    format: str
    read: int
    added: int
    import_id: int
    skipped_outside: int = 0
    since: datetime | None = None
    until: datetime | None = None
    default_window: bool = False
    read_as_utc: int = 0  # csv/jsonl times written without a zone, read as UTC for want of a zone

    @property
    def duplicates(self) -> int:
        """Events already in the timeline (same source and source_id), skipped."""
        return self.read - self.skipped_outside - self.added

    def zone_note(self, how: str) -> str:
        """` 12 times had no time zone and were read as UTC (give their zone with --tz).`, or nothing; `how` names the
        face's way to give the zone."""
        if not self.read_as_utc:
            return ""
        one = self.read_as_utc == 1
        times = "1 time" if one else f"{self.read_as_utc:,} times"
        return f" {times} had no time zone and {'was' if one else 'were'} read as UTC (give their zone with {how})."


_IMPORT_COLUMNS = (
    "incident_id", "import_id", "at", "sort_at", "source", "actor", "kind", "text", "link", "source_id",
    "parent_source_id", "channel", "highlight", "position",
)  # fmt: skip


# Rows per SQLite INSERT statement: 900 values, under the oldest limit of 999 bound values per statement.
ROWS_PER_INSERT = 90
# Rows per transaction of an import (row batches of timeline.pipeline are grouped up to it): on SQLite another writer
# waits at most for this many rows (about a tenth of a second), and each commit costs next to nothing beside them.
COMMIT_ROWS = 20_000


@lru_cache(maxsize=16)
def _insert_sql(dialect: str, incident_row_id: int, import_id: int | None, rows: int = 1) -> str:
    """An insert of `rows` rows of timeline.pipeline (at, source, actor, kind, text, link, source_id, parent_source_id,
    channel, highlight),
    skipping events already present; the statement itself supplies the incident, the import (NULL: none), `sort_at`
    (= `at`) and position 0."""
    fixed = f"{incident_row_id}, {'NULL' if import_id is None else import_id}"
    if dialect == "sqlite":
        # Numbered marks, so that each row's `at` is bound once for two columns.
        values = ", ".join(
            f"({fixed}, ?{n + 1}, ?{n + 1}, {', '.join(f'?{n + column}' for column in range(2, ROW_VALUES + 1))}, 0)"
            for n in range(0, ROW_VALUES * rows, ROW_VALUES)
        )
    else:  # _insert_rows repeats `at` in each row
        values = ", ".join([f"({fixed}, {', '.join(['%s'] * (ROW_VALUES + 1))}, 0)"] * rows)
    return (
        f"INSERT INTO timeline_events ({', '.join(_IMPORT_COLUMNS)}) VALUES {values} "
        "ON CONFLICT (incident_id, source, source_id) DO NOTHING"
    )


def _insert_sqlite(connection: Connection, incident_row_id: int, import_id: int | None, batch: list[Any]) -> int:
    """Insert a batch ROWS_PER_INSERT rows per statement (a third less work per row than one row per statement);
    returns how many rows were added (sqlite3 sums each statement's inserted rows, skipped conflicts excluded)."""
    size = ROWS_PER_INSERT * ROW_VALUES
    whole = len(batch) - len(batch) % size
    added = 0
    if whole:
        sql = _insert_sql("sqlite", incident_row_id, import_id, ROWS_PER_INSERT)
        added += connection.exec_driver_sql(
            sql, [tuple(batch[at : at + size]) for at in range(0, whole, size)]
        ).rowcount
    if whole < len(batch):
        sql = _insert_sql("sqlite", incident_row_id, import_id, (len(batch) - whole) // ROW_VALUES)
        added += connection.exec_driver_sql(sql, tuple(batch[whole:])).rowcount
    return added


def _insert_rows(connection: Connection, incident_row_id: int, import_id: int | None, batch: list[Any]) -> int:
    """Insert a batch of row values (see timeline.pipeline), skipping events already present; returns how many were
    added on SQLite, 0 elsewhere (other drivers' rowcount for many statements is not the rows added: count them)."""
    if connection.dialect.name == "sqlite":
        return _insert_sqlite(connection, incident_row_id, import_id, batch)
    rows = [(batch[start], *batch[start : start + ROW_VALUES]) for start in range(0, len(batch), ROW_VALUES)]
    connection.exec_driver_sql(_insert_sql(connection.dialect.name, incident_row_id, import_id), rows)
    return 0


def insert_batches(
    session: Session, incident_row_id: int, batches: Iterable[list[Any]], progress: Callable[[int], None] | None
) -> tuple[int, int]:
    """Insert batches of row values (see timeline.pipeline) in the session's transaction, skipping events already
    present, with no import record; returns (read, added)."""
    connection = session.connection()
    incident_row_id = int(incident_row_id)  # written into the statement
    sqlite = connection.dialect.name == "sqlite"
    count = select(func.count()).select_from(TimelineEvent).where(TimelineEvent.incident_id == incident_row_id)
    before = 0 if sqlite else session.scalar(count) or 0
    read = added = 0
    for batch in batches:
        added += _insert_rows(connection, incident_row_id, None, batch)
        read += len(batch) // ROW_VALUES
        if progress:
            progress(read)
    if not sqlite:
        added = (session.scalar(count) or 0) - before
    if added:
        after_bulk_change(session, incident_row_id)
    return read, added


def insert_events(
    session: Session, incident_row_id: int, events: Iterable[ImportedEvent], progress: Callable[[int], None] | None
) -> tuple[int, int]:
    """Insert streamed events in batches in the session's transaction, skipping ones already present (a webhook
    delivery: small, and all or nothing); returns (read, added)."""
    sqlite = session.connection().dialect.name == "sqlite"
    return insert_batches(session, incident_row_id, row_batches(events, sqlite), progress)


def _commit_batches(
    db: Database, incident_row_id: int, import_id: int, batches: Iterator[list[Any]]
) -> Iterator[tuple[int, int]]:
    """Insert an import's row batches as they come, committing once a transaction holds COMMIT_ROWS rows; yields the
    events read and added so far after each commit, outside any transaction.

    A batch joins the open transaction as soon as the parser hands it over (a parsing worker keeps parsing meanwhile),
    so on SQLite the write lock is held for at most COMMIT_ROWS rows' parsing and inserting, never across commits.
    """
    read = added = 0
    batch = next(batches, None)
    while batch is not None:
        rows = 0
        with db.transaction() as session:
            connection = session.connection()
            while True:
                added += _insert_rows(connection, incident_row_id, import_id, batch)
                rows += len(batch) // ROW_VALUES
                if rows >= COMMIT_ROWS:
                    break  # `batch` is inserted: the next one is read after the commit
                batch = next(batches, None)
                if batch is None:
                    break
        read += rows
        yield read, added
        if batch is not None:
            batch = next(batches, None)


def import_timeline(
    db: Database,
    *,
    incident_id: str,
    path: Path,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    progress: Callable[[int], None] | None = None,
    file_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_time: bool = False,
    actor: Actor,
) -> TimelineImport:
    """Import a source file's events into an incident's timeline, recorded as one import; re-importing adds nothing.

    The events are committed in transactions of up to COMMIT_ROWS rows, so other writers wait at most one of them;
    on any failure the events this import added are deleted again, its record is marked failed and the error is
    raised unchanged. `file_name` is the name recorded (an upload's own name; default the path's); `progress` is
    called with the events read so far after each commit, outside any transaction. Only events within a window are
    kept (timeline.window.choose_window: `since`..`until`, everything with `all_time`, else by default the
    incident's own); the others are counted as skipped and the window is recorded.
    """
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    options = options or ImportOptions()
    if fmt == "auto":
        fmt = detect_format(path, options.limits)
    elif fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}: expected auto or one of {', '.join(FORMATS)}", field="format")
    name = PureWindowsPath(file_name or path.name).name[:300]  # a base name, whichever the separator
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        incident_key, incident_row_id = incident.key, int(incident.id)  # written into the insert statement
        window = choose_window(incident, since=since, until=until, all_time=all_time)
        sqlite = session.connection().dialect.name == "sqlite"
        record = ImportRecord(
            incident_id=incident_row_id,
            format=fmt,
            file_name=name,
            actor=actor.name[:200],
            started_at=utcnow(),
            state="running",
            read=0,
            added=0,
            since=window.since,
            until=window.until,
        )
        session.add(record)
        session.flush()
        import_id = record.id
    read = added = 0
    keep = WindowFilter(window, sqlite=sqlite)  # `read` counts the events kept, `keep.skipped` the others
    try:
        with closing(import_batches(path, fmt, options, sqlite=sqlite)) as batches:
            for counts in _commit_batches(db, incident_row_id, import_id, keep(batches)):
                read, added = counts  # so far: what the record says if a later batch fails
                if progress:
                    progress(read)
        with db.transaction() as session:
            if not sqlite:
                added = session.scalar(_events_of(import_id, func.count())) or 0
            if added:
                after_bulk_change(session, incident_row_id)
            _finish(session, import_id, "done", read + keep.skipped, added)
    except BaseException as error:  # an interrupted import is undone too
        # Recorded with the file's name, not its path (an upload's is a temporary file's).
        message = _first_line(error).replace(str(path), name)
        _undo_import(db, incident_row_id, import_id, read + keep.skipped, message, error)
        raise
    return TimelineImport(
        incident_id=incident_key,
        path=str(path),
        format=fmt,
        read=read + keep.skipped,
        added=added,
        import_id=import_id,
        skipped_outside=keep.skipped,
        since=window.since,
        until=window.until,
        default_window=window.default,
        read_as_utc=options.notes.read_as_utc,
    )


def _events_of(import_id: int, *columns: Any) -> Select[Any]:
    """A query of `columns` over the events an import inserted."""
    return select(*columns).select_from(TimelineEvent).where(TimelineEvent.import_id == import_id)


def _finish(session: Session, import_id: int, state: str, read: int, added: int, error: str | None = None) -> None:
    """Mark an import record done or failed (a record gone with its incident stays gone)."""
    record = session.get(ImportRecord, import_id)
    if record is not None:
        record.state, record.read, record.added, record.error = state, read, added, error
        record.finished_at = utcnow()


def _first_line(error: BaseException) -> str:
    """An error's first line, as a failed import records it."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else "interrupted" if isinstance(error, KeyboardInterrupt) else type(error).__name__


def _undo_import(
    db: Database, incident_row_id: int, import_id: int, read: int, message: str, error: BaseException
) -> None:
    """Delete the events a failed import added, COMMIT_ROWS per transaction, refresh the incident's key moments and
    mark the record failed with the error's one line. If that fails too, the record stays `running` (importing the
    file again is idempotent) and the original error, re-raised by the caller, carries a note saying so."""
    try:
        deleted = 0
        while True:
            with db.transaction() as session:
                chunk = _events_of(import_id, TimelineEvent.id).limit(COMMIT_ROWS)
                statement = delete(TimelineEvent).where(TimelineEvent.id.in_(chunk))
                result = session.execute(statement, execution_options={"synchronize_session": False})
                rows = cast(CursorResult[Any], result).rowcount
            deleted += rows
            if rows < COMMIT_ROWS:
                break
        with db.transaction() as session:
            if deleted:
                after_bulk_change(session, incident_row_id)
            _finish(session, import_id, "failed", read, 0, message[:500])
    except Exception as cleanup:  # the original error is what the user must see
        error.add_note(f"the failed import {import_id} could not be undone: {cleanup}")


def replace_timeline(session: Session, incident_id: int, entries: Sequence[TimelineEntry]) -> None:
    """Make a document's timeline the incident's highlights, keeping its order: the highlights are replaced, the
    rest of the evidence (events that are not highlights, e.g. the chat of an import) stays; an entry that is such
    an event (same source and source id) makes it a highlight again instead of adding it twice."""
    session.execute(
        delete(TimelineEvent).where(TimelineEvent.incident_id == incident_id, TimelineEvent.highlight),
        execution_options={"synchronize_session": False},
    )
    wanted = {(entry.source, entry.source_id) for entry in entries if entry.source_id}
    kept: dict[tuple[str, str | None], int] = {}
    if wanted:
        source_ids = sorted({source_id for _source, source_id in wanted})
        for start in range(0, len(source_ids), 500):
            for row_id, source, source_id in session.execute(
                select(TimelineEvent.id, TimelineEvent.source, TimelineEvent.source_id).where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.source_id.in_(source_ids[start : start + 500]),
                )
            ):
                if (source, source_id) in wanted:
                    kept[(source, source_id)] = row_id
    if kept:
        session.execute(
            update(TimelineEvent)
            .where(TimelineEvent.id.in_(list(kept.values())))
            .values(highlight=True, highlight_by_hand=True),
            execution_options={"synchronize_session": False},
        )
    previous: datetime | None = None
    rows = []
    for position, entry in enumerate(entries):
        previous = entry.at or previous
        if entry.source_id and (entry.source, entry.source_id) in kept:
            continue
        rows.append(
            TimelineEvent(
                incident_id=incident_id,
                at=entry.at,
                sort_at=previous,
                time_text=entry.time_text,
                source=entry.source,
                actor=entry.actor,
                kind=entry.kind,
                text=entry.text,
                link=entry.link,
                source_id=entry.source_id,
                key_moment=entry.key_moment,
                evidence=entry.evidence,
                channel=entry.channel,
                position=position,
                highlight=True,  # a document's timeline is the story it tells
            )
        )
    session.add_all(rows)
    refresh_moments_of(session, incident_id)


# ---------------------------------------------------------------- key moments and metrics


def mark_event(
    db: Database,
    *,
    event_id: int,
    moment: str | None,
    incident_id: str | None = None,
    actor: Actor,
) -> TimelineEntry:
    """Mark an event as a key moment (started, detected, acknowledged, mitigated, resolved), or clear the mark."""
    if moment is not None and moment not in KEY_MOMENTS:
        raise InvalidInput(f"invalid key moment {moment!r}: expected one of {', '.join(KEY_MOMENTS)}", field="as")
    with db.transaction() as session:
        event = _load_event(session, event_id, incident_id, actor)
        if moment is not None:
            if event.at is None:
                raise InvalidInput(f"event {event_id} has no readable time, so it cannot mark a key moment")
            # One event per moment: the new mark replaces an older one.
            for other in session.scalars(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == event.incident_id, TimelineEvent.key_moment == moment
                )
            ):
                other.key_moment = None
        event.key_moment = moment
        refresh_moments_of(session, event.incident_id)
        return entry_of(event)


def derive_moments(session: Session, incident: Incident) -> dict[str, tuple[datetime, str, int | None]]:
    """Each key moment with where it came from (manual, marked, derived) and the event behind it, as stored on the
    incident by timeline.moments.refresh_moments."""
    return stored_moments(incident)


def incident_metrics(db: Database, *, incident_id: str, actor: Actor) -> IncidentMetrics:
    """Key moments (hand-set, marked or derived from the timeline) and the times to detect, acknowledge, mitigate and
    resolve, as stored on the incident."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        found = stored_moments(incident)
        return compute_metrics(
            incident.key,
            {moment: value[0] for moment, value in found.items()},
            {moment: value[1] for moment, value in found.items()},
        )


# ---------------------------------------------------------------- editing single events


def _load_event(session: Session, event_id: int, incident_id: str | None, actor: Actor) -> TimelineEvent:
    """A timeline row by id, of the given incident when one is named, visible to the actor; else NotFound."""
    event = session.get(TimelineEvent, event_id)
    if event is None:
        raise NotFound(f"no timeline event {event_id}")
    incident = load_incident(session, incident_id, actor) if incident_id else session.get(Incident, event.incident_id)
    if (
        incident is None
        or event.incident_id != incident.id
        or not can_see(session, actor, incident.id, incident.private)
    ):
        raise NotFound(f"no timeline event {event_id}")
    return event


def get_event(db: Database, *, incident_id: str, event_id: int, actor: Actor) -> TimelineEntry:
    """One event of an incident's timeline (NotFound for an event of another incident or one the actor may not see)."""
    with db.transaction() as session:
        return entry_of(_load_event(session, event_id, incident_id, actor))


UNCHANGED: Any = object()  # for update_event: a field left as it is (None clears it)


def update_event(
    db: Database,
    *,
    incident_id: str,
    event_id: int,
    at: datetime | None = None,
    text: str | None = None,
    person: str | None = UNCHANGED,
    kind: str | None = None,
    link: str | None = UNCHANGED,
    actor: Actor,
) -> TimelineEntry:
    """Correct one event: its time, text, person, kind or link (person and link may be cleared with None)."""
    if at is not None and at.tzinfo is None:
        raise InvalidInput("the event time needs a zone (e.g. 2026-03-14T10:08:10Z)", field="at")
    if text is not None and not text.strip():
        raise InvalidInput("the event text must not be empty", field="text")
    with db.transaction() as session:
        event = _load_event(session, event_id, incident_id, actor)
        if at is not None:
            event.at = at
            event.sort_at = at
            event.time_text = None
        if text is not None:
            event.text = text.strip()
        if person is not UNCHANGED:
            event.actor = person
        if kind is not None:
            event.kind = kind
        if link is not UNCHANGED:
            event.link = check_link(link)
        refresh_moments_of(session, event.incident_id)
        return entry_of(event)


def delete_event(db: Database, *, incident_id: str, event_id: int, actor: Actor) -> None:
    """Remove one event from an incident's timeline."""
    with db.transaction() as session:
        event = _load_event(session, event_id, incident_id, actor)
        incident_row_id = event.incident_id
        session.delete(event)
        refresh_moments_of(session, incident_row_id)
