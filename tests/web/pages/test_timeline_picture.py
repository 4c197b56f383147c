"""The incident page draws its timeline above the filters: a mark per highlight linking to the event's page of the
timeline, the key moments as labelled lines, and nothing for an incident without events or a visitor who may not see
it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select, update

from afteraction.core.actor import Actor
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import add_event, mark_event
from tests.timeline.test_paging import START, add_events
from tests.web.pages.conftest import Site, new_incident

SYSTEM = Actor.system()


def _svg(html: str) -> str:
    found: list[str] = re.findall(r'<svg\b[^>]*class="timeline-picture".*?</svg>', html, flags=re.S)
    assert len(found) == 1, "one picture"
    return found[0]


def test_the_incident_page_draws_highlights_and_key_moments(site: Site) -> None:
    incident = new_incident(site)
    add_events(site.db, incident, 400)  # slack, pagerduty and git; its first alert is the detected moment
    added = add_event(site.db, incident_id=incident, at=START + timedelta(seconds=100), text="Rolled back <v2>",
                      actor=SYSTEM)  # fmt: skip
    with site.db.transaction() as session:
        late = session.scalar(select(TimelineEvent.id).where(TimelineEvent.text == "event 390"))
        session.execute(update(TimelineEvent).where(TimelineEvent.id == late).values(highlight=True))
    assert late is not None
    mark_event(site.db, event_id=late, moment="resolved", incident_id=incident, actor=SYSTEM)
    page = site.browser("viewer").get(f"/incidents/{incident}")
    assert page.status_code == 200
    svg = _svg(page.text)
    assert page.text.index("<svg") < page.text.index('aria-label="Filter the timeline"')
    with site.db.transaction() as session:
        highlights = list(session.scalars(select(TimelineEvent.id).where(TimelineEvent.highlight)))
    links = [unescape(href) for href in re.findall(r'<a class="mark" href="([^"]+)"', svg)]
    assert len(links) == len(highlights) >= 3
    assert f"/incidents/{incident}?at=2026-03-14T10:01:40#event-{added.id}" in links
    assert 'aria-label="2026-03-14 10:01:40 UTC · manual note: Rolled back &lt;v2&gt;"' in svg
    assert ">detected</text>" in svg and ">resolved</text>" in svg
    assert ">by hand</text>" in svg and "chat</text>" in svg
    # A mark's link opens the page of the timeline where the event is.
    jumped = site.browser("viewer").get(links[-1])
    assert f'<tr id="event-{late}"' in jumped.text


def test_no_picture_without_events_and_none_for_an_outsider(site: Site) -> None:
    incident = new_incident(site)
    page = site.browser("viewer").get(f"/incidents/{incident}")
    assert page.status_code == 200 and "<svg" not in page.text
    secret = new_incident(site, private="true")
    add_events(site.db, secret, 5)
    hidden = site.browser("outsider").get(f"/incidents/{secret}")
    assert hidden.status_code == 404 and "<svg" not in hidden.text
