"""The dashboard: the signed-in person's inbox (reviews awaiting them, their action items, post-mortems they author
that are due), open and overdue action items, post-mortems due or late by policy, incidents this month, and
the trend of time to detect and to resolve over the last twelve months."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from afteraction.insights.dashboard import dashboard
from afteraction.usecases.inbox import inbox
from afteraction.web.deps import AppPolicy, AppSettings, Viewer
from afteraction.web.pages.charts import Series, bar_chart, line_chart
from afteraction.web.pages.rendering import render
from afteraction.web.pages.session import PageDb

router = APIRouter()


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


@router.get("/dashboard")
def dashboard_page(request: Request, user: Viewer, db: PageDb, settings: AppSettings, policy: AppPolicy) -> Response:
    """The figures a team looks at every week."""
    board = dashboard(db, policy=policy, severities=settings.severities, actor=user)
    mine = inbox(db, actor=user)
    detect = [_minutes(spread.median) for spread in board.time_to_detect]
    resolve = [_minutes(spread.median) for spread in board.time_to_resolve]
    trend = line_chart(
        "Median time to detect and to resolve per month, in minutes",
        board.months,
        [Series("time to detect", detect), Series("time to resolve", resolve)],
        "min",
    )
    incidents = bar_chart("Incidents per month", board.months, [count.count for count in board.incidents_by_month])
    return render(
        request,
        "dashboard.html",
        board=board,
        inbox=mine,
        trend=trend,
        incidents_chart=incidents,
        trend_rows=list(zip(board.months, detect, resolve, strict=True)),
    )
