"""Highlights: the events of a timeline that tell the story (domain.highlights), stored per event.

Importers give each event its default (timeline.pipeline); here the defaults that depend on other events are kept
true after every bulk change (one alert's repeated firings count once; the events behind the key moments are
highlights), and people choose by hand, which the defaults never undo.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, String, func, select, type_coerce, update
from sqlalchemy.orm import Session

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.core.visibility import can_see
from afteraction.domain.highlights import ALERT_GROUPED_SOURCES, FIRING_KIND, RESOLVED_KIND, alert_identity
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident
from afteraction.timeline.models import TimelineEvent

MAX_CHOSEN = 1000  # events per `highlight` call


def refresh_alert_highlights(session: Session, incident_row_id: int) -> None:
    """Of each alert of ALERT_GROUPED_SOURCES, only the first firing and the last resolution are highlights (events
    chosen by hand stay as chosen): the incident's alert events are read (along the unique index on incident, source
    and source id), grouped per alert here, and only the few whose highlight changes are written; an import of alerts
    that each fire once writes nothing."""
    rows = session.execute(
        select(
            TimelineEvent.id,
            TimelineEvent.source,
            TimelineEvent.source_id,
            TimelineEvent.kind,
            # As the driver gives them, without converting each of a few hundred thousand rows: SQLite's time text
            # sorts as the times do, PostgreSQL gives datetimes; 0/1 or booleans.
            type_coerce(TimelineEvent.sort_at, String),
            type_coerce(TimelineEvent.highlight, Integer),
        ).where(
            TimelineEvent.incident_id == incident_row_id,
            TimelineEvent.source.in_(ALERT_GROUPED_SOURCES),
            TimelineEvent.kind.in_((FIRING_KIND, RESOLVED_KIND)),
            TimelineEvent.highlight_by_hand.is_(False),
        )
    )
    kept: dict[tuple[str, str, str], tuple[Any, int]] = {}  # (source, alert, kind) -> (sort key, id) of the one kept
    current: dict[int, bool] = {}
    for event_id, source, source_id, kind, sort_at, highlight in rows:
        current[event_id] = bool(highlight)
        key = (source, alert_identity(source_id), kind)
        order = (sort_at is None, sort_at or "", event_id)  # no time: last (never mixed with a time)
        best = kept.get(key)
        # The first firing (earliest) and the last resolution (latest) of each alert.
        if best is None or (order < best[0] if kind == FIRING_KIND else order > best[0]):
            kept[key] = (order, event_id)
    chosen = {event_id for _order, event_id in kept.values()}
    changes: dict[bool, list[int]] = {True: [], False: []}
    for event_id, highlight in current.items():
        if (event_id in chosen) != highlight:
            changes[event_id in chosen].append(event_id)
    for value, ids in changes.items():
        for start in range(0, len(ids), 10_000):
            session.execute(
                update(TimelineEvent).where(TimelineEvent.id.in_(ids[start : start + 10_000])).values(highlight=value),
                execution_options={"synchronize_session": False},
            )


def highlight_moment_events(session: Session, event_ids: Iterable[int | None]) -> None:
    """The events behind an incident's key moments are highlights (unless someone chose otherwise by hand)."""
    ids = [event_id for event_id in event_ids if event_id is not None]
    if ids:
        session.execute(
            update(TimelineEvent)
            .where(
                TimelineEvent.id.in_(ids),
                TimelineEvent.highlight.is_(False),
                TimelineEvent.highlight_by_hand.is_(False),
            )
            .values(highlight=True),
            execution_options={"synchronize_session": False},
        )


def set_highlights(
    db: Database, *, event_ids: list[int], on: bool = True, incident_id: str | None = None, actor: Actor
) -> int:
    """Make timeline events highlights (`on`) or not, by hand: the default rules never change them again. Every id
    must be an event the actor may see (of `incident_id` when given), else NotFound naming the first that is not;
    returns how many events became (or stopped being) highlights."""
    chosen = sorted(set(event_ids))
    if not chosen:
        raise InvalidInput("name at least one event", field="event_ids")
    if len(chosen) > MAX_CHOSEN:
        raise InvalidInput(f"at most {MAX_CHOSEN} events at a time", field="event_ids")
    with db.transaction() as session:
        query = select(TimelineEvent.id, TimelineEvent.incident_id).where(TimelineEvent.id.in_(chosen))
        if incident_id is not None:
            query = query.where(TimelineEvent.incident_id == load_incident(session, incident_id, actor).id)
        found = {event_id: row_incident for event_id, row_incident in session.execute(query)}
        visible = {
            row_id: can_see(session, actor, row_id, private)
            for row_id, private in session.execute(
                select(Incident.id, Incident.private).where(Incident.id.in_(set(found.values())))
            )
        }
        for event_id in chosen:
            if event_id not in found or not visible.get(found[event_id], False):
                raise NotFound(f"no timeline event {event_id}")
        changed = session.scalar(
            select(func.count()).where(TimelineEvent.id.in_(chosen), TimelineEvent.highlight.is_not(on))
        )
        session.execute(
            update(TimelineEvent).where(TimelineEvent.id.in_(chosen)).values(highlight=on, highlight_by_hand=True),
            execution_options={"synchronize_session": False},
        )
        return int(changed or 0)
