"""PagerDuty log entries and incidents become page, acknowledge, note, escalate, assign and resolve events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"


def pagerduty(path: Path) -> list[ImportedEvent]:
    return list(read_events(path, "pagerduty", ImportOptions()))


def test_log_entries_become_one_event_each_with_its_kind() -> None:
    events = pagerduty(FIXTURES / "log_entries.json")
    assert [event.kind for event in events] == [
        "page",
        "notify",
        "acknowledge",
        "note",
        "escalate",
        "assign",
        "resolve",
    ]
    assert {event.source for event in events} == {"pagerduty"}
    assert len({event.source_id for event in events}) == 7


def test_log_entry_times_and_people() -> None:
    trigger, notify, ack, note, _, _, resolve = pagerduty(FIXTURES / "log_entries.json")
    assert trigger.at == datetime(2024, 3, 14, 10, 1, 30, tzinfo=UTC)
    assert trigger.text == "Triggered through the API — [#42] checkout 5xx above 5%"
    assert trigger.actor == "Prometheus (checkout)"
    assert trigger.link == "https://acme.pagerduty.com/incidents/Q1ABCDEF2GHIJ/log_entries/R2XGXEI3W0FHMSDJBDJQH3ABCD"
    assert trigger.source_id == "R2XGXEI3W0FHMSDJBDJQH3ABCD"
    assert notify.text == "Notified Bob Baker by SMS"
    assert ack.at == datetime(2024, 3, 14, 10, 3, 30, tzinfo=UTC)  # written as 11:03:30+01:00
    assert ack.actor == "Bob Baker"
    assert note.text == "Note: Rolling back checkout v2.3.1"
    assert note.at == datetime(2024, 3, 14, 10, 4, 0, 123000, tzinfo=UTC)
    assert resolve.actor == "Dana Diaz"
    assert resolve.link == "https://acme.pagerduty.com/incidents/Q1ABCDEF2GHIJ"


def test_a_bare_list_of_log_entries_reads_the_same(tmp_path: Path) -> None:
    entries = json.loads((FIXTURES / "log_entries.json").read_text())["log_entries"]
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(entries))
    assert pagerduty(path) == pagerduty(FIXTURES / "log_entries.json")


def test_incident_gives_trigger_acknowledgement_and_resolution() -> None:
    page, ack, resolve = pagerduty(FIXTURES / "incident.json")
    assert (page.kind, page.at, page.text) == (
        "page",
        datetime(2024, 3, 14, 10, 1, 30, tzinfo=UTC),
        "Incident #42 triggered: checkout 5xx above 5%",
    )
    assert (ack.kind, ack.actor, ack.at) == ("acknowledge", "Bob Baker", datetime(2024, 3, 14, 10, 3, 30, tzinfo=UTC))
    assert (resolve.kind, resolve.actor, resolve.at) == (
        "resolve",
        "Dana Diaz",
        datetime(2024, 3, 14, 10, 20, tzinfo=UTC),
    )
    assert page.link == "https://acme.pagerduty.com/incidents/Q1ABCDEF2GHIJ"


def test_incidents_list_reads_every_incident(tmp_path: Path) -> None:
    incident = json.loads((FIXTURES / "incident.json").read_text())["incident"]
    second = dict(incident, id="Q2OTHER", incident_number=43, status="triggered", acknowledgements=[])
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps({"incidents": [incident, second], "limit": 25, "offset": 0, "more": False}))
    events = pagerduty(path)
    assert [event.source_id for event in events] == [
        "Q1ABCDEF2GHIJ:triggered",
        "Q1ABCDEF2GHIJ:acknowledged:2024-03-14T10:03:30Z",
        "Q1ABCDEF2GHIJ:resolved",
        "Q2OTHER:triggered",
    ]


def test_entry_without_created_at_is_named(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "log_entries.json").read_text())
    del document["log_entries"][2]["created_at"]
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidInput) as caught:
        pagerduty(path)
    assert str(caught.value) == f"{path}: log entry 3: missing 'created_at'"


def test_entry_with_a_time_without_offset_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entries.json"
    path.write_text(
        json.dumps({"log_entries": [{"id": "R1", "type": "trigger_log_entry", "created_at": "2024-03-14"}]})
    )
    with pytest.raises(InvalidInput, match=r"log entry 1: 'created_at': '2024-03-14' has no UTC offset"):
        pagerduty(path)
