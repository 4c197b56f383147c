"""The picture of the timeline and the paged, filtered timeline in real headless Chromium, at a laptop's and a phone's
width: the picture fits the screen, Tab reaches a mark that names its event and Enter opens the event in the
timeline; the timeline is filtered by source, paged forward and back, and jumped to a time, all from the keyboard."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from afteraction.core.actor import Actor
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import add_event, mark_event
from afteraction.usecases.incidents import create_incident
from tests.e2e.conftest import Server, expect, screenshot, sign_in
from tests.timeline.test_paging import START, add_events

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SYSTEM = Actor.system()
FITS = """() => {
    const svg = document.querySelector('svg.timeline-picture');
    const box = svg.getBoundingClientRect();
    const scale = svg.getScreenCTM().a;
    const px = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {scroll: document.documentElement.scrollWidth - window.innerWidth, width: box.width, height: box.height,
            right: box.right, screen: window.innerWidth, smallest: Math.min(...px)};
}"""


def _incident(server: Server) -> tuple[str, int]:
    """An incident of 450 events from slack, pagerduty and git and one added by hand, some of them highlights, with
    a detected (derived) and a resolved moment; and the id of the hand-added event."""
    db = server.app.state.db
    new = NewIncident(title="Checkout returned 502s", severity="SEV2")
    incident = create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV2"]).id
    add_events(db, incident, 450)
    with db.transaction() as session:
        session.execute(
            update(TimelineEvent).where(TimelineEvent.source == "pagerduty", TimelineEvent.kind == "alert")
            .values(highlight=True)
        )  # fmt: skip
        last = session.scalar(select(TimelineEvent.id).where(TimelineEvent.text == "event 440"))
    assert last is not None
    mark_event(db, event_id=last, moment="resolved", incident_id=incident, actor=SYSTEM)
    rolled = add_event(db, incident_id=incident, at=START + timedelta(seconds=30), text="Rolled back the config",
                       actor=SYSTEM)  # fmt: skip
    return incident, rolled.id or 0


def _shown(page: Page) -> list[str]:
    ids: list[str] = page.locator("table.timeline tbody tr").evaluate_all("rows => rows.map(row => row.id)")
    return ids


def _focus_by_tab(page: Page, selector: str, limit: int = 300) -> None:
    """Press Tab until the focused element matches the selector."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_picture_fits_and_a_mark_is_reached_and_followed_with_the_keyboard(
    chromium: Browser, server: Server, width: int
) -> None:
    incident, rolled = _incident(server)
    page = server.page(chromium, width=width, height=900)
    sign_in(page, server, "reader")
    page.goto(f"{server.url}/incidents/{incident}")
    picture = page.locator("svg.timeline-picture")
    expect(picture).to_be_visible()
    fits = page.evaluate(FITS)
    assert fits["scroll"] == 0 and fits["right"] <= fits["screen"] and fits["width"] > 0.7 * min(width, 1000)
    assert fits["smallest"] >= (8.5 if width == 390 else 11), fits  # labels stay readable
    expect(picture.get_by_text("detected", exact=True)).to_be_visible()
    expect(picture.get_by_text("resolved", exact=True)).to_be_visible()
    screenshot(page, f"timeline-picture-{width}")
    # Tab to the first mark: its accessible name and its title are the event.
    _focus_by_tab(page, "svg.timeline-picture a.mark")
    focused = page.locator("svg.timeline-picture a.mark:focus")
    name = focused.get_attribute("aria-label") or ""
    assert re.fullmatch(r"2026-03-14 10:00:\d\d UTC · (slack|pagerduty) alert: event \d+", name), name
    assert focused.locator("title").text_content() == name
    expect(focused).to_have_accessible_name(name)
    # The hand-added event's mark, reached by Tab too, opens its row in the timeline.
    mark = page.locator(f'svg.timeline-picture a.mark[href$="#event-{rolled}"]')
    expect(mark).to_have_accessible_name("2026-03-14 10:00:30 UTC · manual note: Rolled back the config")
    _focus_by_tab(page, f'svg.timeline-picture a.mark[href$="#event-{rolled}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(
        re.compile(rf"\?at=2026-03-14T10%3A00%3A30#event-{rolled}$|\?at=2026-03-14T10:00:30#event-{rolled}$")
    )
    expect(page.locator(f"#event-{rolled}")).to_be_in_viewport()
    page.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_paged_filtered_timeline_with_the_keyboard(chromium: Browser, server: Server, width: int) -> None:
    incident, _ = _incident(server)
    page = server.page(chromium, width=width, height=900)
    sign_in(page, server, "reader")
    page.goto(f"{server.url}/incidents/{incident}")
    first = _shown(page)
    assert len(first) == 200
    # Filter by source: choose git in the select with the arrow keys, then submit from the keyboard.
    source = page.get_by_label("Source", exact=True)
    source.focus()
    while source.input_value() != "git":
        page.keyboard.press("ArrowDown")
    page.locator(".timeline-filters").get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"source=git"))
    git = _shown(page)
    assert len(git) == 150 and page.locator("table.timeline tbody .src-git").count() == 150
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    # Every source: the next page and back, following the links with Enter.
    page.goto(f"{server.url}/incidents/{incident}")
    page.get_by_role("link", name="Next 200").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"cursor="))
    second = _shown(page)
    assert len(second) == 200 and not set(second) & set(first)
    page.get_by_role("link", name="Previous").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('table.timeline tbody tr').length === 200")
    expect(page.locator("table.timeline tbody tr").first).to_have_id(first[0])
    assert _shown(page) == first
    # Jump to a time: type it, and Enter sends the form.
    jump = page.get_by_label("Jump to (UTC)")
    jump.fill("2026-03-14T10:02:00")
    jump.press("Enter")
    page.wait_for_url(re.compile(r"at=2026-03-14T10%3A02"))  # Chromium leaves out :00 seconds
    times = page.locator("table.timeline tbody td[data-label='Time (UTC)']").all_inner_texts()
    assert times[0].startswith("2026-03-14 10:02:00") and len(times) == 90  # three a second, from the 120th on
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    page.context.close()
