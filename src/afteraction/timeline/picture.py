"""What the picture of an incident's timeline shows (documents.picture draws it), read without loading its events.

The span is the incident's key moments with a margin (from its first moment to its resolution; an open incident's
last event ends it), else its first to last event, each read along the timeline's index. The events are counted per
lane (documents.picture.LANE_RULES, written as a CASE) and bucket (computed from sort_at in SQL) by one GROUP BY,
which also counts those before and after the span and those without a time; the highlights in the span are read
along the partial index ix_timeline_events_highlights, up to MAX_HIGHLIGHTS of them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, extract, func, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.documents.picture import (
    ALL_LANE,
    LANE_RULES,
    LANES,
    OTHER_LANE,
    TEXT_LIMIT,
    PictureEvent,
    PictureMoment,
    TimelinePicture,
    cut_text,
    lane_of,
)
from afteraction.domain.incidents import KEY_MOMENTS
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.moments import stored_moments

BUCKETS = 120  # columns of the histogram
MAX_HIGHLIGHTS = 500  # marks drawn at most
# Events of the span counted per lane on each view at most (one GROUP BY reads each row: ~100 ms for 50,000 on
# SQLite). A larger timeline's counts are stored on the incident by the read side's upkeep (refresh_stale_pictures,
# in the server's background) once an import, undo, bulk delete or edit marked them stale; until they are, the
# density of all lanes together is counted along the index without reading rows (~100 ms for 1,000,000).
EXACT_EVENTS = 50_000
OUTSIDE_CAP = 100_000  # events before or after the span, and without a time, counted up to this
MIN_MARGIN = timedelta(minutes=5)  # around the key moments, at least; else a tenth of their span
MIN_SPAN = timedelta(minutes=1)  # a span of one instant is widened to this, around it
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_JULIAN_EPOCH_SECONDS = 2440587.5 * 86400  # julianday('1970-01-01') in seconds


def lane_clause() -> ColumnElement[str]:
    """documents.picture.lane_of as SQL: the lane of an event from its source and kind."""
    whens: list[tuple[ColumnElement[bool], str]] = []
    for lane, sources, kinds in LANE_RULES:
        condition: ColumnElement[bool] = TimelineEvent.source.in_(sorted(sources))
        if kinds:
            condition = or_(TimelineEvent.kind.in_(sorted(kinds)), condition)
        whens.append((condition, lane))
    return case(*whens, else_=literal(OTHER_LANE))


def _seconds_from(dialect: str, start: datetime) -> ColumnElement[float]:
    """The seconds from `start` to an event's sort_at, in SQL."""
    since_epoch = (start - _EPOCH).total_seconds()
    if dialect == "postgresql":
        return cast(extract("epoch", TimelineEvent.sort_at), Float) - since_epoch
    return func.julianday(TimelineEvent.sort_at) * 86400.0 - (since_epoch + _JULIAN_EPOCH_SECONDS)


def _bucket_clause(dialect: str, start: datetime, end: datetime) -> ColumnElement[int]:
    """The histogram's bucket of an event of the span: 0 to BUCKETS (BUCKETS: at the span's very end)."""
    width = (end - start).total_seconds() / BUCKETS
    offset = _seconds_from(dialect, start) / width  # ≥ 0 in the span: a cast truncates as floor does
    return cast(func.floor(offset), Integer) if dialect == "postgresql" else cast(offset, Integer)


def _span(session: Session, incident: Incident, found: dict[str, datetime]) -> tuple[datetime, datetime] | None:
    """The span to draw: from the first key moment to the resolution (else the last event, else the last moment),
    with a margin; without key moments, from the first to the last event; None without either."""
    timed = (TimelineEvent.incident_id == incident.id, TimelineEvent.sort_at.is_not(None))
    first = session.scalar(select(func.min(TimelineEvent.sort_at)).where(*timed))
    last = session.scalar(select(func.max(TimelineEvent.sort_at)).where(*timed))
    if found:
        start = min(found.values())
        end = found.get("resolved") or max([*found.values(), *([last] if last else [])])
        margin = max((end - start) / 10, MIN_MARGIN)
        start, end = start - margin, end + margin
    elif first is not None and last is not None:
        start, end = first, last
    else:
        return None
    if end - start < MIN_SPAN:
        middle = start + (end - start) / 2
        start, end = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    return start, end


