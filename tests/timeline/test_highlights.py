"""Highlights: the events that tell the story. Defaults by rule at import (one alert's repeated firings count once),
choices by hand that no rule undoes, a document's timeline read as highlights without losing the evidence behind
it, and the post-mortem's exports showing the highlights while the JSON export keeps every event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.domain.highlights import default_highlight
from afteraction.domain.incidents import NewIncident, TimelineEntry
from afteraction.timeline.highlights import set_highlights
from afteraction.timeline.imports import undo_import
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.paging import TimelineFilters, page_events
from afteraction.timeline.service import add_event, import_timeline, replace_timeline
from afteraction.usecases.documents import export_document
from afteraction.usecases.incidents import create_incident
from tests.timeline.archives import DAY, message, slack_zip

SYSTEM = Actor.system("ana")
T0 = datetime(2024, 3, 14, 10, 0, tzinfo=UTC)


@pytest.fixture
def incident(db: Database) -> str:
    new = NewIncident(title="Checkout down", severity="SEV1")
    return create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _alert(
    fingerprint: str, starts: datetime, ends: datetime | None = None, name: str = "HighLatency"
) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "status": "resolved" if ends else "firing",
        "labels": {"alertname": name},
        "annotations": {"summary": f"{name} on checkout"},
        "startsAt": _iso(starts),
        "endsAt": _iso(ends) if ends else "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    }
    return alert


def _alertmanager(path: Path, alerts: list[dict[str, Any]]) -> Path:
    payload = {"version": "4", "status": "firing", "receiver": "ops", "groupKey": "{}:{}", "alerts": alerts}
    path.write_text(json.dumps(payload))
    return path


def _rows(db: Database, incident: str) -> list[TimelineEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(TimelineEvent).order_by(TimelineEvent.sort_at, TimelineEvent.id)))


def _highlighted(db: Database, incident: str) -> list[str]:
    return [row.text for row in _rows(db, incident) if row.highlight]


def test_the_default_rules_name_the_events_that_tell_the_story() -> None:
    assert default_highlight("manual", "note")  # added by hand
    assert default_highlight("alertmanager", "alert") and default_highlight("pagerduty", "acknowledge")
    assert not default_highlight("pagerduty", "notify")  # one delivery per person: noise
    assert default_highlight("git", "deploy") and default_highlight("github", "rollback")
    assert not default_highlight("git", "change") and not default_highlight("jira", "status")
    assert not default_highlight("slack", "message")
    assert default_highlight("slack", "message", flagged=True)  # pinned or reacted to
    assert default_highlight("slack", "decision")


def test_one_alert_firing_again_and_again_is_one_highlight_its_first_firing_and_last_resolution(db, incident, tmp_path):
    flapping = [_alert("fp1", T0 + timedelta(minutes=10 * n), T0 + timedelta(minutes=10 * n + 5)) for n in range(4)]
    other = _alert("fp2", T0 + timedelta(minutes=3), name="DiskFull")
    import_timeline(
        db, incident_id=incident, path=_alertmanager(tmp_path / "am.json", [*flapping, other]), all_time=True,
        actor=SYSTEM,
    )  # fmt: skip
    rows = _rows(db, incident)
    assert len(rows) == 9  # 4 firings and 4 resolutions of fp1, one firing of fp2
    starred = [(row.kind, row.sort_at) for row in rows if row.highlight]
    assert starred == [
        ("alert", T0),  # fp1's first firing
        ("alert", T0 + timedelta(minutes=3)),  # fp2
        ("resolve", T0 + timedelta(minutes=35)),  # fp1's last resolution
    ]
    # A later import of the same alert firing again moves its last resolution; the first firing stays.
    later = [_alert("fp1", T0 + timedelta(minutes=50), T0 + timedelta(minutes=55))]
    second = import_timeline(
        db, incident_id=incident, path=_alertmanager(tmp_path / "am2.json", later), all_time=True, actor=SYSTEM
    )
    starred = [(row.kind, row.sort_at) for row in _rows(db, incident) if row.highlight]
    assert starred[-1] == ("resolve", T0 + timedelta(minutes=55)) and len(starred) == 3
    # Undoing that import gives the highlight back to the resolution before.
    undo_import(db, incident_id=incident, import_id=second.import_id, actor=SYSTEM)
    starred = [(row.kind, row.sort_at) for row in _rows(db, incident) if row.highlight]
    assert starred[-1] == ("resolve", T0 + timedelta(minutes=35)) and len(starred) == 3


def test_chat_is_evidence_and_the_events_behind_key_moments_become_highlights(db, incident, tmp_path):
    day = [message(f"{int(T0.timestamp()) + n}.000100", f"message {n}") for n in range(5)]
    import_timeline(db, incident_id=incident, path=slack_zip(tmp_path / "s.zip", {DAY: day}), all_time=True,
                    actor=SYSTEM)  # fmt: skip
    assert _highlighted(db, incident) == []
    assert not default_highlight("csv", "page")
    add_event(db, incident_id=incident, at=T0 + timedelta(minutes=1), text="Paged the on-call", kind="page",
              source="csv", actor=SYSTEM)  # fmt: skip
    # A csv "page" is no alerting source's, but it is the detection moment: the event behind it is a highlight.
    assert _highlighted(db, incident) == ["Paged the on-call"]
    add_event(db, incident_id=incident, at=T0 + timedelta(minutes=2), text="Rolled back", actor=SYSTEM)
    assert _highlighted(db, incident) == ["Paged the on-call", "Rolled back"]


def test_a_choice_by_hand_stays_whatever_the_rules_say(db, incident, tmp_path):
    alerts = [_alert("fp1", T0, T0 + timedelta(minutes=5)), _alert("fp1", T0 + timedelta(minutes=10))]
    import_timeline(db, incident_id=incident, path=_alertmanager(tmp_path / "a.json", alerts), all_time=True,
                    actor=SYSTEM)  # fmt: skip
    first, resolved, second = _rows(db, incident)
    assert (first.highlight, resolved.highlight, second.highlight) == (True, True, False)
    assert set_highlights(db, event_ids=[first.id], on=False, incident_id=incident, actor=SYSTEM) == 1
    assert set_highlights(db, event_ids=[second.id, resolved.id], on=True, actor=SYSTEM) == 1  # resolved already was
    # Another import makes the rules run again: the choices stand.
    more = [_alert("fp1", T0 + timedelta(minutes=20), T0 + timedelta(minutes=25))]
    import_timeline(db, incident_id=incident, path=_alertmanager(tmp_path / "b.json", more), all_time=True,
                    actor=SYSTEM)  # fmt: skip
    by_id = {row.id: row for row in _rows(db, incident)}
    assert by_id[first.id].highlight is False and by_id[first.id].highlight_by_hand
    assert by_id[second.id].highlight is True and by_id[resolved.id].highlight is True
    highlights, _ = page_events(
        db, incident_id=incident, actor=SYSTEM, filters=TimelineFilters(highlights=True), limit=100
    )
    assert all(entry.highlight for entry in highlights) and first.id not in {entry.id for entry in highlights}


def test_choosing_highlights_refuses_nothing_named_too_many_and_events_of_another_or_hidden_incident(db, incident):
    event = add_event(db, incident_id=incident, at=T0, text="Rolled back", actor=SYSTEM)
    with pytest.raises(InvalidInput, match="at least one event"):
        set_highlights(db, event_ids=[], actor=SYSTEM)
    with pytest.raises(InvalidInput, match="at most"):
        set_highlights(db, event_ids=list(range(1, 2000)), actor=SYSTEM)
    with pytest.raises(NotFound, match="no timeline event 999999"):
        set_highlights(db, event_ids=[event.id, 999999], actor=SYSTEM)
    other = create_incident(db, actor=SYSTEM, new=NewIncident(title="Other", severity="SEV1"),
                            allowed_severities=["SEV1"]).id  # fmt: skip
    with pytest.raises(NotFound):
        set_highlights(db, event_ids=[event.id], incident_id=other, actor=SYSTEM)


def test_a_document_timeline_replaces_the_highlights_and_keeps_the_evidence(db, incident, tmp_path):
    day = [message(f"{int(T0.timestamp()) + n}.000100", f"chat {n}") for n in range(3)]
    import_timeline(db, incident_id=incident, path=slack_zip(tmp_path / "s.zip", {DAY: day}), all_time=True,
                    actor=SYSTEM)  # fmt: skip
    add_event(db, incident_id=incident, at=T0, text="Old highlight", actor=SYSTEM)
    chat = _rows(db, incident)[1]
    assert not chat.highlight
    entries = [
        TimelineEntry(at=T0 + timedelta(minutes=1), text="Deploy started", kind="deploy"),
        # The document names a chat message by its source id: it becomes a highlight, not a second copy.
        TimelineEntry(at=chat.at, text=chat.text, source="slack", source_id=chat.source_id),
    ]
    with db.transaction() as session:
        from afteraction.incidents.service import load_incident

        replace_timeline(session, load_incident(session, incident, SYSTEM).id, entries)
    rows = _rows(db, incident)
    texts = sorted(row.text for row in rows)
    assert texts == sorted(["chat 0", "chat 1", "chat 2", "Deploy started"])  # the old highlight replaced
    assert {row.text for row in rows if row.highlight} == {"Deploy started", chat.text}


def test_the_markdown_and_html_exports_show_the_highlights_and_the_json_export_every_event(db, incident, tmp_path):
    day = [message(f"{int(T0.timestamp()) + n}.000100", f"chat line {n}") for n in range(3)]
    import_timeline(db, incident_id=incident, path=slack_zip(tmp_path / "s.zip", {DAY: day}), all_time=True,
                    actor=SYSTEM)  # fmt: skip
    add_event(db, incident_id=incident, at=T0 + timedelta(minutes=5), text="Rolled back the deploy", actor=SYSTEM)
    markdown = str(export_document(db, incident_id=incident, fmt="md", actor=SYSTEM))
    html = str(export_document(db, incident_id=incident, fmt="html", actor=SYSTEM))
    for text in (markdown, html):
        assert "Rolled back the deploy" in text and "chat line" not in text
    whole = json.loads(str(export_document(db, incident_id=incident, fmt="json", actor=SYSTEM)))
    assert [event["text"] for event in whole["timeline"]] == [
        "chat line 0", "chat line 1", "chat line 2", "Rolled back the deploy"
    ]  # fmt: skip
    assert [event["highlight"] for event in whole["timeline"]] == [False, False, False, True]
