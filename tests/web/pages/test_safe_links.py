"""What a reader sees of Markdown and links from users: the same sanitized HTML on the pages and in the HTML
export, and never a javascript: link, whether it came from a section or from a timeline event."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from afteraction.core.actor import Actor
from afteraction.core.errors import InvalidInput
from afteraction.documents.markdown import markdown_html
from afteraction.reviews.sections import update_text_section
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import add_event
from tests.web.pages.conftest import Site, new_incident

SYSTEM = Actor.system()
BAD_HREF = re.compile(r"<a\b[^>]*href\s*=\s*[\"']?\s*(javascript|vbscript|data):", re.IGNORECASE)
SUMMARY = (
    "Checkout failed: [x](javascript:alert(1)) and [the runbook](https://example.org/runbook).\n\n"
    '<a href="javascript:alert(2)">raw</a> ~~old~~ [ftp](ftp://files.example/x)'
)


def test_a_javascript_link_survives_neither_on_the_pages_nor_in_the_html_export(site: Site):
    incident = new_incident(site)
    update_text_section(site.db, actor=SYSTEM, incident_id=incident, name="summary", text=SUMMARY)
    at = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="http, https or mailto"):
        add_event(site.db, actor=SYSTEM, incident_id=incident, at=at, text="Alert fired", link="javascript:alert(3)")
    # A link stored before the rule (an older database) is still never a javascript: link on the way out.
    old = add_event(site.db, actor=SYSTEM, incident_id=incident, at=at, text="Alert fired", link="https://x.example")
    with site.db.transaction() as session:
        session.execute(update(TimelineEvent).where(TimelineEvent.id == old.id).values(link="javascript:alert(3)"))
    add_event(site.db, actor=SYSTEM, incident_id=incident, at=at, text="Rolled back", link="https://ci.example/run/9")
    viewer = site.browser("viewer")
    timeline = viewer.get(f"/incidents/{incident}").text
    postmortem = viewer.get(f"/incidents/{incident}/postmortem").text
    export = viewer.client.get(f"/incidents/{incident}/export/html").text
    for where, html in (("incident page", timeline), ("post-mortem page", postmortem), ("HTML export", export)):
        assert not BAD_HREF.search(html), f"a javascript: link got into the {where}"
        assert "alert(3)" not in html, f"the event's javascript: link shows in the {where}"
    # One renderer: the summary is the same HTML on the page and in the export.
    summary = str(markdown_html(SUMMARY))
    assert '<a href="https://example.org/runbook" rel="noopener noreferrer nofollow">the runbook</a>' in summary
    assert "<s>old</s>" in summary and "&lt;a href=" in summary and 'href="ftp:' not in summary
    assert summary in postmortem and summary in export
    # An event's http(s) link is a link on both.
    assert re.search(r'<a href="https://ci\.example/run/9" rel="noopener noreferrer nofollow">link</a>', timeline)
    assert '<a href="https://ci.example/run/9" rel="noopener noreferrer nofollow">link</a>' in export
