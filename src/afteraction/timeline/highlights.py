"""Highlights: the events of a timeline that tell the story (domain.highlights), stored per event.

Importers give each event its default (timeline.pipeline); here the defaults that depend on other events are kept
true after every bulk change (one alert's repeated firings count once; the events behind the key moments are
highlights), and people choose by hand, which the defaults never undo.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.domain.highlights import ALERT_GROUPED_SOURCES, FIRING_KIND, RESOLVED_KIND
from afteraction.incidents.service import load_incident
from afteraction.timeline.models import TimelineEvent

MAX_CHOSEN = 1000  # events per `highlight` call


def _alert_identity(dialect: str) -> ColumnElement[Any]:
    """domain.highlights.alert_identity in SQL: the source id up to its first colon."""
    source_id = TimelineEvent.source_id
    if dialect == "postgresql":
        return func.split_part(source_id, ":", 1)
    return func.substr(source_id, 1, func.instr(source_id + ":", ":") - 1)


def refresh_alert_highlights(session: Session, incident_row_id: int) -> None:
    """Of each alert of ALERT_GROUPED_SOURCES, only the first firing and the last resolution are highlights (events
    chosen by hand stay as chosen): one statement over the incident's alert events, ranked per alert."""
    dialect = session.get_bind().dialect.name
    identity = _alert_identity(dialect)
    group = (TimelineEvent.source, identity, TimelineEvent.kind)
    ranked = (
        select(
            TimelineEvent.id.label("id"),
            TimelineEvent.kind.label("kind"),
            func.row_number()
            .over(partition_by=group, order_by=(TimelineEvent.sort_at, TimelineEvent.id))
            .label("from_first"),
            func.row_number()
            .over(partition_by=group, order_by=(TimelineEvent.sort_at.desc(), TimelineEvent.id.desc()))
            .label("from_last"),
        )
        .where(
            TimelineEvent.incident_id == incident_row_id,
            TimelineEvent.source.in_(ALERT_GROUPED_SOURCES),
            TimelineEvent.kind.in_((FIRING_KIND, RESOLVED_KIND)),
            TimelineEvent.highlight_by_hand.is_(False),
        )
        .subquery()
    )
    kept = or_(
        and_(ranked.c.kind == FIRING_KIND, ranked.c.from_first == 1),
        and_(ranked.c.kind == RESOLVED_KIND, ranked.c.from_last == 1),
    )
    for value, condition in ((False, ~kept), (True, kept)):
        session.execute(
            update(TimelineEvent)
            .where(
                TimelineEvent.id.in_(select(ranked.c.id).where(condition)),
                TimelineEvent.highlight.is_not(value),
            )
            .values(highlight=value),
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
    db: Database, *, incident_id: str, event_ids: list[int], on: bool = True, actor: Actor
) -> int:
    """Make events of an incident's timeline highlights (`on`) or not, by hand: the default rules never change them
    again. Every id must be an event of that incident (else NotFound naming the first that is not); returns how many
    events changed."""
    chosen = sorted(set(event_ids))
    if not chosen:
        raise InvalidInput("name at least one event", field="event_ids")
    if len(chosen) > MAX_CHOSEN:
        raise InvalidInput(f"at most {MAX_CHOSEN} events at a time", field="event_ids")
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        found = set(
            session.scalars(
                select(TimelineEvent.id).where(TimelineEvent.incident_id == incident.id, TimelineEvent.id.in_(chosen))
            )
        )
        missing = [event_id for event_id in chosen if event_id not in found]
        if missing:
            raise NotFound(f"no timeline event {missing[0]} in {incident.key}")
        result = session.execute(
            update(TimelineEvent)
            .where(
                TimelineEvent.id.in_(chosen),
                or_(TimelineEvent.highlight.is_not(on), TimelineEvent.highlight_by_hand.is_(False)),
            )
            .values(highlight=on, highlight_by_hand=True),
            execution_options={"synchronize_session": False},
        )
        return int(cast(CursorResult[Any], result).rowcount)
