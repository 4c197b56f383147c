"""The incident page shows its timeline a page at a time: the first 200 events, then "Next 200" and "Previous"
links that carry the cursor and the filters, and a field that jumps to a time; never every event at once."""

from __future__ import annotations

import re
from html import unescape

import httpx

from afteraction.core.actor import Actor
from afteraction.timeline.service import list_events
from tests.timeline.test_paging import add_events
from tests.web.pages.conftest import Site, new_incident, text_of

SYSTEM = Actor.system()


def _shown(page: httpx.Response) -> list[int]:
    """The ids of the events the page shows, in order."""
    return [int(found) for found in re.findall(r'<tr id="event-(\d+)"', page.text)]


def _link(page: httpx.Response, label: str) -> str:
    found = re.search(rf'<a href="([^"]+)"[^>]*>{label}</a>', page.text)
    assert found, f"no link {label!r}"
    return unescape(found.group(1))


def test_the_timeline_shows_200_events_and_pages_with_next_and_previous(site: Site):
    incident = new_incident(site)
    add_events(site.db, incident, 450, undated=2)
    everything = [e.id for e in list_events(site.db, incident_id=incident, actor=SYSTEM)]
    viewer = site.browser("viewer")
    first = viewer.get(f"/incidents/{incident}")
    assert first.status_code == 200 and _shown(first) == everything[:200]
    assert "Previous" not in text_of(first)
    second = viewer.get(_link(first, "Next 200"))
    assert _shown(second) == everything[200:400]
    third = viewer.get(_link(second, "Next 200"))
    assert _shown(third) == everything[400:] and "Next 200" not in text_of(third)
    assert _shown(viewer.get(_link(third, "Previous"))) == everything[200:400]
    assert _shown(viewer.get(_link(second, "Previous"))) == everything[:200]
    # The filters travel with the cursor.
    messages = viewer.get(f"/incidents/{incident}?kind=message&q=EVENT")
    next_messages = _link(messages, "Next 200")
    assert "kind=message" in next_messages and "q=EVENT" in next_messages and "cursor=" in next_messages
    expected = [e.id for e in list_events(site.db, incident_id=incident, actor=SYSTEM)
                if e.kind == "message" and "event" in e.text]  # fmt: skip
    assert len(expected) == 360 and _shown(messages) + _shown(viewer.get(next_messages)) == expected
    git = viewer.get(f"/incidents/{incident}?source=git")
    assert '<option value="git" selected>' in git.text and len(_shown(git)) == 150 and "Next 200" not in git.text
    nothing = viewer.get(f"/incidents/{incident}?q=no+such+words")
    assert _shown(nothing) == [] and "No event matches these filters" in text_of(nothing)
    bad = viewer.get(f"/incidents/{incident}?cursor=nonsense")
    assert "cursor: not a cursor of this timeline" in text_of(bad) and _shown(bad) == everything[:200]


def test_jump_to_a_time_starts_the_page_there(site: Site):
    incident = new_incident(site)
    add_events(site.db, incident, 450)
    everything = list_events(site.db, incident_id=incident, actor=SYSTEM)
    viewer = site.browser("viewer")
    jumped = viewer.get(f"/incidents/{incident}?at=2026-03-14T10:01:40")
    shown = _shown(jumped)
    start = next(n for n, e in enumerate(everything) if e.at and e.at.minute == 1 and e.at.second == 40)
    assert shown == [e.id for e in everything[start : start + 150]]
    assert "2026-03-14 10:01:40" in text_of(jumped)
    back = viewer.get(_link(jumped, "Previous"))
    assert _shown(back) == [e.id for e in everything[start - 200 : start]]
    wrong = viewer.get(f"/incidents/{incident}?at=soon")
    assert "at: 'soon' is not a time" in text_of(wrong)
    past_the_first_day = viewer.get(f"/incidents/{incident}", params={"at": "0001-01-01T00:00:00+05:00"})
    assert past_the_first_day.status_code == 200 and "is not a time" in text_of(past_the_first_day)
