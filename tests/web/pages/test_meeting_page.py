"""A review meeting in the browser: it goes through post-mortems to review and items due or overdue by owner, marks
them discussed, changes an item and records decisions, then ends with minutes in Markdown sent to the attendees;
the next meeting shows the last one's decisions. Notes about a private incident stay hidden from non-members."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from afteraction.actions.service import add_action
from afteraction.core.actor import Actor
from afteraction.notifications.models import Notification
from afteraction.people.service import PersonChanges, change_person
from tests.web.pages.conftest import Site, new_incident, text_of

SYSTEM = Actor.system()


def _meeting_id(response) -> str:
    found = re.search(r"/meetings/(\d+)$", str(response.url))
    assert found, response.url
    return found.group(1)


def test_a_meeting_goes_through_items_records_decisions_and_sends_minutes(site: Site):
    incident = new_incident(site, title="Checkout down")
    late = date.today() - timedelta(days=2)
    add_action(site.db, actor=SYSTEM, incident_id=incident, title="Fix the alert", owner="Bo Chen", due=late)
    change_person(site.db, who="Bo Chen", changes=PersonChanges(email="bo@example.com"))
    editor = site.browser("editor")
    started = editor.post("/meetings", {"title": "Weekly review", "held_on": date.today().isoformat(),
                                        "attendees": "Bo Chen, editor"})  # fmt: skip
    meeting = _meeting_id(started)
    page = text_of(started)
    assert "Started 'Weekly review'." in page and "Bo Chen" in page and "Fix the alert" in page and "overdue" in page
    discussed = text_of(editor.post(f"/meetings/{meeting}/discussed", {"target": "AI-1"}))
    assert "Marked AI-1 discussed." in discussed and "discussed" in discussed
    later = (date.today() + timedelta(days=14)).isoformat()
    changed = text_of(editor.post(f"/meetings/{meeting}/items/AI-1", {"status": "in-progress", "due": later}))
    assert f"AI-1, status open → in-progress, due {late.isoformat()} → {later}" in changed
    decided = text_of(editor.post(f"/meetings/{meeting}/decisions", {"text": "Page the payments team on 5xx",
                                                                    "incident_id": incident}))  # fmt: skip
    assert "Recorded the decision." in decided and "Page the payments team on 5xx" in decided
    bad = text_of(editor.post(f"/meetings/{meeting}/decisions", {"text": "x", "incident_id": "INC-99"}))
    assert "no incident INC-99" in bad
    minutes = editor.get(f"/meetings/{meeting}/minutes.md")
    assert minutes.headers["content-type"].startswith("text/markdown")
    assert "## Decisions\n\n- Page the payments team on 5xx (INC-1)" in minutes.text
    assert "Attendees: Bo Chen, editor" in minutes.text and "- AI-1" in minutes.text
    sent = text_of(editor.post(f"/meetings/{meeting}/minutes", {}))
    assert "The meeting has ended; the minutes go out in 2 message(s)." in sent
    with site.db.transaction() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == "minutes")).all()
        assert sorted(row.channel for row in rows) == ["email", "email"]
        assert all("Page the payments team on 5xx" in row.body for row in rows)
    closed = text_of(editor.post(f"/meetings/{meeting}/decisions", {"text": "One more"}))
    assert "has ended: start a new one to record more" in closed
    following = editor.post("/meetings", {"title": "Next review", "held_on": (date.today() + timedelta(days=7))
                                          .isoformat()})  # fmt: skip
    assert "Decisions of the last meeting" in text_of(following)
    assert "Page the payments team on 5xx" in text_of(following)
    assert site.browser("viewer").post(f"/meetings/{meeting}/discussed", {"target": "AI-1"}).status_code == 403


def test_notes_about_a_private_incident_are_hidden_from_non_members(site: Site):
    secret = new_incident(site, "admin", title="Payroll leak", private="true")
    admin = site.browser("admin")
    meeting = _meeting_id(admin.post("/meetings", {"title": "Security review"}))
    admin.post(f"/meetings/{meeting}/decisions", {"text": "Rotate every payroll key", "incident_id": secret})
    assert "Rotate every payroll key" in text_of(admin.get(f"/meetings/{meeting}"))
    outsider = text_of(site.browser("outsider").get(f"/meetings/{meeting}"))
    assert "Rotate every payroll key" not in outsider and secret not in outsider
    assert "Rotate every payroll key" not in site.browser("outsider").get(f"/meetings/{meeting}/minutes.md").text
