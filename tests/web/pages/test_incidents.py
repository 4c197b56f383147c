"""The incident pages as people use them: the list and its filters, a new incident, its timeline and metrics."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

from afteraction.actions.service import add_action
from afteraction.core.actor import Actor
from afteraction.domain.actions import ActionChanges
from afteraction.domain.incidents import IncidentChanges, NewIncident
from afteraction.incidents.members import add_member
from afteraction.reviews.sections import update_text_section
from afteraction.timeline.service import EVENT_KINDS, add_event, list_events
from afteraction.usecases.actions import update_action
from afteraction.usecases.incidents import update_incident
from tests.web.pages.conftest import Site, new_incident, text_of

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

FIXTURES = Path(__file__).resolve().parents[2] / "timeline" / "fixtures"


def slack_zip() -> bytes:
    """The Slack export fixture as the .zip Slack hands out."""
    buffer = io.BytesIO()
    folder = FIXTURES / "slack" / "export"
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*.json")):
            archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def test_an_editor_creates_an_incident_and_becomes_its_member(site: Site):
    editor = site.browser("editor")
    form = editor.get("/incidents/new")
    assert 'for="n-title"' in form.text and 'id="n-title"' in form.text
    page = editor.post(
        "/incidents",
        {
            "title": "DB failover",
            "severity": "sev1",
            "services": "orders, payments",
            "private": "true",
            "started_at": "2026-03-14T10:00:00",
        },
    )
    assert page.url.path == "/incidents/INC-1"
    shown = text_of(page)
    assert "Created INC-1." in shown and "DB failover" in shown and "SEV1" in shown and "private" in shown
    assert "Services: orders, payments" in shown and "2026-03-14 10:00:00 UTC (manual)" in shown
    missing = editor.post("/incidents", {"title": " ", "severity": "SEV2"})
    assert missing.url.path == "/incidents/new" and "title must not be empty" in text_of(missing)


def test_the_list_filters_by_every_field_and_searches(site: Site):
    first = new_incident(site, title="Checkout 502s", severity="SEV1", services="checkout")
    second = new_incident(site, title="Slow search", severity="SEV3", services="search", kind="near-miss")
    third = new_incident(site, title="Disk full on db-1", severity="SEV2", services="db")
    update_text_section(
        site.db, incident_id=third, name="summary", text="The WAL volume filled up overnight.", actor=SYSTEM
    )
    item = add_action(site.db, incident_id=second, title="Alert on p99", due=date(2020, 1, 1), actor=SYSTEM)
    viewer = site.browser("viewer")

    def listed(query: str) -> list[str]:
        return re.findall(r'<span class="id">(INC-\d+)</span>', viewer.get(f"/incidents{query}").text)

    assert listed("") == [third, second, first]
    assert listed("?severity=SEV1") == [first]
    assert listed("?service=search") == [second]
    assert listed("?kind=near-miss") == [second]
    assert listed("?overdue=1") == [second]
    assert listed("?q=wal+volume") == [third]
    assert listed("?q=checkout") == [first]
    assert listed(f"?q={first}") == [first]
    assert listed("?q=100%25") == []
    assert listed("?pm=draft") == [third, second, first]
    assert listed("?pm=published") == []
    assert listed("?status=open") == [third, second, first]
    update_incident(
        site.db,
        actor=SYSTEM,
        incident_id=first,
        changes=IncidentChanges(status="resolved"),
        allowed_severities=["SEV1"],
    )
    assert listed("?status=resolved") == [first] and listed("?status=open") == [third, second]
    site.browser("editor").post(f"/incidents/{second}/review/request", {"reviewer": "reviewer"})
    assert listed("?pm=in-review") == [second] and listed("?pm=draft") == [third, first]
    assert listed("?severity=SEV3&kind=near-miss&pm=in-review&overdue=1") == [second]
    update_action(site.db, actor=SYSTEM, action_id=item.id or "", changes=ActionChanges(status="done"))
    assert listed("?overdue=1") == []
    assert "No incident matches these filters." in text_of(viewer.get("/incidents?severity=SEV4"))
    bad = viewer.get("/incidents?status=exploded")
    assert bad.status_code == 422 and "Invalid status" in text_of(bad)


def test_the_list_pages_fifty_incidents_at_a_time(site: Site):
    from afteraction.usecases.incidents import create_incident

    for n in range(52):
        create_incident(
            site.db, actor=SYSTEM, new=NewIncident(title=f"Incident {n}", severity="SEV3"), allowed_severities=["SEV3"]
        )
    viewer = site.browser("viewer")
    first = viewer.get("/incidents")
    assert first.text.count('<span class="id">') == 50 and "Older" in text_of(first)
    second = viewer.get("/incidents?offset=50")
    assert re.findall(r'<span class="id">(INC-\d+)</span>', second.text) == ["INC-2", "INC-1"]


def test_a_private_incident_is_absent_for_non_members(site: Site):
    public = new_incident(site, title="Public outage")
    secret = new_incident(site, title="Credential leak", private="true")
    add_action(site.db, incident_id=secret, title="Rotate the leaked keys", owner="Ana", actor=SYSTEM)
    add_action(site.db, incident_id=public, title="Add a runbook", owner="Ana", actor=SYSTEM)
    outsider = site.browser("outsider")
    listing = text_of(outsider.get("/incidents"))
    assert "Public outage" in listing and "Credential leak" not in listing
    for path in (
        f"/incidents/{secret}",
        f"/incidents/{secret}/postmortem",
        f"/incidents/{secret}/review",
        f"/incidents/{secret}/export/md",
    ):
        page = outsider.get(path)
        assert page.status_code == 404 and f"No incident {secret}." in text_of(page), path
    board = text_of(outsider.get("/actions"))
    assert "Add a runbook" in board and "Rotate the leaked keys" not in board
    assert outsider.post(f"/incidents/{secret}/timeline", {"at": "2026-03-14T10:00", "text": "x"}).status_code == 404
    assert "Credential leak" in text_of(site.browser("editor").get("/incidents"))  # its creator is a member
    assert "Credential leak" in text_of(site.browser("admin").get("/incidents"))
    add_member(site.db, incident_id=secret, user="outsider", actor=SYSTEM)
    assert outsider.get(f"/incidents/{secret}").status_code == 200


def test_an_editor_adds_edits_marks_and_deletes_timeline_events(site: Site):
    incident = new_incident(site, started_at="2026-03-14T09:58:00")
    editor = site.browser("editor")
    added = editor.post(
        f"/incidents/{incident}/timeline",
        {"at": "2026-03-14T10:04:40", "text": "Error rate alert fired", "actor": "Alertmanager", "kind": "alert"},
    )
    shown = text_of(added)
    assert "Added the event." in shown and "2026-03-14 10:04:40" in shown and "Error rate alert fired" in shown
    assert "6 min 40 s" in shown  # time to detect, derived from the alert
    event = re.search(r'id="event-(\d+)"', added.text)
    assert event
    event_id = event.group(1)
    edited = editor.post(
        f"/incidents/{incident}/timeline/{event_id}",
        {"at": "2026-03-14T10:05:00", "text": "5xx alert fired", "actor": "", "kind": "alert", "link": ""},
    )
    assert "Saved the event." in text_of(edited) and "5xx alert fired" in text_of(edited)
    marked = editor.post(f"/incidents/{incident}/timeline/{event_id}/moment", {"moment": "mitigated"})
    assert "Marked the event as mitigated." in text_of(marked)
    assert "(marked)" in text_of(marked) and "7 min" in text_of(marked)
    wrong = editor.post(f"/incidents/{incident}/timeline", {"at": "yesterday", "text": "x"})
    assert "is not a time such as" in text_of(wrong)
    gone = editor.post(f"/incidents/{incident}/timeline/{event_id}/delete")
    assert "Deleted the event." in text_of(gone) and "No events yet" in text_of(gone)


def test_the_timeline_edit_form_offers_the_add_forms_kinds_and_keeps_one_not_in_the_list(site: Site):
    incident = new_incident(site)
    when = datetime(2026, 3, 14, 10, 4, 40, tzinfo=UTC)
    alert = add_event(site.db, incident_id=incident, at=when, text="Error rate alert fired", kind="alert", actor=SYSTEM)
    odd = add_event(site.db, incident_id=incident, at=when, text="Standup notes", kind="standup", actor=SYSTEM)
    editor = site.browser("editor")
    page = editor.get(f"/incidents/{incident}")
    # The incident page links each event to its own page, where an editor corrects it.
    assert f'href="/incidents/{incident}/timeline/{alert.id}"' in page.text

    def options(select_id: str, where: str = f"/incidents/{incident}") -> list[tuple[str, bool]]:
        found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>([\s\S]*?)</select>', editor.get(where).text)
        assert found, f"no list {select_id}"
        chosen = re.findall(r'<option value="([^"]*)"( selected)?', found.group(1))
        return [(value, bool(selected)) for value, selected in chosen]

    offered = [value for value, _ in options("a-kind")]
    assert offered == list(EVENT_KINDS) and not re.search(r'<input[^>]*id="t-kind-', page.text)
    alert_page, odd_page = (f"/incidents/{incident}/timeline/{alert.id}", f"/incidents/{incident}/timeline/{odd.id}")
    assert options(f"t-kind-{alert.id}", alert_page) == [(kind, kind == "alert") for kind in offered]
    assert options(f"t-kind-{odd.id}", odd_page) == [("standup", True), *((kind, False) for kind in offered)]
    unchanged = {"at": "2026-03-14T10:04:40", "text": "Standup notes", "actor": "", "kind": "standup", "link": ""}
    assert "Saved the event." in text_of(editor.post(f"/incidents/{incident}/timeline/{odd.id}", unchanged))
    assert [e.kind for e in list_events(site.db, incident_id=incident, actor=SYSTEM)] == ["alert", "standup"]


def test_uploading_exports_detects_their_format_and_shows_each_events_source(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.get(f"/incidents/{incident}")
    slack = editor.post(
        f"/incidents/{incident}/timeline/import", files={"file": ("export.zip", slack_zip(), "application/zip")}
    )
    shown = text_of(slack)
    assert re.search(r"Imported export\.zip as slack \(format detected\): \d+ new events, 0 already", shown), shown[
        :400
    ]
    alerts = (FIXTURES / "alertmanager" / "payloads.json").read_bytes()
    am = editor.post(f"/incidents/{incident}/timeline/import", files={"file": ("alerts.json", alerts, "text/json")})
    assert re.search(r"as alertmanager \(format detected\): [1-9]\d* new events", text_of(am))
    again = editor.post(f"/incidents/{incident}/timeline/import", files={"file": ("alerts.json", alerts, "text/json")})
    assert re.search(r": 0 new events, [1-9]\d* already in the timeline", text_of(again))
    assert 'class="badge src src-slack"' in again.text and 'class="badge src src-alertmanager"' in again.text
    junk = editor.post(
        f"/incidents/{incident}/timeline/import", files={"file": ("notes.txt", b"hello there", "text/plain")}
    )
    assert "notes.txt: cannot tell the format" in text_of(junk)
    empty = editor.post(f"/incidents/{incident}/timeline/import", files={"file": ("empty.json", b"", "text/json")})
    assert "the upload was empty" in text_of(empty)


def test_an_upload_over_the_limit_is_refused(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    big = b"[" + b" " * (300 * 1024) + b"]"
    response = editor.post(f"/incidents/{incident}/timeline/import", files={"file": ("big.json", big, "text/json")})
    assert response.status_code == 413


def test_editing_an_incident_from_a_stale_page_changes_nothing_and_says_so(site: Site):
    incident = new_incident(site, title="First title")
    alice, bob = site.browser("editor"), site.browser("outsider")
    from afteraction.incidents.members import add_member as member

    member(site.db, incident_id=incident, user="outsider", actor=SYSTEM)
    form = {"version": "1", "severity": "SEV2", "kind": "incident", "status": "open"}
    ok = alice.post(f"/incidents/{incident}", {**form, "title": "Alice's title", "resolved_at": "2026-03-14T11:00"})
    assert "Saved the incident." in text_of(ok) and "2026-03-14 11:00:00 UTC (manual)" in text_of(ok)
    stale = bob.post(f"/incidents/{incident}", {**form, "title": "Bob's title"})
    assert "your changes were not saved" in text_of(stale) and "Alice's title" in text_of(stale)
