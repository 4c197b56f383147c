"""Use cases of browsing incidents in the web app: the list with every filter and a search, and the filter choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from afteraction.accounts.schemas import Principal
from afteraction.accounts.visibility import visible_clause
from afteraction.actions.models import ActionItem
from afteraction.actions.schemas import OPEN_ACTION_STATUSES
from afteraction.analysis.metrics import IncidentMetrics
from afteraction.db import Database, utcnow
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.incidents.schemas import IncidentSummary, TimelineEntry
from afteraction.incidents.service import _KEY, _summaries, check_choice, get_incident, incidents_query
from afteraction.reviews.models import Postmortem
from afteraction.reviews.schemas import POSTMORTEM_STATUSES


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
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
    viewer: Principal | None = None,
) -> list[IncidentSummary]:
    """Incidents newest first by kind, severity, status, service, post-mortem state, overdue items and a search of
    the id, title and summary; private ones only for their members."""
    today = today or utcnow().date()
    query = incidents_query(kind=kind, severity=severity, status=status, service=service, viewer=viewer)
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
        number = _KEY.match(needle)
        if number:
            matches.append(Incident.number == int(number.group(1)))
        query = query.where(or_(*matches))
    query = query.order_by(Incident.number.desc()).offset(offset).limit(limit)
    with db.transaction() as session:
        return _summaries(session, list(session.scalars(query)))


def known_services(db: Database, *, viewer: Principal | None = None) -> list[str]:
    """The service labels of the incidents the viewer may see, for a filter's choices."""
    query = select(IncidentLabel.value).where(IncidentLabel.kind == "service").distinct()
    visible = visible_clause(viewer)
    if visible is not None:
        query = query.join(Incident, IncidentLabel.incident_id == Incident.id).where(visible)
    with db.transaction() as session:
        return sorted(session.scalars(query), key=str.lower)


@dataclass
class IncidentOverview:
    """What the incident page shows: the incident, its key moments and metrics, and its timeline with event ids."""

    incident: IncidentSummary
    metrics: IncidentMetrics
    timeline: list[TimelineEntry]


def incident_overview(db: Database, *, incident_id: str, viewer: Principal | None = None) -> IncidentOverview:
    """An incident the viewer may see, with its metrics and its timeline in time order."""
    from afteraction.timeline.service import incident_metrics, list_events

    incident = get_incident(db, incident_id=incident_id, viewer=viewer)
    return IncidentOverview(
        incident=incident,
        metrics=incident_metrics(db, incident_id=incident.id, viewer=viewer),
        timeline=list_events(db, incident_id=incident.id, viewer=viewer),
    )
