"""The Insights page in real headless Chromium: a viewer filters by team and quarter with the form, the filter stays
in the address, a number leads to the incidents behind it, a private incident they may not see is in no figure and
no list; the charts read at phone and desktop width (no label cut or overlapping, a gap where a month has no
data)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.charts_check import assert_chart_readable
from tests.e2e.conftest import Server, expect, screenshot, sign_in
from tests.factories import store_dated


def test_a_viewer_filters_by_team_and_quarter_and_follows_a_number(chromium, server: Server):
    # Payments: two incidents in January and March 2026 (none in February: a gap), one in May, one private in March.
    for number, when, team, private in (
        (1, datetime(2026, 1, 12, 9, tzinfo=UTC), "payments", False),
        (2, datetime(2026, 3, 3, 9, tzinfo=UTC), "payments", False),
        (3, datetime(2026, 5, 6, 9, tzinfo=UTC), "payments", False),
        (4, datetime(2026, 3, 9, 9, tzinfo=UTC), "payments", True),
        (5, datetime(2026, 2, 2, 9, tzinfo=UTC), "search", False),
    ):
        store_dated(server.app.state.db, number, when, team, private=private)
    page = server.page(chromium)
    sign_in(page, server, "reader")
    page.get_by_role("link", name="Insights").click()
    page.wait_for_url("**/insights")
    page.get_by_label("Team").fill("payments")
    page.get_by_label("Quarter").select_option("2026-Q1")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/insights?quarter=2026-Q1*team=payments*")
    headline = page.locator("#h-ins-head")
    expect(headline).to_have_text("Over 2 incidents")
    expect(page.locator("main")).not_to_contain_text("Incident 4")
    # February has no incident of payments: no line crosses it; January and March are dots of their own.
    durations = page.locator("svg.chart").first
    expect(durations.locator('path.line[data-series="Time to resolve"]')).to_have_count(0)
    expect(durations.locator("circle title", has_text="Time to resolve")).to_have_text(
        ["Time to resolve, Jan 2026: 60 minutes", "Time to resolve, Mar 2026: 120 minutes"]
    )
    for width in (390, 1400):
        page.set_viewport_size({"width": width, "height": 900})
        assert assert_chart_readable(page, "svg.chart") > 5
    screenshot(page, "insights-filtered")

    headline.get_by_role("link", name="2").click()
    page.wait_for_url("**/incidents?quarter=2026-Q1&team=payments")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.list")).to_contain_text("Incident 1 of payments")
    expect(page.locator("table.list")).to_contain_text("Incident 2 of payments")
    expect(page.locator("main")).to_contain_text("Also narrowed as on the Insights page")
    page.context.close()
