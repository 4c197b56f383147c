"""Review (request, approve, reject, publish, history), exports, the action board and the dashboard."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from afteraction.actions.models import ActionItem
from afteraction.actions.service import add_action
from afteraction.core.actor import Actor
from afteraction.core.db import utcnow
from afteraction.domain.actions import ActionChanges
from afteraction.domain.incidents import IncidentChanges
from afteraction.incidents.members import add_member
from afteraction.reviews.sections import update_text_section
from afteraction.timeline.service import add_event
from afteraction.usecases.actions import update_action
from afteraction.usecases.incidents import update_incident
from tests.web.pages.conftest import Browser, Site, forms_of, make_site, new_incident, text_of

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident


def ready_incident(site: Site) -> str:
    """An incident whose post-mortem the default policy lets through: summary, impact, timeline, owned items."""
    incident = new_incident(site)
    for name, text in (("summary", "Checkout failed for 23 minutes."), ("impact", "4,100 failed checkouts.")):
        update_text_section(site.db, actor=SYSTEM, incident_id=incident, name=name, text=text)
    add_event(
        site.db, actor=SYSTEM, incident_id=incident, at=utcnow() - timedelta(hours=2), text="Alert fired", kind="alert"
    )
    add_action(
        site.db,
        actor=SYSTEM,
        incident_id=incident,
        title="Alert on pool usage above 80%",
        owner="Ana",
        due=utcnow().date() + timedelta(days=30),
        type="detect",
        priority="P1",
    )
    return incident


def test_review_is_requested_approved_by_a_second_user_and_published_with_its_history(site: Site):
    incident = ready_incident(site)
    add_member(site.db, actor=SYSTEM, incident_id=incident, user="reviewer")
    author, reviewer = site.browser("editor"), site.browser("reviewer")
    page = author.get(f"/incidents/{incident}/review")
    assert 'name="reviewer" value="reviewer"' in page.text and "Request review" in text_of(page)
    assert 'value="editor"' not in page.text and 'value="viewer"' not in page.text  # the author, a viewer
    asked = author.post(
        f"/incidents/{incident}/review/request",
        {"reviewer": ["reviewer", "admin"], "comment": "Please look at the whys"},
    )
    assert "Review requested from reviewer, admin." in text_of(asked)
    assert f"/incidents/{incident}/review/approve" not in forms_of(asked)  # the author is not a reviewer
    assert f"/incidents/{incident}/review/reject" not in forms_of(asked)
    assert "You are an author of this post-mortem: one of the reviewers named above approves it." in text_of(asked)
    seen = reviewer.get(f"/incidents/{incident}/review")
    assert f"/incidents/{incident}/review/approve" in forms_of(seen)
    approved = reviewer.post(f"/incidents/{incident}/review/approve", {"comment": "Clear and blameless"})
    assert "Approved. The post-mortem is approved." in text_of(approved)
    published = author.post(f"/incidents/{incident}/review/publish", {"comment": "Shipping it"})
    shown = text_of(published)
    assert "Published." in shown and 'aria-current="step">published' in published.text
    history = re.findall(r"<td data-label=\"Step\">(\w+)</td>", published.text)
    assert history == ["publish", "approve", "request"]
    assert "Clear and blameless" in shown and "Please look at the whys" in shown


def test_a_rejection_needs_a_comment_and_publishing_lists_what_blocks_it(site: Site):
    incident = new_incident(site)
    add_member(site.db, actor=SYSTEM, incident_id=incident, user="reviewer")
    author, reviewer = site.browser("editor"), site.browser("reviewer")
    author.get(f"/incidents/{incident}/review")
    nobody = author.post(f"/incidents/{incident}/review/request", {})
    assert "has no reviewers" in text_of(nobody)
    author.post(f"/incidents/{incident}/review/request", {"reviewer": "reviewer"})
    reviewer.get(f"/incidents/{incident}/review")
    silent = reviewer.post(f"/incidents/{incident}/review/reject", {"comment": "  "})
    assert "needs a comment" in text_of(silent)
    back = reviewer.post(f"/incidents/{incident}/review/reject", {"comment": "Add the impact"})
    assert "Sent back to draft with your comment." in text_of(back)
    early = author.post(f"/incidents/{incident}/review/publish")
    assert "Not published yet. It needs 1 approval and has not been sent for review yet." in text_of(early)
    page = text_of(author.get(f"/incidents/{incident}/review"))
    assert "What still blocks publishing" in page and "The Summary section is empty." in page


def test_exports_download_the_post_mortem_as_markdown_html_and_json(site: Site):
    incident = ready_incident(site)
    viewer = site.browser("viewer")
    page = viewer.get(f"/incidents/{incident}/postmortem")
    for fmt in ("md", "html", "pdf", "json"):
        assert f'href="/incidents/{incident}/export/{fmt}" download' in page.text
    md = viewer.client.get(f"/incidents/{incident}/export/md")
    assert md.headers["content-disposition"] == f'attachment; filename="{incident}-postmortem.md"'
    assert md.text.startswith("---\n") and "Checkout failed for 23 minutes." in md.text
    html = viewer.client.get(f"/incidents/{incident}/export/html")
    assert html.headers["content-type"].startswith("text/html") and "<html" in html.text
    data = viewer.client.get(f"/incidents/{incident}/export/json").json()
    assert data["id"] == incident and data["summary"] == "Checkout failed for 23 minutes."
    assert viewer.client.get(f"/incidents/{incident}/export/docx").status_code == 422


def test_the_board_shows_open_items_by_owner_due_date_and_status_with_overdue_ones_marked(site: Site):
    first = new_incident(site, title="Checkout 502s")
    second = new_incident(site, title="Disk full")
    today = utcnow().date()
    add_action(
        site.db,
        actor=SYSTEM,
        incident_id=first,
        title="Alert on pool usage",
        owner="Ana",
        due=today - timedelta(days=3),
    )
    add_action(
        site.db,
        actor=SYSTEM,
        incident_id=first,
        title="Runbook for failover",
        owner="Bo",
        due=today + timedelta(days=2),
    )
    add_action(site.db, actor=SYSTEM, incident_id=second, title="Grow the WAL volume", due=today + timedelta(days=60))
    done = add_action(site.db, actor=SYSTEM, incident_id=second, title="Already done", owner="Ana")
    update_action(site.db, actor=SYSTEM, action_id=done.id or "", changes=ActionChanges(status="done"))
    with site.db.transaction() as session:  # as `actions sync` leaves a synced item
        session.execute(
            update(ActionItem)
            .where(ActionItem.id == 2)
            .values(tracker_key="OPS-12", tracker_url="https://jira.example/browse/OPS-12")
        )
    viewer = site.browser("viewer")
    board = viewer.get("/actions")
    shown = text_of(board)
    assert "3 open, 1 overdue" in shown and "Already done" not in shown
    columns = re.findall(r'<h2 id="col-\d+">([^<]+?) <span class="count">(\d+)</span>', board.text)
    assert columns == [("Ana", "1"), ("Bo", "1"), ("No owner", "1")]  # owners with overdue work first
    assert "overdue by 3 days" in shown and 'class="ticket overdue"' in board.text
    assert '<a href="https://jira.example/browse/OPS-12" rel="noopener noreferrer">OPS-12</a>' in board.text
    by_due = viewer.get("/actions?by=due")
    assert re.findall(r'<h2 id="col-\d+">([^<]+?) <span', by_due.text) == [
        "Overdue",
        "Due within a week",
        "Due later",
    ]
    assert [h for h in re.findall(r'<h2 id="col-\d+">([^<]+?) <span', viewer.get("/actions?by=status").text)] == [
        "open"
    ]
    only_bo = text_of(viewer.get("/actions?owner=Bo"))
    assert "Runbook for failover" in only_bo and "Alert on pool usage" not in only_bo
    overdue = text_of(viewer.get("/actions?overdue=1"))
    assert "Alert on pool usage" in overdue and "Runbook for failover" not in overdue


def test_an_editor_moves_an_item_on_the_board(site: Site):
    incident = new_incident(site)
    add_action(site.db, actor=SYSTEM, incident_id=incident, title="Alert on pool usage", owner="Ana")
    editor = site.browser("editor")
    editor.get("/actions?by=status")
    moved = editor.post("/actions/AI-1", {"version": "1", "status": "in-progress", "back": "/actions?by=status"})
    assert moved.url.path == "/actions" and "Saved AI-1." in text_of(moved)
    assert re.findall(r'<h2 id="col-\d+">([^<]+?) <span', moved.text) == ["in-progress"]


def test_the_dashboard_shows_open_and_overdue_items_late_post_mortems_and_the_trends(site: Site):
    now = utcnow()
    incident = new_incident(site, title="Checkout 502s", severity="SEV1")
    update_incident(
        site.db,
        actor=SYSTEM,
        incident_id=incident,
        changes=IncidentChanges(
            status="resolved",
            moments={
                "started_at": now - timedelta(days=20, minutes=30),
                "detected_at": now - timedelta(days=20, minutes=20),
                "resolved_at": now - timedelta(days=20),
            },
        ),
        allowed_severities=["SEV1"],
    )
    add_action(
        site.db,
        actor=SYSTEM,
        incident_id=incident,
        title="Alert on pool usage",
        owner="Ana",
        due=now.date() - timedelta(days=5),
    )
    secret = new_incident(site, title="Credential leak", severity="SEV1", private="true")
    update_incident(
        site.db,
        actor=SYSTEM,
        incident_id=secret,
        changes=IncidentChanges(status="resolved", moments={"resolved_at": now - timedelta(days=30)}),
        allowed_severities=["SEV1"],
    )
    page = site.browser("viewer").get("/dashboard")
    shown = text_of(page)
    assert "1 open action items" in shown and "1 overdue action items" in shown
    assert "Alert on pool usage" in shown and "5 days overdue" in shown
    assert "Checkout 502s" in shown and "days late" in shown
    assert "Credential leak" not in shown  # counted, never named, for non-members
    assert '<svg class="chart"' in page.text and "Median time to detect and to resolve per month" in page.text
    assert "10 min" in shown  # the table under the chart: detected 10 minutes after the start
    assert "Credential leak" in text_of(site.browser("admin").get("/dashboard"))


def test_the_demo_command_creates_a_web_sign_in_and_prints_its_password(cli, database_url: str):
    first = cli("demo", "--quiet", "--user", "demo")
    assert first.exit_code == 0, first.stderr
    password = re.search(r"Web sign-in: user demo, password (\S+) \(editor\)", first.stdout)
    assert password, first.stdout
    again = cli("demo", "--quiet", "--user", "demo")
    second = re.search(r"password (\S+) \(editor\)", again.stdout)
    assert second and second.group(1) != password.group(1)
    site = make_site(database_url)
    browser = Browser(TestClient(site.app))
    assert browser.sign_in("demo", password.group(1)).url.path == "/login"  # the old password is gone
    signed = browser.sign_in("demo", second.group(1))
    assert signed.url.path == "/dashboard" and "INC-1" in text_of(browser.get("/incidents"))
    site.db.dispose()


def test_the_demo_sign_in_reviews_the_demo_post_mortem_and_publishes_it_in_the_browser(cli, database_url: str):
    assert cli("demo", "--quiet").exit_code == 0
    without_user = json.loads(cli("review", "show", "INC-1", "--json").stdout)
    assert without_user["status"] == "in-review" and without_user["reviewers"] == ["sarah.lindqvist", "ming.zhao"]
    users = {u["name"]: (u["role"], u["active"]) for u in json.loads(cli("user", "list", "--json").stdout)}
    assert users == {"sarah.lindqvist": ("editor", True), "ming.zhao": ("editor", True)}  # reviewers are accounts
    assert [(h["actor"], h["action"], h["to_status"]) for h in without_user["history"]] == [
        ("Dave Okafor", "request", "in-review")
    ]
    loaded = cli("demo", "--quiet", "--user", "demo")
    password = re.search(r"Web sign-in: user demo, password (\S+) \(editor\)", loaded.stdout)
    assert password, loaded.stdout
    site = make_site(database_url)
    browser = Browser(TestClient(site.app))
    browser.sign_in("demo", password.group(1))
    review = browser.get("/incidents/INC-1/review")
    shown = text_of(review)
    assert "Reviewers sarah.lindqvist, ming.zhao, demo" in shown and "Approvals 0 of 1 needed" in shown
    steps = re.findall(r'<td data-label="Who">([^<]+)</td><td data-label="Step">(\w+)</td>\s*<td[^>]*>([^<]+)</td>',
                       review.text)  # fmt: skip
    assert steps == [("Dave Okafor", "request", "draft → in-review")]
    assert "/incidents/INC-1/review/approve" in forms_of(review)
    approved = browser.post("/incidents/INC-1/review/approve", {"comment": "Clear and blameless."})
    assert "Approved. The post-mortem is approved." in text_of(approved)
    published = browser.post("/incidents/INC-1/review/publish", {"comment": ""})
    assert "Published." in text_of(published) and 'aria-current="step">published' in published.text
    assert re.findall(r'<td data-label="Step">(\w+)</td>', published.text) == ["publish", "approve", "request"]
    cli("demo", "--quiet", "--user", "demo")  # loading the demo again starts its review over
    again = json.loads(cli("review", "show", "INC-1", "--json").stdout)
    assert again["status"] == "in-review" and again["published_at"] is None and again["approvals"] == []
    assert [(h["actor"], h["action"]) for h in again["history"]] == [("Dave Okafor", "request")]
    site.db.dispose()
