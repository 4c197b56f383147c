"""The dashboard's charts in real headless Chromium at a phone's and a wide screen's width: months without data are
gaps in the lines, a lone month is a labelled dot, and every label is legible, inside its chart and clear of the
others (`assert_chart_readable`, which the insights page's test uses too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from afteraction.core.actor import Actor
from afteraction.core.db import utcnow
from afteraction.domain.incidents import IncidentChanges, NewIncident
from afteraction.usecases.incidents import create_incident, update_incident
from tests.e2e.charts_check import assert_chart_readable
from tests.e2e.conftest import Server, expect, screenshot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SYSTEM = Actor.system()
# Months back from this one with an incident, and its minutes to detect and hours to resolve: runs of two months,
# a gap, and a lone month.
INCIDENTS = {1: (12, 3), 2: (45, 9), 4: (8, 30), 5: (20, 2), 8: (90, 50)}


def _month_start(months_back: int) -> datetime:
    today = utcnow()
    year, month = today.year, today.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 5, 12, 0, tzinfo=UTC)


def _incidents(server: Server) -> None:
    db = server.app.state.db
    for back, (detect, resolve) in INCIDENTS.items():
        started = _month_start(back)
        new = NewIncident(title=f"Incident {back} months ago", severity="SEV2", started_at=started)
        incident = create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV2"]).id
        moments = {
            "started_at": started,
            "detected_at": started + timedelta(minutes=detect),
            "resolved_at": started + timedelta(hours=resolve),
        }
        changes = IncidentChanges(status="resolved", moments=moments)
        update_incident(db, actor=SYSTEM, incident_id=incident, changes=changes, allowed_severities=["SEV2"])


@pytest.mark.parametrize("width", [390, 1400])
def test_the_dashboard_charts_show_gaps_and_keep_every_label_readable(
    chromium: Browser, server: Server, width: int
) -> None:
    _incidents(server)
    page = server.page(chromium, width=width, height=900)
    sign_in(page, server, "reader")
    trend = page.locator('svg.chart[aria-label="Median time to detect and to resolve per month"]')
    expect(trend).to_be_visible()
    segments = trend.locator('path[data-series="time to detect"]').get_attribute("d") or ""
    assert segments.count("M") == 2, segments  # two runs; nothing drawn across the month between them
    expect(trend.locator("circle[r='5']")).to_have_count(2)  # the lone month, in both series
    expect(trend.locator("text", has_text="hours")).to_have_count(1)  # resolving took up to 50 hours
    values = trend.locator("text[font-weight='600']")  # the unit, then the lone month's values: 1.5 and 50 hours
    expect(values).to_have_text(["hours", "1.5", "50"])
    counts = page.locator('svg.chart[aria-label="Incidents per month"]')
    expect(counts.locator("rect")).to_have_count(12)  # a column or a zero mark for each of the 12 months
    assert assert_chart_readable(page, "svg.chart") > 20
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    screenshot(page, f"dashboard-charts-{width}")
    page.context.close()
