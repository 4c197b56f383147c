"""The dashboard: the signed-in person's inbox (reviews awaiting them, their action items, post-mortems they author
that are due), open and overdue action items, post-mortems due or late by policy, incidents this month, and
the trend of time to detect and to resolve over the last twelve months."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from afteraction.documents.charts import Series, count_chart, duration_chart, month_label
from afteraction.insights.dashboard import dashboard
from afteraction.usecases.inbox import inbox
from afteraction.web.deps import AppPolicy, AppSettings, Viewer
from afteraction.web.pages.rendering import render
from afteraction.web.pages.session import PageDb

router = APIRouter()


@router.get("/dashboard")
def dashboard_page(request: Request, user: Viewer, db: PageDb, settings: AppSettings, policy: AppPolicy) -> Response:
    """The figures a team looks at every week."""
    board = dashboard(db, policy=policy, severities=settings.severities, actor=user)
    mine = inbox(db, actor=user)
    detect = [spread.median for spread in board.time_to_detect]  # seconds; None in a month without a figure
    resolve = [spread.median for spread in board.time_to_resolve]
    trend = duration_chart(
        "Median time to detect and to resolve per month",
        board.months,
        [Series("time to detect", detect), Series("time to resolve", resolve)],
    )
    incidents = count_chart("Incidents per month", board.months, [count.count for count in board.incidents_by_month])
    return render(
        request,
        "dashboard.html",
        board=board,
        inbox=mine,
        trend=trend,
        incidents_chart=incidents,
        trend_rows=list(zip([month_label(m) for m in board.months], detect, resolve, strict=True)),
    )
