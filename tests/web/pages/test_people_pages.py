"""The People page (the directory: editors add and change people, everyone picks their own notification channels) and
the dashboard's "Waiting for you" (the signed-in person's inbox)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from afteraction.actions.service import add_action
from afteraction.core.actor import Actor
from tests.web.pages.conftest import Site, forms_of, new_incident, text_of


def test_editors_add_and_change_people_and_a_viewer_picks_only_their_own_channels(site: Site):
    editor, viewer = site.browser("editor"), site.browser("viewer")
    added = text_of(editor.post("/people", {"name": "Rita Gomez", "email": "rita@example.com", "team": "payments"}))
    assert "Added Rita Gomez to the directory." in added and "payments" in added
    again = text_of(editor.post("/people", {"name": "rita gomez"}))
    assert "'Rita Gomez' is already in the directory" in again
    page = viewer.get("/people")
    assert "Rita Gomez" in text_of(page) and "/people" not in forms_of(page)  # a viewer adds nobody
    rita = re.findall(r'<tr id="p(\d+)"', page.text)[0]
    assert viewer.post(f"/people/{rita}", {"team": "core"}).status_code == 403
    refused = text_of(viewer.post(f"/people/{rita}/channels", {"notify_email": "true"}))
    assert "only editors change other people" in refused
    me = site.browser("viewer").get("/people?q=viewer")  # everyone who signs in is in the directory
    assert "reviewer" in text_of(me) and "(you)" in text_of(me)
    own = re.findall(r'<tr id="p(\d+)">\s*<td>viewer <span class="muted small">\(you\)', me.text)[0]
    saved = text_of(viewer.post(f"/people/{own}/channels", {"notify_slack": "true"}))
    assert "Saved viewer." in saved
    row = viewer.get("/people?q=viewer").text
    assert 'name="notify_email" value="true" checked' not in row and 'name="notify_slack" value="true" checked' in row


def test_the_dashboard_shows_what_waits_for_the_signed_in_person(site: Site):
    incident = new_incident(site, title="Checkout down")
    late = date.today() - timedelta(days=3)
    add_action(site.db, actor=Actor.system(), incident_id=incident, title="Fix the alert", owner="viewer", due=late)
    page = text_of(site.browser("viewer").get("/dashboard"))
    assert "Waiting for you (viewer)" in page
    assert "Fix the alert" in page and f"overdue since {late.isoformat()}" in page
    assert "No post-mortem is waiting for your review." in page
    other = text_of(site.browser("editor").get("/dashboard"))
    assert "You own no open action item." in other
