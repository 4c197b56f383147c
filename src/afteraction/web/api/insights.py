"""Insights across post-mortems: the figures of `afteraction insights`, similar incidents and recurrences.

What the dashboard charts and the post-mortem editor's "this looks like…" panel read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from afteraction.insights import duplicates as duplicates_service
from afteraction.insights import similar as similar_service
from afteraction.insights.schemas import (
    DuplicateLinkIn,
    DuplicatePairView,
    InsightsReport,
    Recurrence,
    SimilarIncident,
    Theme,
)
from afteraction.insights.service import compute_insights
from afteraction.web.deps import AppPolicy, AppSettings, CurrentIncident, Db, Editor, Viewer, Within

router = APIRouter(tags=["insights"])

Label = Annotated[str | None, Query(max_length=200)]
Top = Annotated[int, Query(ge=1, le=50, description="How many to list.")]


@router.get("/insights", response_model=InsightsReport)
def insights(
    user: Viewer,
    db: Db,
    settings: AppSettings,
    policy: AppPolicy,
    within: Within,
    recurrences: Annotated[int, Query(ge=0, le=100, description="List at most this many recurrences.")] = 10,
) -> InsightsReport:
    """Incidents, time-to percentiles, post-mortem completion, action items, categories and their trend, and
    recurrences, over the incidents of a filter (a quarter or dates, team, service, severity, kind, category)."""
    return compute_insights(
        db, policy=policy, severities=settings.severities, within=within, recurrences=recurrences, actor=user
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


Day = Annotated[date | None, Query(description="A date, YYYY-MM-DD.")]


@router.get("/themes", response_model=list[Theme])
def themes(
    user: Viewer,
    db: Db,
    since: Day = None,
    until: Day = None,
    team: Label = None,
    service: Label = None,
) -> list[Theme]:
    """Themes: incidents grouped by the phrase their factors share (each event once), with their services,
    categories and action items; the same as `afteraction themes`."""
    from afteraction.insights.themes import compute_themes

    return compute_themes(db, since=since, until=until, team=team, service=service, actor=user)


@router.get("/duplicates", response_model=list[DuplicatePairView])
def duplicates(user: Viewer, db: Db) -> list[DuplicatePairView]:
    """Incidents linked as the same event, then suspected ones (nearly the same title and summary) with a score."""
    return duplicates_service.list_duplicates(db, actor=user)


@router.post("/incidents/{incident_id}/duplicate-of", response_model=DuplicatePairView)
def mark_duplicate(user: Editor, incident: CurrentIncident, db: Db, body: DuplicateLinkIn) -> DuplicatePairView:
    """Mark this incident as the same event as `of`: themes show it as that incident and count it once."""
    return duplicates_service.link_duplicate(db, incident_id=incident.id, of=body.of, actor=user)


@router.delete("/incidents/{incident_id}/duplicate-of", status_code=status.HTTP_204_NO_CONTENT)
def unmark_duplicate(user: Editor, incident: CurrentIncident, db: Db) -> Response:
    """Say this incident is not a duplicate after all."""
    duplicates_service.unlink_duplicate(db, incident_id=incident.id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
