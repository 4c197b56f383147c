"""Insights across post-mortems: the figures of `afteraction insights`, similar incidents and recurrences.

What the dashboard charts and the post-mortem editor's "this looks like…" panel read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from afteraction.insights import similar as similar_service
from afteraction.insights.schemas import InsightsReport, Recurrence, SimilarIncident
from afteraction.insights.service import compute_insights
from afteraction.web.deps import AppPolicy, AppSettings, CurrentIncident, Db, Viewer

router = APIRouter(tags=["insights"])

Label = Annotated[str | None, Query(max_length=200)]
Top = Annotated[int, Query(ge=1, le=50, description="How many to list.")]


@router.get("/insights", response_model=InsightsReport)
def insights(
    user: Viewer,
    db: Db,
    settings: AppSettings,
    policy: AppPolicy,
    since: Annotated[date | None, Query(description="Only incidents that started on or after this date.")] = None,
    until: Annotated[date | None, Query(description="Only incidents that started on or before this date.")] = None,
    team: Label = None,
    service: Label = None,
    recurrences: Annotated[int, Query(ge=0, le=100, description="List at most this many recurrences.")] = 10,
) -> InsightsReport:
    """Incidents, time-to percentiles, post-mortem completion, action items, recurring categories, recurrences."""
    return compute_insights(
        db,
        policy=policy,
        severities=settings.severities,
        since=since,
        until=until,
        team=team,
        service=service,
        recurrences=recurrences,
        actor=user,
    )


@router.get("/similar", response_model=list[SimilarIncident])
def similar_to_text(
    user: Viewer,
    db: Db,
    text: Annotated[str, Query(min_length=1, max_length=5000, description="A description of an incident.")],
    top: Top = 5,
) -> list[SimilarIncident]:
    """Past post-mortems ranked by relevance to a description (BM25)."""
    return similar_service.similar_incidents(db, text=text, top=top, actor=user)


@router.get("/incidents/{incident_id}/similar", response_model=list[SimilarIncident])
def similar_to_incident(user: Viewer, incident: CurrentIncident, db: Db, top: Top = 5) -> list[SimilarIncident]:
    """Past post-mortems ranked by relevance to this incident's title, summary, factors and timeline."""
    return similar_service.similar_incidents(db, incident_id=incident.id, top=top, actor=user)


@router.get("/incidents/{incident_id}/recurrences", response_model=list[Recurrence])
def recurrences_of(user: Viewer, incident: CurrentIncident, db: Db) -> list[Recurrence]:
    """Earlier incidents this one resembles, with what became of their prevent items."""
    return similar_service.find_recurrences(db, incident_id=incident.id, actor=user)
