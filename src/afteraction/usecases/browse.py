"""Use cases of browsing incidents in the web app: the list with every filter and a search, and the filter choices."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import InvalidInput
from afteraction.core.validation import check_choice
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import OPEN_ACTION_STATUSES
from afteraction.domain.incidents import IncidentSummary, TimelineEntry
from afteraction.domain.metrics import IncidentMetrics
from afteraction.domain.reviews import POSTMORTEM_STATUSES
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.incidents.service import incidents_query, parse_incident_id
from afteraction.insights.filters import check_filter, filter_conditions
from afteraction.insights.schemas import InsightsFilter
from afteraction.insights.sql import hidden_incidents
from afteraction.insights.taxonomy import load_taxonomy
from afteraction.reviews.models import Postmortem
from afteraction.timeline.window import ImportWindow, moments_window
from afteraction.usecases.incidents import get_incident, summaries

if TYPE_CHECKING:
    from afteraction.timeline.paging import TimelineFilters


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, with the pattern characters in it taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def browse_incidents(
    db: Database,
    *,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    service: str | None = None,
    postmortem_status: str | None = None,
    overdue: bool = False,
    text: str | None = None,
    within: InsightsFilter | None = None,
    severities: Sequence[str] = (),
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
    actor: Actor,
) -> list[IncidentSummary]:
    """Incidents newest first by kind, severity, status, service, post-mortem state, overdue items and a search of
    the id, title and summary; private ones only for their members. `within` narrows them as insights do (a range or
    quarter, a team, a category …: the incidents behind a number of the Insights page)."""
    today = today or utcnow().date()
    query = incidents_query(kind=kind, severity=severity, status=status, service=service, actor=actor)
    if within is not None and within.active:
        with db.transaction() as session:
            taxonomy = load_taxonomy(session)
            checked = check_filter(within, severities=severities, taxonomy=taxonomy)
            query = query.where(*filter_conditions(session, checked, actor=actor, taxonomy=taxonomy))
    if postmortem_status:
        wanted = check_choice(postmortem_status, POSTMORTEM_STATUSES, "post-mortem status")
        query = query.where(
            Incident.id.in_(select(Postmortem.incident_id).where(Postmortem.status == wanted))
            if wanted != "draft"
            # An incident written by hand may lack its post-mortem row: it is a draft all the same.
            else ~Incident.id.in_(select(Postmortem.incident_id).where(Postmortem.status != "draft"))
        )
    if overdue:
        query = query.where(
            exists().where(
                ActionItem.incident_id == Incident.id,
                ActionItem.status.in_(OPEN_ACTION_STATUSES),
                ActionItem.due_date < today,
            )
        )
    if text and text.strip():
        needle = text.strip()
        pattern = _like(needle)
        matches: list[ColumnElement[bool]] = [
            func.lower(Incident.title).like(pattern, escape="\\"),
            Incident.id.in_(
                select(Postmortem.incident_id).where(func.lower(Postmortem.summary).like(pattern, escape="\\"))
            ),
        ]
        with contextlib.suppress(InvalidInput):  # a search for `INC-12` (or `12`) finds that incident too
            matches.append(Incident.number == parse_incident_id(needle))
        query = query.where(or_(*matches))
    query = query.order_by(Incident.number.desc()).offset(offset).limit(limit)
    with db.transaction() as session:
        return summaries(session, list(session.scalars(query)))


def known_labels(db: Database, *, kind: str = "service", actor: Actor) -> list[str]:
    """The labels of a kind (service, team) of the incidents the actor may see, for a filter's choices."""
    with db.transaction() as session:
        hidden = hidden_incidents(session, actor)
        query = select(IncidentLabel.value).where(IncidentLabel.kind == kind).distinct()
        if hidden is None:  # many hidden incidents: the visibility rule itself
            query = query.join(Incident, IncidentLabel.incident_id == Incident.id).where(
                visible_clause(actor, Incident.id, Incident.private)
            )
        elif hidden:
            query = query.where(IncidentLabel.incident_id.not_in(hidden))
        return sorted(session.scalars(query), key=str.lower)


@dataclass
class IncidentOverview:
    """What the incident page shows: the incident, its key moments and metrics, a page of its timeline with event ids
    and the cursors of the pages after and before it, and the sources of its whole timeline."""

    incident: IncidentSummary
    metrics: IncidentMetrics
    timeline: list[TimelineEntry]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    sources: list[str] = field(default_factory=list)
    window: ImportWindow = field(default_factory=ImportWindow)  # events outside it are flagged


def incident_overview(
    db: Database,
    *,
    incident_id: str,
    actor: Actor,
    limit: int = 200,
    cursor: str | None = None,
    start_at: datetime | None = None,
    filters: TimelineFilters | None = None,
) -> IncidentOverview:
    """An incident the actor may see, with its metrics and a page of its timeline in time order: the first `limit`
    events that pass the filters, from `cursor`, else from `start_at`, else from the start (never all of them)."""
    from afteraction.timeline.paging import event_sources, timeline_page
    from afteraction.timeline.service import incident_metrics

    incident = get_incident(db, incident_id=incident_id, actor=actor)
    page = timeline_page(
        db, incident_id=incident.id, actor=actor, limit=limit, cursor=cursor, start_at=start_at, filters=filters
    )
    return IncidentOverview(
        incident=incident,
        metrics=incident_metrics(db, incident_id=incident.id, actor=actor),
        timeline=page.items,
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
        sources=event_sources(db, incident_id=incident.id, actor=actor),
        window=moments_window(
            incident.started_at,
            incident.detected_at,
            incident.acknowledged_at,
            incident.mitigated_at,
            incident.resolved_at,
        ),
    )
