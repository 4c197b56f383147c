"""Insights where the author writes (issue #19): beside the factors of a post-mortem, the similar past incidents the
reader may see (what they found, their action items done) and a warning when the incident looks like a recurrence of
one whose fix was done; a category suggested on each factor without one, accepted or rejected by the author."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.actions import ActionItemData
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import FactorData, PostmortemDocument, WhyNodeData
from afteraction.incidents import members
from afteraction.insights.models import CategoryDecision
from afteraction.insights.similar import similar_panel
from afteraction.insights.suggestions import suggestion_counts
from afteraction.reviews.sections import get_factors
from afteraction.usecases.documents import import_files, store_document
from tests.conftest import corpus_path
from tests.web.pages.conftest import Site, forms_of, text_of

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
NOW = datetime.now(UTC).replace(microsecond=0)
HX = {"HX-Request": "true"}
PANEL = re.compile(r'<section class="similar-panel"[\s\S]*?</section>')


def store(
    db: Database,
    number: int,
    title: str,
    *,
    days_ago: int,
    factors: list[FactorData],
    items: Sequence[tuple[str, str, str]] = (),
    private: bool = False,
    service: str = "checkout",
) -> str:
    """Store a post-mortem (its incident INC-number) as the command line would; returns its id."""
    started = NOW - timedelta(days=days_ago)
    doc = PostmortemDocument(
        id=f"INC-{number}",
        title=title,
        severity="SEV2",
        status="published" if days_ago > 5 else "draft",
        incident_status="resolved",
        private=private,
        services=[service],
        started_at=started,
        resolved_at=started + timedelta(hours=1),
        summary=f"{title}.",
        factors=factors,
        whys=[WhyNodeData(text=f"Why: {factors[0].text}", root_cause=True)] if factors else [],
        timeline=[TimelineEntry(at=started + timedelta(minutes=5), kind="alert", text=f"Alert: {title}")],
        actions=[
            ActionItemData(title=t, type=kind, owner="Alice", due=started.date() + timedelta(days=7), status=status)
            for t, kind, status in items
        ],
    )
    store_document(db, doc=doc, severities=SEVERITIES, actor=SYSTEM)
    return f"INC-{number}"


@pytest.fixture
def history(site: Site) -> Site:
    """INC-1 public, two months ago, its prevent item done; INC-2 private (the editor is its member), a month ago;
    INC-3 public, last week, both fixes open; INC-4 now, written like them, its factors without category."""
    store(
        site.db, 1, "Checkout connection pool exhausted after config change", days_ago=61,
        factors=[FactorData(text="A config change lowered the checkout connection pool limit",
                            category="config-change")],
        items=[("Validate the pool config before rollout", "prevent", "done"), ("Runbook for pool", "learn", "done")],
    )  # fmt: skip
    store(
        site.db, 2, "Payroll secret checkout connection pool exhausted", days_ago=30, private=True,
        factors=[FactorData(text="Payroll secret pool limit lowered by config change", category="config-change")],
        items=[("Payroll secret fix", "prevent", "open")],
    )  # fmt: skip
    store(
        site.db, 3, "Search cluster ran out of disk", days_ago=20, service="search",
        factors=[FactorData(text="Disk filled by search logs", category="capacity")],
        items=[("Rotate search logs", "prevent", "open")],
    )  # fmt: skip
    store(
        site.db, 4, "Checkout connection pool exhausted again", days_ago=1,
        factors=[
            FactorData(text="The checkout connection pool limit was lowered by a config change"),
            FactorData(text="No alert fired when checkout errors rose"),
        ],
    )  # fmt: skip
    members.add_member(site.db, incident_id="INC-2", user="editor", actor=SYSTEM)
    return site


def test_the_panel_lists_similar_past_incidents_with_what_they_found_and_their_items_done(history: Site):
    page = history.browser("viewer").get("/incidents/INC-4/postmortem")
    assert page.status_code == 200
    panel = PANEL.search(page.text)
    assert panel, "no similar-incidents panel"
    shown = " ".join(re.sub(r"<[^>]+>", " ", panel.group(0)).split())
    assert "Similar past incidents" in shown
    assert "INC-1 Checkout connection pool exhausted after config change" in shown
    assert 'href="/incidents/INC-1/postmortem"' in panel.group(0)
    day = (NOW - timedelta(days=61)).strftime("%-d %B %Y")
    assert f"{day} · 2 of 2 action items done" in shown
    assert "A config change lowered the checkout connection pool limit" in shown  # what it found
    # The viewer is no member of INC-2: it is not there, not even by its words; INC-4 itself is not listed.
    assert "INC-2" not in page.text and "Payroll" not in page.text
    assert "INC-4 Checkout" not in shown


def test_a_member_sees_the_private_similar_incident_the_viewer_may_not(history: Site):
    page = history.browser("editor").get("/incidents/INC-4/postmortem")
    panel = PANEL.search(page.text)
    assert panel and "INC-2 Payroll secret checkout connection pool exhausted" in text_of(page)
    assert "0 of 1 action item done" in " ".join(re.sub(r"<[^>]+>", " ", panel.group(0)).split())


def test_the_author_is_warned_when_the_incident_looks_like_one_whose_fix_was_done(history: Site):
    page = history.browser("viewer").get("/incidents/INC-4/postmortem")
    month = (NOW - timedelta(days=61)).strftime("%B %Y")
    assert (
        f"This looks like INC-1 ({month}), whose prevent items were all done: did the fix work? See INC-1"
        in text_of(page)
    )
    # The search incident resembles nothing whose fix was done: no warning there.
    assert "did the fix work?" not in text_of(history.browser("viewer").get("/incidents/INC-3/postmortem"))


def test_no_warning_while_the_earlier_fix_is_still_open(site: Site):
    store(site.db, 1, "Checkout connection pool exhausted after config change", days_ago=61,
          factors=[FactorData(text="A config change lowered the checkout connection pool limit")],
          items=[("Validate the pool config", "prevent", "open")])  # fmt: skip
    store(site.db, 2, "Checkout connection pool exhausted again", days_ago=1,
          factors=[FactorData(text="A config change lowered the checkout connection pool limit again")])  # fmt: skip
    panel = similar_panel(site.db, incident_id="INC-2", actor=SYSTEM)
    assert [p.id for p in panel.incidents] == ["INC-1"] and panel.incidents[0].items_done == 0
    assert panel.warning == "" and panel.recurrence is None


def suggestion_forms(page_html: str) -> list[tuple[str, str, str]]:
    """(factor index, category, answer) of each suggestion form on the page."""
    return re.findall(
        r'name="index" value="(\d+)"><input type="hidden" name="text" value="[^"]*">'
        r'<input type="hidden" name="category" value="([^"]+)"><input type="hidden" name="answer" value="(\w+)">',
        page_html,
    )


def test_a_suggested_category_is_rejected_then_not_offered_again_and_another_accepted(history: Site):
    editor = history.browser("editor")
    url = "/incidents/INC-4/postmortem/factors/suggestion"
    page = editor.get("/incidents/INC-4/postmortem")
    v = get_factors(history.db, incident_id="INC-4", actor=SYSTEM).version
    assert f'name="version" value="{v}"><input type="hidden" name="index" value="0">' in page.text
    assert "Suggested: Change / configuration" in text_of(page)
    assert ("0", "config-change", "accept") in suggestion_forms(page.text)
    assert ("0", "config-change", "reject") in suggestion_forms(page.text)
    offered_f2 = [c for i, c, a in suggestion_forms(page.text) if i == "1" and a == "accept"]
    assert offered_f2 == ["monitoring-gap"]
    # Reject without the script: the page again, saying so; the category is not offered for F1 again.
    text = "The checkout connection pool limit was lowered by a config change"
    rejected = editor.post(url, {"version": str(v), "index": "0", "text": text, "category": "config-change",
                                 "answer": "reject"})  # fmt: skip
    assert rejected.url.path == "/incidents/INC-4/postmortem"
    assert "Change / configuration will not be suggested for F1 again." in text_of(rejected)
    assert ("0", "config-change", "accept") not in suggestion_forms(rejected.text)
    assert get_factors(history.db, incident_id="INC-4", actor=SYSTEM).items[0].category is None
    # Accept in place (htmx): the factors part answers, F2 carries the category, a new version of the factors.
    accepted = editor.post(url, {"version": str(v), "index": "1", "text": "No alert fired when checkout errors rose",
                                 "category": "monitoring-gap", "answer": "accept"}, headers=HX)  # fmt: skip
    assert accepted.status_code == 200 and "<html" not in accepted.text
    assert accepted.text.lstrip().startswith('<section class="card pm-section" id="factors"')
    assert "F2 is now in the category Monitoring gap." in text_of(accepted)
    assert "F2 Monitoring gap No alert fired when checkout errors rose" in text_of(accepted)
    factors = get_factors(history.db, incident_id="INC-4", actor=SYSTEM)
    assert factors.version == v + 1 and factors.items[1].category == "Monitoring gap"
    assert not [f for f in suggestion_forms(accepted.text) if f[0] == "1"]
    with history.db.transaction() as session:
        decisions = [
            (d.factor_text, d.category, d.accepted, d.decided_by)
            for d in session.scalars(select(CategoryDecision).order_by(CategoryDecision.id))
        ]
    assert decisions == [
        (text, "config-change", False, "editor"),
        ("No alert fired when checkout errors rose", "monitoring-gap", True, "editor"),
    ]
    counts = suggestion_counts(history.db, actor=SYSTEM)
    assert [(c.category, c.accepted, c.rejected) for c in counts.categories] == [
        ("config-change", 0, 1), ("monitoring-gap", 1, 0),
    ]  # fmt: skip
    assert (counts.total.accepted, counts.total.rejected, counts.total.rate) == (1, 1, 0.5)


def test_a_stale_or_wrong_answer_changes_and_records_nothing(history: Site):
    editor = history.browser("editor")
    url = "/incidents/INC-4/postmortem/factors/suggestion"
    editor.get("/incidents/INC-4/postmortem")
    v = get_factors(history.db, incident_id="INC-4", actor=SYSTEM).version
    editor.post("/incidents/INC-4/postmortem/factors", {"version": str(v), "op": "add", "text": "Peak traffic"})
    stale = editor.post(url, {"version": str(v), "index": "1", "text": "No alert fired when checkout errors rose",
                              "category": "monitoring-gap", "answer": "accept"}, headers=HX)  # fmt: skip
    assert "Someone changed the contributing factors meanwhile" in text_of(stale)
    unknown = editor.post(url, {"version": str(v + 1), "index": "1", "text": "No alert fired when checkout errors rose",
                                "category": "weather", "answer": "accept"}, headers=HX)  # fmt: skip
    assert "no category 'weather' in the taxonomy" in text_of(unknown)
    factors = get_factors(history.db, incident_id="INC-4", actor=SYSTEM)
    assert factors.version == v + 1 and [f.category for f in factors.items] == [None, None, None]
    with history.db.transaction() as session:
        assert session.scalars(select(CategoryDecision)).all() == []


def test_a_viewer_sees_no_suggestion_and_cannot_answer_one(history: Site):
    viewer = history.browser("viewer")
    page = viewer.get("/incidents/INC-4/postmortem")
    assert "Suggested:" not in text_of(page)
    assert not [f for f in forms_of(page) if "suggestion" in f]
    refused = viewer.client.post(
        "/incidents/INC-4/postmortem/factors/suggestion",
        data={"csrf_token": viewer.csrf, "version": "1", "index": "0", "category": "config-change",
              "text": "The checkout connection pool limit was lowered by a config change", "answer": "accept"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert get_factors(history.db, incident_id="INC-4", actor=SYSTEM).items[0].category is None


def test_a_corpus_post_mortem_shows_its_similar_incidents(site: Site):
    docs = sorted(corpus_path("postmortems", "dfds").glob("PM*.md"))
    report = import_files(site.db, paths=docs, severities=SEVERITIES, actor=SYSTEM)
    assert not report.failures
    # The Kubernetes IaC revert resembles the other Kubernetes cluster post-mortems of the same team.
    reverted = next(r.incident_id for r in report.results if "IaC accidentally reverted" in r.title)
    page = site.browser("viewer").get(f"/incidents/{reverted}/postmortem")
    panel = PANEL.search(page.text)
    assert panel, "no similar incidents for a corpus document"
    listed = re.findall(r'href="/incidents/(INC-\d+)/postmortem"', panel.group(0))
    assert 1 <= len(listed) <= 5 and reverted not in listed
    assert "Kubernetes" in text_of(page).split("Similar past incidents", 1)[1]
