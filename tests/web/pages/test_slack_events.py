"""An imported Slack message reads like Slack on the incident page, in the HTML export and through the API: its
channel, its thread, an "open in Slack" link and its code as code."""

from __future__ import annotations

import io
import json
import re
import zipfile

import httpx

from afteraction.core.actor import Actor
from afteraction.usecases.documents import export_document
from tests.web.conftest import Api
from tests.web.conftest import new_incident as api_incident
from tests.web.pages.conftest import Site, new_incident, text_of

SYSTEM = Actor.system("ana")
DAY = "incident-db/2024-03-14.json"
MESSAGES = [
    {"type": "message", "user": "U1", "ts": "1710410520.000100", "thread_ts": "1710410520.000100",
     "text": "<!here> checkout 5xx, rolling back:\n```kubectl rollout undo deploy/checkout```",
     "pinned_to": ["C01INC"]},
    {"type": "message", "user": "U2", "ts": "1710410530.123456", "thread_ts": "1710410520.000100",
     "text": "on it <@U1>, see <https://grafana.example/d/1|the dashboard>", "reactions": [{"name": "eyes"}]},
    {"type": "message", "user": "U2", "ts": "1710410540.000000", "text": "&lt;script&gt;alert(1)&lt;/script&gt; `ok`"},
]  # fmt: skip


def export_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("channels.json", json.dumps([{"id": "C01INC", "name": "incident-db"}]))
        archive.writestr(
            "users.json", json.dumps([{"id": "U1", "real_name": "Alice Adams"}, {"id": "U2", "real_name": "Bob"}])
        )
        archive.writestr(DAY, json.dumps(MESSAGES))
    return buffer.getvalue()


def upload(site: Site, incident: str, **form: str) -> httpx.Response:
    return site.browser("editor").post(
        f"/incidents/{incident}/timeline/import",
        {"all_time": "true", **form},
        files={"file": ("slack.zip", export_zip(), "application/zip")},
    )


def test_the_incident_page_shows_a_slack_messages_channel_thread_link_and_code(site: Site) -> None:
    incident = new_incident(site)
    page = upload(site, incident, slack_workspace="https://acme.slack.com")
    assert "Imported slack.zip as slack" in text_of(page), text_of(page)[:300]
    html = page.text
    assert '<span class="event-meta muted">#incident-db</span>' in html
    assert '<span class="event-meta muted">#incident-db · reply in thread</span>' in html
    assert (
        '<a href="https://acme.slack.com/archives/C01INC/p1710410520000100" rel="noopener noreferrer nofollow">'
        "open in Slack</a>" in html
    )
    assert "https://acme.slack.com/archives/C01INC/p1710410530123456?thread_ts=1710410520.000100&amp;cid=C01INC" in html
    assert "<code>kubectl rollout undo deploy/checkout</code>" in html
    assert '<span class="mention">@here</span>' in html and '<span class="mention">@Alice Adams</span>' in html
    assert '<a href="https://grafana.example/d/1" rel="noopener noreferrer nofollow">the dashboard</a>' in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'name="slack_workspace"' in html  # the import form asks for it


def test_a_bad_workspace_on_the_form_is_refused_by_name(site: Site) -> None:
    incident = new_incident(site)
    page = upload(site, incident, slack_workspace="javascript:alert(1)")
    assert "Slack workspace: 'javascript:alert(1)' is not a Slack workspace URL" in text_of(page)
    assert "open in Slack" not in page.text


def test_the_html_export_shows_slack_highlights_as_the_page_does(site: Site) -> None:
    incident = new_incident(site)
    upload(site, incident, slack_workspace="https://acme.slack.com")
    html = export_document(site.db, incident_id=incident, fmt="html", actor=SYSTEM)
    assert isinstance(html, str)
    # The post-mortem shows highlights: the pinned and the reacted-to message, not the third.
    assert '<span class="event-meta">#incident-db</span>' in html
    assert '<span class="event-meta">#incident-db · reply in thread</span>' in html
    assert "<code>kubectl rollout undo deploy/checkout</code>" in html
    assert '<span class="mention">@Alice Adams</span>' in html
    assert re.search(r'href="https://acme\.slack\.com/archives/C01INC/p1710410520000100"[^>]*>open in Slack</a>', html)
    assert "alert(1)" not in html


def test_the_api_upload_takes_the_workspace_and_refuses_a_bad_one(api: Api) -> None:
    api_incident(api)
    url = "/api/v1/incidents/INC-1/timeline/import"
    files = {"file": ("slack.zip", export_zip(), "application/zip")}
    bad = api.call("editor", "POST", url, files=files, data={"slack_workspace": "http://acme.slack.com"})
    assert (
        bad.status_code == 422 and "slack_workspace: 'http://acme.slack.com' is not a Slack workspace URL" in bad.text
    )
    good = api.call(
        "editor", "POST", url, files=files, data={"slack_workspace": "https://acme.slack.com", "all_time": "true"}
    )
    assert good.status_code == 200, good.text
    events = api.call("viewer", "GET", "/api/v1/incidents/INC-1/timeline").json()["items"]
    assert [(event["channel"], event["link"]) for event in events][:2] == [
        ("incident-db", "https://acme.slack.com/archives/C01INC/p1710410520000100"),
        (
            "incident-db",
            "https://acme.slack.com/archives/C01INC/p1710410530123456?thread_ts=1710410520.000100&cid=C01INC",
        ),
    ]
