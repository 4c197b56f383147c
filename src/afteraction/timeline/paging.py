"""Reading a timeline a page at a time: keyset pages in the timeline's order, filters, and opaque cursors.

The order is timeline.service's TIMELINE_ORDER: events without a time first (in document order), then by
(sort_at, position, id). A page is read with WHERE (sort_at, position, id) > the cursor's row, never an OFFSET, along
the index ix_timeline_events_incident_order, so a page deep in a million events costs what the first one does. The
events without a time are read by a query of their own (sort_at IS NULL) and the others by one with sort_at IS NOT
NULL, each in the index's own order on both databases (PostgreSQL's index keeps NULLs last; the order wants them
first).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_
from sqlalchemy.orm import Session

from afteraction.core.actor import Actor
from afteraction.core.cursors import LOWEST_INT, cursor_int, cursor_time, decode_cursor, encode_cursor, time_value
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.domain.incidents import TimelineEntry
from afteraction.incidents.service import load_incident
from afteraction.timeline.models import ImportRecord, TimelineEvent

MAX_PAGE = 500  # events per page at most (the API's ?limit=)
DEFAULT_PAGE = 100
MAX_FILTER = 200  # characters of a filter value
_LOWEST = LOWEST_INT  # below every position and id: a cursor at a time starts before the first event at that time
_MAX_SOURCES = 100  # distinct sources listed for a filter's choices


@dataclass(frozen=True)
class TimelineFilters:
    """Which events of a timeline to read: every given filter must hold (None: any).

    highlights: only highlights; source, kind: equal; actor: equal, ignoring case; text: contained in the event's
    text, ignoring case; since, until: the event's time (for an event without one, the time of the event before it)
    at or after `since`, at or before `until`; import_id: only the events that import added (page_import_events
    checks it is the incident's).
    """

    source: str | None = None
    kind: str | None = None
    actor: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    highlights: bool = False
    import_id: int | None = None

    def checked(self) -> TimelineFilters:
        """The filters with blank values as None, each refused in one line naming it when too long or zoneless."""
        values: dict[str, Any] = {}
        for name in ("source", "kind", "actor", "text"):
            value = (getattr(self, name) or "").strip()
            if len(value) > MAX_FILTER:
                raise InvalidInput(f"{name}: at most {MAX_FILTER} characters", field=name)
            values[name] = value or None
        for name in ("since", "until"):
            moment: datetime | None = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise InvalidInput(f"{name}: the time needs a zone (e.g. 2026-03-14T10:08:10Z)", field=name)
            values[name] = moment
        values["highlights"] = self.highlights
        values["import_id"] = self.import_id
        if values["since"] and values["until"] and values["until"] < values["since"]:
            raise InvalidInput("until: the end of the time range is before its start", field="until")
        return TimelineFilters(**values)

    def clauses(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of the filters."""
        found: list[ColumnElement[bool]] = []
        if self.highlights:
            # As the partial index ix_timeline_events_highlights says it.
            found.append(TimelineEvent.highlight.expression)
        if self.source:
            found.append(TimelineEvent.source == self.source)
        if self.kind:
            found.append(TimelineEvent.kind == self.kind)
        if self.actor:
            found.append(func.lower(TimelineEvent.actor) == self.actor.lower())
        if self.text:
            found.append(TimelineEvent.text.icontains(self.text, autoescape=True))
        if self.since:
            found.append(TimelineEvent.sort_at >= self.since)
        if self.until:
            found.append(TimelineEvent.sort_at <= self.until)
        if self.import_id is not None:
            found.append(TimelineEvent.import_id == self.import_id)
        return found

    @property
    def timed_only(self) -> bool:
        """Whether only events with a time can match (a time range leaves out those without one)."""
        return self.since is not None or self.until is not None


@dataclass(frozen=True)
class _Key:
    """A place in the timeline's order: (sort_at, position, id) of a row, or just before a time."""

    sort_at: datetime | None
    position: int
    id: int

    @classmethod
    def of(cls, row: TimelineEvent) -> _Key:
        return cls(row.sort_at, row.position, row.id)


@dataclass(frozen=True)
class _Cursor:
    """A page's start: the events after `key` (forward) or the page just before it (backward)."""

    key: _Key
    backward: bool = False


_WHAT = "this timeline"


def _encode(cursor: _Cursor) -> str:
    """The opaque form of a cursor (core.cursors): [direction, sort_at, position, id]."""
    key = cursor.key
    moment = time_value(key.sort_at) if key.sort_at else None
    return encode_cursor(["b" if cursor.backward else "a", moment, key.position, key.id])


def _decode(text: str) -> _Cursor:
    """A cursor from its opaque form; InvalidInput naming `cursor` for anything else."""
    direction, moment, position, row_id = decode_cursor(text, _WHAT, ("a", "b"), 4)
    key = _Key(cursor_time(moment, _WHAT), cursor_int(position, _WHAT), cursor_int(row_id, _WHAT))
    return _Cursor(key, backward=direction == "b")


def cursor_at(moment: datetime) -> str:
    """A cursor whose page starts at the first event at or after `moment` (a jump to a time)."""
    if moment.tzinfo is None:
        raise InvalidInput("at: the time needs a zone (e.g. 2026-03-14T10:08:10Z)", field="at")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("at: the time is out of range once converted to UTC", field="at") from None
    return _encode(_Cursor(_Key(utc, _LOWEST, _LOWEST)))


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: between 1 and {MAX_PAGE} events per page", field="limit")


_DATED = (TimelineEvent.sort_at, TimelineEvent.position, TimelineEvent.id)
_UNDATED = (TimelineEvent.position, TimelineEvent.id)


def _parts(base: Select[Any], key: _Key | None, backward: bool, timed_only: bool) -> list[Select[Any]]:
    """The queries that read on from `key` in one direction, in the order their rows come: the events without a
    time (sort_at IS NULL: first in the timeline) and those with one, each ordered along the index."""
    undated = base.where(TimelineEvent.sort_at.is_(None))
    dated = base.where(TimelineEvent.sort_at.is_not(None))
    parts: list[tuple[bool, Select[Any]]]  # (of the events without a time, query)
    if not backward:
        if key is None:
            parts = [(True, undated), (False, dated)]
        elif key.sort_at is None:
            parts = [(True, undated.where(tuple_(*_UNDATED) > (key.position, key.id))), (False, dated)]
        else:  # every event without a time comes before a dated key
            parts = [(False, dated.where(tuple_(*_DATED) > (key.sort_at, key.position, key.id)))]
    elif key is None:
        parts = [(False, dated), (True, undated)]
    elif key.sort_at is None:  # every dated event comes after an undated key
        parts = [(True, undated.where(tuple_(*_UNDATED) < (key.position, key.id)))]
    else:
        parts = [(False, dated.where(tuple_(*_DATED) < (key.sort_at, key.position, key.id))), (True, undated)]
    ordered = []
    for without_time, query in parts:
        if without_time and timed_only:  # a time range: no event without a time can match
            continue
        columns = _UNDATED if without_time else _DATED
        ordered.append(query.order_by(*(column.desc() if backward else column for column in columns)))
    return ordered


def _read(
    session: Session, incident_row_id: int, key: _Key | None, backward: bool, limit: int, filters: TimelineFilters
) -> list[TimelineEvent]:
    """Up to `limit` events after `key` (before it when `backward`) that pass the filters, in timeline order."""
    base = select(TimelineEvent).where(TimelineEvent.incident_id == incident_row_id, *filters.clauses())
    rows: list[TimelineEvent] = []
    for part in _parts(base, key, backward, filters.timed_only):
        if len(rows) >= limit:
            break
        rows.extend(session.scalars(part.limit(limit - len(rows))))
    return rows[::-1] if backward else rows


def _entry(row: TimelineEvent) -> TimelineEntry:
    return TimelineEntry.model_validate(row, from_attributes=True)


@dataclass
class TimelinePage:
    """A page of a timeline: its events in order, the cursor of the page after it and of the page before it (None:
    there is none)."""

    items: list[TimelineEntry]
    next_cursor: str | None
    previous_cursor: str | None = None


def _page(
    session: Session,
    incident_row_id: int,
    limit: int,
    start: _Cursor | None,
    filters: TimelineFilters,
    with_previous: bool,
) -> TimelinePage:
    """A page of `limit` events from `start` (None: the first page) and the cursors around it."""
    if start is not None and start.backward:
        rows = _read(session, incident_row_id, start.key, True, limit, filters)
        if len(rows) < limit:  # back at the beginning: the first page
            return _page(session, incident_row_id, limit, None, filters, with_previous)
        after = _Key.of(rows[-1])
        more = bool(_read(session, incident_row_id, after, False, 1, filters))
    else:
        rows = _read(session, incident_row_id, start.key if start else None, False, limit + 1, filters)
        more, rows = len(rows) > limit, rows[:limit]
    next_cursor = _encode(_Cursor(_Key.of(rows[-1]))) if more else None
    previous_cursor = None
    if with_previous:
        # Before the first event shown; or, past the end of the timeline, before where the page would start.
        first = _Key.of(rows[0]) if rows else start.key if start else None
        if first is not None and _read(session, incident_row_id, first, True, 1, filters):
            previous_cursor = _encode(_Cursor(first, backward=True))
    return TimelinePage([_entry(row) for row in rows], next_cursor, previous_cursor)


def page_events(
    db: Database,
    *,
    incident_id: str,
    actor: Actor,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
    filters: TimelineFilters | None = None,
) -> tuple[list[TimelineEntry], str | None]:
    """A page of an incident's timeline in time order: up to `limit` events (1 to MAX_PAGE) after `cursor` (None:
    from the start) that pass the filters, and the cursor of the next page (None on the last page)."""
    _check_limit(limit)
    start = _decode(cursor) if cursor is not None else None
    checked = (filters or TimelineFilters()).checked()
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        page = _page(session, incident.id, limit, start, checked, with_previous=False)
    return page.items, page.next_cursor


def page_import_events(
    db: Database,
    *,
    incident_id: str,
    import_id: int,
    actor: Actor,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
    filters: TimelineFilters | None = None,
) -> tuple[list[TimelineEntry], str | None]:
    """A page of the events one import added to an incident's timeline, in time order, as page_events reads them
    (the same cursors, limit and filters); an import of another incident (or none) is NotFound."""
    _check_limit(limit)
    start = _decode(cursor) if cursor is not None else None
    checked = replace((filters or TimelineFilters()).checked(), import_id=import_id)
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        record = session.get(ImportRecord, import_id)
        if record is None or record.incident_id != incident.id:
            raise NotFound(f"no import {import_id} of {incident.key}")
        page = _page(session, incident.id, limit, start, checked, with_previous=False)
    return page.items, page.next_cursor


def timeline_page(
    db: Database,
    *,
    incident_id: str,
    actor: Actor,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
    start_at: datetime | None = None,
    filters: TimelineFilters | None = None,
) -> TimelinePage:
    """A page of an incident's timeline as a page of the web shows it, with the cursors of the pages after and
    before it: from `cursor`, else from the first event at or after `start_at` (a jump to a time), else the first."""
    _check_limit(limit)
    if cursor is None and start_at is not None:
        cursor = cursor_at(start_at)
    start = _decode(cursor) if cursor is not None else None
    checked = (filters or TimelineFilters()).checked()
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        return _page(session, incident.id, limit, start, checked, with_previous=True)


def count_events(
    db: Database,
    *,
    incident_id: str,
    actor: Actor,
    cursor: str | None = None,
    filters: TimelineFilters | None = None,
) -> int:
    """How many events of an incident's timeline pass the filters, from `cursor` on (None: all of them)."""
    start = _decode(cursor) if cursor is not None else None
    checked = (filters or TimelineFilters()).checked()
    query = select(func.count()).select_from(TimelineEvent).where(*checked.clauses())
    if start is not None:
        # From the cursor on: after the event of a forward cursor; a backward cursor's own event (the first of the
        # page after the one it reads) included.
        key, compare = start.key, operator.ge if start.backward else operator.gt
        if key.sort_at is None:
            query = query.where(
                or_(TimelineEvent.sort_at.is_not(None), compare(tuple_(*_UNDATED), (key.position, key.id)))
            )
        else:
            query = query.where(compare(tuple_(*_DATED), (key.sort_at, key.position, key.id)))
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        return session.scalar(query.where(TimelineEvent.incident_id == incident.id)) or 0


def event_sources(db: Database, *, incident_id: str, actor: Actor) -> list[str]:
    """The sources of an incident's events, in order (for a filter's choices), read by one index seek per source."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        found: list[str] = []
        while len(found) < _MAX_SOURCES:
            query = select(TimelineEvent.source).where(TimelineEvent.incident_id == incident.id)
            if found:
                query = query.where(TimelineEvent.source > found[-1])
            source = session.scalar(query.order_by(TimelineEvent.source).limit(1))
            if source is None:
                break
            found.append(source)
        return found
