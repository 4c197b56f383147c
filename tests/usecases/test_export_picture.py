"""The HTML and PDF exports of a post-mortem draw the timeline's picture (inline SVG under the export's policy: no
script, nothing loaded); the Markdown export has none."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.documents import pdf
from afteraction.documents.render import CSP_META_TAG
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.service import add_event
from afteraction.usecases.documents import export_document
from afteraction.usecases.incidents import create_incident
from tests.timeline.test_paging import START, add_events

SYSTEM = Actor.system("ana")
HOSTILE = "</title><script>alert(1)</script>"


@pytest.fixture
def incident(db: Database) -> str:
    new = NewIncident(title="Checkout down", severity="SEV1")
    found = create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id
    add_events(db, found, 90)  # slack, pagerduty and git; the first alert is the detected moment
    add_event(db, incident_id=found, at=START + timedelta(seconds=10), text=f"rolled back {HOSTILE}", actor=SYSTEM)
    return found


def test_the_html_export_draws_the_timeline_inline(db: Database, incident: str) -> None:
    html = str(export_document(db, incident_id=incident, fmt="html", actor=SYSTEM))
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 1 and 'class="timeline-picture"' in svgs[0] and 'role="img"' in svgs[0]
    assert html.index("<h2>Timeline</h2>") < html.index("<svg")
    assert svgs[0].count('class="mark"') >= 2 and ">detected</text>" in svgs[0]
    assert "rolled back &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in svgs[0]
    assert "<script" not in html and CSP_META_TAG in html
    assert "href=" not in svgs[0]  # no link out of a saved file: the marks are focusable on their own
    assert "<svg" not in str(export_document(db, incident_id=incident, fmt="md", actor=SYSTEM))


def test_an_incident_without_events_exports_no_picture(db: Database) -> None:
    new = NewIncident(title="Quiet", severity="SEV1")
    quiet = create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id
    assert "<svg" not in str(export_document(db, incident_id=quiet, fmt="html", actor=SYSTEM))


@pytest.mark.skipif(pdf.find_browser() is None, reason="chromium is not installed")
def test_the_pdf_export_prints_the_picture(db: Database, incident: str) -> None:
    from pypdf import PdfReader

    printed = export_document(db, incident_id=incident, fmt="pdf", actor=SYSTEM)
    assert isinstance(printed, bytes) and printed.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(printed)).pages)
    assert "by hand" in text and "detected" in text  # a lane's and a key moment's labels
