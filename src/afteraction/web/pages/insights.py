"""The Insights page: the figures across post-mortems for the incidents the signed-in user may see, filtered by a
quarter or dates, team, service, severity, kind and category (kept in the address, so a view can be shared), each
number a link to the incidents behind it; and the same as a report to download (HTML, PDF)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from afteraction.core.db import utcnow
from afteraction.core.errors import InvalidInput
from afteraction.domain.incidents import KINDS
from afteraction.insights.schemas import InsightsReport
from afteraction.insights.service import compute_insights
from afteraction.insights.taxonomy import list_categories
from afteraction.usecases import browse
from afteraction.web.api.exports import export_headers
from afteraction.web.deps import AppPolicy, AppSettings, Viewer, Within
from afteraction.web.pages.rendering import render
from afteraction.web.pages.session import PageDb
from afteraction.web.report import insights_view, report_html, report_pdf, trend_of

router = APIRouter()
QUARTERS_OFFERED = 8


def recent_quarters(today: date, count: int = QUARTERS_OFFERED) -> list[str]:
    """This quarter and the `count - 1` before it, newest first (`2026-Q4`, `2026-Q3`, …)."""
    year, number = today.year, (today.month - 1) // 3 + 1
    found = []
    for _ in range(count):
        found.append(f"{year}-Q{number}")
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return found


@router.get("/insights")
def insights_page(
    request: Request, user: Viewer, db: PageDb, settings: AppSettings, policy: AppPolicy, within: Within
) -> Response:
    """Insights over the incidents the user may see, as the filter in the address narrows them."""
    today = utcnow().date()
    report: InsightsReport | None = None
    problem = None
    try:
        report = _report(db, user, settings, policy, within)
    except InvalidInput as exc:
        problem = exc.message[:1].upper() + exc.message[1:] + "."
    quarters = recent_quarters(today)
    if within.quarter and within.quarter not in quarters:
        quarters.append(within.quarter)
    return render(
        request,
        "insights.html",
        status=422 if problem else 200,
        within=report.within if report else within,
        report=report,
        view=insights_view(report, today=today) if report else None,
        trend_of=trend_of,
        link_base="",
        problem=problem,
        quarters=quarters,
        teams=browse.known_labels(db, kind="team", actor=user),
        services=browse.known_labels(db, kind="service", actor=user),
        severities=settings.severities,
        kinds=KINDS,
        categories=list_categories(db),
    )


def _report(db: PageDb, user: Viewer, settings: AppSettings, policy: AppPolicy, within: Within) -> InsightsReport:
    return compute_insights(db, policy=policy, severities=settings.severities, within=within, actor=user)


@router.get("/insights/report.html")
def report_page(user: Viewer, db: PageDb, settings: AppSettings, policy: AppPolicy, within: Within) -> Response:
    """The Insights page's figures as one HTML file to keep or send (no script, nothing loaded)."""
    content = report_html(_report(db, user, settings, policy, within), settings=settings)
    return Response(content, media_type="text/html; charset=utf-8", headers=export_headers("insights.html"))


@router.get("/insights/report.pdf")
def report_print(user: Viewer, db: PageDb, settings: AppSettings, policy: AppPolicy, within: Within) -> Response:
    """The Insights page's figures printed to PDF (as post-mortems are)."""
    content = report_pdf(_report(db, user, settings, policy, within), settings=settings)
    return Response(content, media_type="application/pdf", headers=export_headers("insights.pdf"))
