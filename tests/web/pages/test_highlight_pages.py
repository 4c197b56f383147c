"""Stars on the incident page and the post-mortem page that shows only the starred events: what a reader sees."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from afteraction.core.actor import Actor
from afteraction.timeline.highlights import set_highlights
from afteraction.timeline.service import add_event, list_events
from tests.timeline.test_paging import add_events
from tests.web.pages.conftest import Site, new_incident, text_of

SYSTEM = Actor.system()


def test_an_editor_stars_an_event_and_the_post_mortem_shows_the_highlights_only(site: Site):
    incident = new_incident(site, started_at="2024-03-14T10:00:00Z")
    add_events(site.db, incident, 30)  # chat and alerts without a choice: stored as they came, not highlights
    add_event(site.db, incident_id=incident, at=datetime(2024, 3, 14, 10, 0, 9, tzinfo=UTC), text="Rolled back v42",
              actor=SYSTEM)  # fmt: skip
    events = list_events(site.db, incident_id=incident, actor=SYSTEM)
    chat = next(e for e in events if e.text == "event 4")
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}")
    assert re.search(rf'<tr id="event-{chat.id}" class="[^"]*"', page.text)
    assert "☆ Star" in text_of(page) and "★ Unstar" in text_of(page)
    starred = editor.post(
        f"/incidents/{incident}/timeline/{chat.id}/highlight", {"on": "1", "at": "2024-03-14T10:00:01"}
    )
    assert "Starred the event" in text_of(starred) and f'<tr id="event-{chat.id}" class=" highlight"' in starred.text
    post_mortem = text_of(editor.get(f"/incidents/{incident}/postmortem"))
    assert "Rolled back v42" in post_mortem and "event 4" in post_mortem
    assert "event 5" not in post_mortem and "event 6" not in post_mortem  # evidence stays on the incident page
    only = editor.get(f"/incidents/{incident}?highlights=1")
    assert [int(n) for n in re.findall(r'<tr id="event-(\d+)"', only.text)] == [
        e.id for e in list_events(site.db, incident_id=incident, actor=SYSTEM) if e.highlight
    ]
    unstarred = editor.post(f"/incidents/{incident}/timeline/{chat.id}/highlight", {"at": ""})
    assert "Unstarred the event" in text_of(unstarred)
    assert "event 4" not in text_of(editor.get(f"/incidents/{incident}/postmortem"))
    # A viewer sees the stars but may not change them.
    assert (
        site.browser("viewer").post(f"/incidents/{incident}/timeline/{chat.id}/highlight", {"on": "1"}).status_code
        == 403
    )


def test_events_kept_outside_the_incidents_window_are_flagged(site: Site):
    incident = new_incident(site, started_at="2024-03-14T10:00:00Z")
    start = datetime(2024, 3, 14, 10, 0, tzinfo=UTC)
    add_event(site.db, incident_id=incident, at=start - timedelta(days=400), text="An old message", actor=SYSTEM)
    add_event(site.db, incident_id=incident, at=start + timedelta(minutes=5), text="Checkout errors", actor=SYSTEM)
    page = text_of(site.browser("viewer").get(f"/incidents/{incident}"))
    assert page.count("outside the incident") == 1
    assert page.index("An old message") > page.index("outside the incident")


def test_the_post_mortem_says_how_to_choose_highlights_when_there_are_none(site: Site):
    incident = new_incident(site)
    add_events(site.db, incident, 5)
    events = list_events(site.db, incident_id=incident, actor=SYSTEM)
    set_highlights(site.db, event_ids=[e.id for e in events], on=False, actor=SYSTEM)
    assert "No highlights yet" in text_of(site.browser("viewer").get(f"/incidents/{incident}/postmortem"))


def test_each_event_has_a_page_with_its_star_key_moment_corrections_and_deletion(site: Site):
    incident = new_incident(site, started_at="2024-03-14T10:00:00Z")
    event = add_event(site.db, incident_id=incident, at=datetime(2024, 3, 14, 10, 4, 40, tzinfo=UTC),
                      text="Error rate <b>alert</b> fired", kind="alert", actor=SYSTEM)  # fmt: skip
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}/timeline/{event.id}")
    shown = text_of(page)
    assert page.status_code == 200 and "Error rate <b>alert</b> fired" in shown and "<b>alert</b>" not in page.text
    assert "Correct the event" in shown and "Delete this event" in shown and "★ Unstar" in shown
    back = f'href="/incidents/{incident}?at=2024-03-14T10%3A04%3A40#event-{event.id}"'
    assert back in page.text
    marked = editor.post(f"/incidents/{incident}/timeline/{event.id}/moment", {"moment": "detected"})
    assert "Marked the event as detected." in text_of(marked) and "?at=2024-03-14T10%3A04%3A40" in str(marked.url)
    viewer = text_of(site.browser("viewer").get(f"/incidents/{incident}/timeline/{event.id}"))
    assert "Error rate" in viewer and "Correct the event" not in viewer
    hidden = new_incident(site, private="true")
    secret = add_event(site.db, incident_id=hidden, at=datetime(2024, 3, 14, tzinfo=UTC), text="secret", actor=SYSTEM)
    assert site.browser("outsider").get(f"/incidents/{hidden}/timeline/{secret.id}").status_code == 404
    assert site.browser("outsider").get(f"/incidents/{incident}/timeline/{secret.id}").status_code == 404
    assert editor.get(f"/incidents/{incident}/timeline/99999").status_code == 404
