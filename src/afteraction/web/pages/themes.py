"""The Themes page: incidents grouped by the phrase their factors share, each with its incidents, services, category
and action items, filtered by dates, team and service (kept in the address); and the suspected duplicate incidents,
which editors mark as the same event."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from afteraction.core.errors import AfteractionError
from afteraction.insights.duplicates import link_duplicate, list_duplicates, unlink_duplicate
from afteraction.insights.themes import compute_themes
from afteraction.usecases import browse
from afteraction.web.deps import Editor, Viewer
from afteraction.web.pages.rendering import redirect, render
from afteraction.web.pages.session import PageDb

router = APIRouter()

Label = Annotated[str | None, Query(max_length=200)]
Id = Annotated[str, Form(min_length=1, max_length=40)]


def _day(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


@router.get("/themes")
def themes_page(
    request: Request,
    user: Viewer,
    db: PageDb,
    since: Label = None,
    until: Label = None,
    team: Label = None,
    service: Label = None,
) -> Response:
    """The themes over the incidents the user may see, as the filter in the address narrows them."""
    problem = None
    try:
        first = _day(since, "since") if since else None
        last = _day(until, "until") if until else None
    except ValueError as exc:
        problem, first, last = str(exc), None, None
    themes = (
        []
        if problem
        else compute_themes(db, since=first, until=last, team=team or None, service=service or None, actor=user)
    )
    pairs = list_duplicates(db, actor=user)
    filters = {"since": since or "", "until": until or "", "team": team or "", "service": service or ""}
    return render(
        request,
        "themes.html",
        status=400 if problem else 200,
        themes=themes,
        suspected=[p for p in pairs if not p.linked],
        linked=[p for p in pairs if p.linked],
        filters=filters,
        filtered=any(filters.values()),
        problem=problem,
        can_edit=user.can("editor"),
        teams=browse.known_labels(db, kind="team", actor=user),
        services=browse.known_labels(db, kind="service", actor=user),
    )


@router.post("/themes/duplicates")
def mark_duplicate(request: Request, user: Editor, db: PageDb, incident: Id, of: Id) -> Response:
    """Mark an incident as the same event as another (editors)."""
    try:
        pair = link_duplicate(db, incident_id=incident, of=of, actor=user)
    except AfteractionError as exc:
        return redirect(request, "/themes#duplicates", error=exc.message)
    return redirect(request, "/themes#duplicates", ok=f"{pair.incident.id} is now shown as {pair.of.id}.")


@router.post("/themes/duplicates/unlink")
def unmark_duplicate(request: Request, user: Editor, db: PageDb, incident: Id) -> Response:
    """Say an incident is not a duplicate after all (editors)."""
    try:
        unlink_duplicate(db, incident_id=incident, actor=user)
    except AfteractionError as exc:
        return redirect(request, "/themes#duplicates", error=exc.message)
    return redirect(request, "/themes#duplicates", ok=f"{incident.upper()} is no longer marked as a duplicate.")