def _capped_count(session: Session, *where: ColumnElement[bool], cap: int) -> int:
    """How many events meet the conditions, counted along an index up to `cap` + 1 (more: `cap` + 1)."""
    found = select(literal(1)).select_from(TimelineEvent).where(*where).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(found)) or 0


def _lane_counts(session: Session, incident_row_id: int, start: datetime, end: datetime) -> dict[str, list[int]]:
    """The events of the span per lane and bucket, by one GROUP BY over the span's rows."""
    dialect = session.get_bind().dialect.name
    cells = (
        select(lane_clause().label("lane"), _bucket_clause(dialect, start, end).label("bucket"))
        .where(TimelineEvent.incident_id == incident_row_id, TimelineEvent.sort_at.between(start, end))
        .subquery()
    )
    rows = session.execute(
        select(cells.c.lane, cells.c.bucket, func.count()).group_by(cells.c.lane, cells.c.bucket)
    ).all()
    counts = {lane: [0] * BUCKETS for lane in LANES if lane != ALL_LANE}
    for lane, bucket, count in rows:
        counts[lane][min(max(int(bucket), 0), BUCKETS - 1)] += count
    return counts


def _bucket_totals(session: Session, incident_row_id: int, start: datetime, end: datetime) -> list[int]:
    """The events of the span per bucket, all lanes together: one statement of BUCKETS range counts, each along the
    timeline's index without reading a row."""
    width = (end - start) / BUCKETS
    edges = [start + width * index for index in range(BUCKETS)] + [end]
    columns = [
        select(func.count())
        .select_from(TimelineEvent)
        .where(
            TimelineEvent.incident_id == incident_row_id,
            TimelineEvent.sort_at >= low,
            TimelineEvent.sort_at <= high if index == BUCKETS - 1 else TimelineEvent.sort_at < high,
        )
        .scalar_subquery()
        for index, (low, high) in enumerate(pairwise(edges))
    ]
    return [int(value or 0) for value in session.execute(select(*columns)).one()]


def _highlights(
    session: Session, incident_row_id: int, start: datetime, end: datetime
) -> tuple[list[PictureEvent], int]:
    """The first MAX_HIGHLIGHTS highlights in the span in timeline order (read along the partial index of
    highlights) and how many more there are."""
    where = and_(
        TimelineEvent.incident_id == incident_row_id,
        TimelineEvent.highlight,  # as the partial index says it
        TimelineEvent.sort_at >= start,
        TimelineEvent.sort_at <= end,
    )
    rows = session.execute(
        select(
            TimelineEvent.id,
            TimelineEvent.at,
            TimelineEvent.sort_at,
            TimelineEvent.source,
            TimelineEvent.kind,
            func.substr(TimelineEvent.text, 1, 4 * TEXT_LIMIT),
        )
        .where(where)
        .order_by(TimelineEvent.sort_at, TimelineEvent.position, TimelineEvent.id)
        .limit(MAX_HIGHLIGHTS + 1)
    ).all()
    more = 0
    if len(rows) > MAX_HIGHLIGHTS:
        rows = rows[:MAX_HIGHLIGHTS]
        more = (session.scalar(select(func.count()).select_from(TimelineEvent).where(where)) or 0) - MAX_HIGHLIGHTS
    events = [
        PictureEvent(
            id=row_id, at=at or sort_at, source=source, kind=kind, text=cut_text(text or ""), lane=lane_of(source, kind)
        )
        for row_id, at, sort_at, source, kind, text in rows
    ]
    return events, more


