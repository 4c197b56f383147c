"""The Insights page: figures over the incidents a user may see, filtered by what the address says (quarter, team,
category …), each number a link to the incidents behind it; the same figures as GET /api/v1/insights and
`afteraction insights --json` for the same filter; the report to download renders the same template."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.factories import store_dated
from tests.web.pages.conftest import Site, text_of


def _world(site: Site) -> None:
    q1, q2 = datetime(2026, 2, 10, 9, tzinfo=UTC), datetime(2026, 5, 6, 9, tzinfo=UTC)
    store_dated(site.db, 1, q1, "payments")
    store_dated(site.db, 2, q1 + timedelta(days=31), "payments", category="deploy")
    store_dated(site.db, 3, q2, "payments")
    store_dated(site.db, 4, q2, "search")
    store_dated(site.db, 5, q2, "payments", private=True)  # the viewer is no member


def test_a_viewer_filters_by_team_and_quarter_and_follows_a_number_to_its_incidents(site: Site):
    _world(site)
    viewer = site.browser("viewer")
    page = viewer.get("/insights?team=payments&quarter=2026-Q1")
    assert page.status_code == 200, page.text[:300]
    text = text_of(page)
    assert "Over 2 incidents" in text and "Incident 5" not in text
    assert 'href="/incidents?quarter=2026-Q1&amp;team=payments"' in page.text  # the headline's number
    assert "Fewer than 5 incidents: shares are given as counts only." in text and "%" not in text.split("Over")[1][:400]
    march = viewer.get("/incidents?team=payments&since=2026-03-01&until=2026-03-31")
    assert "Incident 2 of payments" in text_of(march) and "Incident 1 of" not in text_of(march)
    assert "Also narrowed as on the Insights page" in text_of(march)
    everything = text_of(viewer.get("/insights?team=payments"))
    assert "Over 2 incidents" not in everything and "Over 3 incidents" in everything  # INC-5 is private
    admin = text_of(site.browser("admin").get("/insights?team=payments"))
    assert "Over 4 incidents" in admin


def test_a_category_filter_and_a_bad_word_in_the_address(site: Site):
    _world(site)
    viewer = site.browser("viewer")
    config = viewer.get("/insights?category=config")
    assert "Over 3 incidents" in text_of(config)
    bad = viewer.get("/insights?category=astrology&kind=meltdown")
    assert bad.status_code == 422
    assert "Unknown kind 'meltdown': one of incident, near-miss, failed-deploy, milestone." in text_of(bad)
    assert "Unknown category 'astrology'" in text_of(viewer.get("/insights?category=astrology"))
    both = text_of(viewer.get("/insights?quarter=2026-Q1&since=2026-01-01"))
    assert "Give a quarter or a range of dates (since, until), not both." in both


def test_the_page_the_api_and_the_cli_give_the_same_figures_for_the_same_filter(site: Site, cli):
    _world(site)
    viewer = site.browser("viewer")
    api = viewer.get("/api/v1/insights?team=payments&quarter=2026-Q2").json()
    assert api["incidents"]["total"] == 1 and api["within"]["quarter"] == "2026-Q2"
    printed = cli("insights", "--team", "payments", "--quarter", "2026-Q2", "--json")
    assert printed.exit_code == 0, printed.stderr
    assert json.loads(printed.stdout)["incidents"]["total"] == 2  # the command line is an admin: INC-5 counts
    page = text_of(viewer.get("/insights?team=payments&quarter=2026-Q2"))
    assert "Over 1 incident " in page


def test_the_report_to_download_is_the_same_template_without_script(site: Site):
    _world(site)
    report = site.browser("viewer").get("/insights/report.html?team=payments")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert "Over 3 incidents" in text_of(report) and "<script" not in report.text
    assert "Content-Security-Policy" in report.text  # the export CSP, as post-mortem exports carry


def test_the_api_refuses_an_unknown_word_naming_the_field(site: Site):
    answer = site.browser("viewer").get("/api/v1/insights?severity=SEV9")
    assert answer.status_code == 422 and answer.json()["field"] == "severity"
    assert answer.json()["detail"] == "unknown severity 'SEV9': one of SEV1, SEV2, SEV3, SEV4"


def test_the_report_prints_to_pdf(site: Site):
    import shutil

    import pytest

    if not shutil.which("chromium"):
        pytest.skip("no Chromium (apt-get install chromium)")
    _world(site)
    printed = site.browser("viewer").get("/insights/report.pdf?quarter=2026-Q2")
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF") and 'filename="insights.pdf"' in printed.headers["content-disposition"]


def test_a_hostile_filter_is_text_in_the_page_and_the_links(site: Site):
    _world(site)
    page = site.browser("viewer").get("/insights", params={"team": '"><script>alert(1)</script>', "service": "x&y"})
    assert page.status_code == 200 and "<script>alert(1)" not in page.text
    assert "Over 0 incidents" in text_of(page)
    assert 'href="/incidents?team=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;service=x%26y"' in page.text