def picture_data(db: Database, *, incident_id: str, actor: Actor) -> TimelinePicture:
    """What the picture of an incident's timeline shows: its span, events per lane and bucket (all lanes together
    when the span holds more than EXACT_EVENTS), its highlights (up to MAX_HIGHLIGHTS), its key moments and how many
    events lie outside the span (counted up to OUTSIDE_CAP); NotFound for an incident the actor may not see."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        stored = stored_moments(incident)
        moments = [
            PictureMoment(name=name, at=stored[name][0], origin=stored[name][1], event_id=stored[name][2])
            for name in KEY_MOMENTS
            if name in stored
        ]
        span = _span(session, incident, {moment.name: moment.at for moment in moments})
        mine = TimelineEvent.incident_id == incident.id
        untimed = _capped_count(session, mine, TimelineEvent.sort_at.is_(None), cap=OUTSIDE_CAP)
        if span is None:
            return TimelinePicture(start=None, end=None, moments=moments, untimed=untimed, count_cap=OUTSIDE_CAP)
        start, end = span
        counts = _stored_counts(incident, start, end)
        if counts is None:
            in_span = _capped_count(session, mine, TimelineEvent.sort_at.between(start, end), cap=EXACT_EVENTS)
            if in_span <= EXACT_EVENTS:
                counts = _lane_counts(session, incident.id, start, end)
            else:
                counts = {ALL_LANE: _bucket_totals(session, incident.id, start, end)}
        highlights, more = _highlights(session, incident.id, start, end)
        return TimelinePicture(
            start=start,
            end=end,
            counts=counts,
            highlights=highlights,
            more_highlights=more,
            moments=moments,
            before=_capped_count(session, mine, TimelineEvent.sort_at < start, cap=OUTSIDE_CAP),
            after=_capped_count(session, mine, TimelineEvent.sort_at > end, cap=OUTSIDE_CAP),
            untimed=untimed,
            count_cap=OUTSIDE_CAP,
        )


def _stored_counts(incident: Incident, start: datetime, end: datetime) -> dict[str, list[int]] | None:
    """The lane counts stored for this span (refresh_picture), or None when there are none or they are stale."""
    stored = incident.timeline_picture
    if not stored or stored.get("stale") or "counts" not in stored:
        return None
    if stored.get("start") != start.isoformat() or stored.get("end") != end.isoformat():
        return None
    return {str(lane): [int(n) for n in counts] for lane, counts in stored["counts"].items()}


def refresh_picture(session: Session, incident_row_id: int) -> None:
    """Count a large timeline's events per lane and bucket once and store them on the incident (one GROUP BY over
    the span: about a second for 1,000,000 events), so that each view of the page reads them instead; a timeline
    of EXACT_EVENTS or fewer in its span stores nothing (each view counts it)."""
    incident = session.get(Incident, incident_row_id)
    if incident is None:
        return
    session.flush()
    stored = stored_moments(incident)
    span = _span(session, incident, {moment: value[0] for moment, value in stored.items()})
    value: dict[str, Any] | None = None
    if span is not None:
        start, end = span
        mine = TimelineEvent.incident_id == incident.id
        if _capped_count(session, mine, TimelineEvent.sort_at.between(start, end), cap=EXACT_EVENTS) > EXACT_EVENTS:
            counts = _lane_counts(session, incident.id, start, end)
            value = {"start": start.isoformat(), "end": end.isoformat(), "counts": counts}
    _store(session, incident, value)


def picture_changed(session: Session, incident_row_id: int) -> None:
    """After a bulk change of a timeline (an import, an undo, a bulk delete): mark its stored picture stale when the
    timeline is large enough to store one (counted along the index up to EXACT_EVENTS + 1), for the upkeep to count
    again; drop it when the timeline is small. Costs milliseconds, not the second a count of a million events takes."""
    large = _capped_count(session, TimelineEvent.incident_id == incident_row_id, cap=EXACT_EVENTS) > EXACT_EVENTS
    value = {"stale": True} if large else None
    incident = session.get(Incident, incident_row_id)
    if incident is not None:
        _store(session, incident, value)


def _store(session: Session, incident: Incident, value: dict[str, Any] | None) -> None:
    """Write an incident's stored picture when it changes (its version and updated_at left alone: it follows from
    the timeline, as the key moments do)."""
    if incident.timeline_picture == value:
        return
    session.execute(
        update(Incident)
        .where(Incident.id == incident.id)
        .values(timeline_picture=value, updated_at=Incident.updated_at),
        execution_options={"synchronize_session": False},
    )
    set_committed_value(incident, "timeline_picture", value)


def refresh_stale_pictures(session: Session) -> int:
    """Count again the pictures an edit made stale (the read side's upkeep); returns how many."""
    stale = [
        row_id
        for row_id, stored in session.execute(
            select(Incident.id, Incident.timeline_picture).where(Incident.timeline_picture.is_not(None))
        )
        if stored and stored.get("stale")
    ]
    for row_id in stale:
        refresh_picture(session, row_id)
    return len(stale)
