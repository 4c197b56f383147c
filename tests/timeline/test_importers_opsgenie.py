"""Opsgenie webhooks and REST responses become alert, acknowledge, note and resolve events at Opsgenie's times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "opsgenie"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats" / "opsgenie"


def corpus(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    return path


def opsgenie(path: Path) -> list[ImportedEvent]:
    return list(read_events(path, "opsgenie", ImportOptions()))


def test_webhook_actions_in_json_lines() -> None:
    create, ack, note, close = opsgenie(FIXTURES / "webhooks.jsonl")
    assert [event.kind for event in (create, ack, note, close)] == ["alert", "acknowledge", "note", "resolve"]
    # createdAt is in milliseconds, updatedAt in nanoseconds.
    assert create.at == datetime(2024, 3, 14, 10, 1, 30, tzinfo=UTC)
    assert ack.at == datetime(2024, 3, 14, 10, 3, 30, 123456, tzinfo=UTC)
    assert close.at == datetime(2024, 3, 14, 10, 20, 0, 999, tzinfo=UTC)
    assert create.text == "Alert #42 created: checkout 5xx above 5%"
    assert note.text == "Alert #42 note: rolling back v2.3.1"
    assert ack.actor == "bob@acme.example"
    assert create.source_id == "8418d193-2dab-4490-b331-8c02cdd196b7:created"


def test_alert_list_and_webhook_agree_on_the_alert_id() -> None:
    (alert,) = opsgenie(FIXTURES / "alerts.json")
    create = opsgenie(FIXTURES / "webhooks.jsonl")[0]
    assert alert.source_id == create.source_id
    assert alert.at == create.at
    assert (alert.kind, alert.actor) == ("alert", "Prometheus")


def test_alert_log_lines_get_kinds_from_their_words() -> None:
    events = opsgenie(FIXTURES / "alert_logs.json")
    assert [event.kind for event in events] == ["alert", "acknowledge", "note", "resolve"]
    assert events[3].at == datetime(2024, 3, 14, 10, 20, tzinfo=UTC)
    assert events[1].at == datetime(2024, 3, 14, 10, 3, 30, 123000, tzinfo=UTC)
    assert events[2].actor == "alice@acme.example"
    assert events[0].source_id == "log:1710410490000_1710410490000000123"


def test_incident_list() -> None:
    (incident,) = opsgenie(FIXTURES / "incidents.json")
    assert incident.text == "Incident #7 created: Checkout degraded"
    assert incident.at == datetime(2024, 3, 14, 10, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "kind", "at"),
    [
        ("create.json", "alert", datetime(2017, 8, 14, 11, 25, 56, 288000, tzinfo=UTC)),
        ("acknowledge.json", "acknowledge", datetime(2015, 1, 5, 10, 3, 44, 764002, tzinfo=UTC)),
        ("addnote.json", "note", datetime(2015, 1, 5, 10, 4, 35, 2000, tzinfo=UTC)),
        ("close.json", "resolve", datetime(2015, 1, 5, 10, 6, 14, 669001, tzinfo=UTC)),
    ],
)
def test_corpus_webhook_payloads(name: str, kind: str, at: datetime) -> None:
    (event,) = opsgenie(corpus("webhook_zulip_fixtures", name))
    assert (event.kind, event.at) == (kind, at)


@pytest.mark.parametrize(
    ("name", "count"), [("GET_v2_alerts.json", 2), ("GET_v2_alerts_id_logs.json", 2), ("GET_v1_incidents.json", 2)]
)
def test_corpus_rest_samples(name: str, count: int) -> None:
    events = opsgenie(corpus("rest", name))
    assert len(events) == count
    assert all(event.at.tzinfo is UTC for event in events)


def test_corpus_alert_log_times() -> None:
    acknowledged, viewed = opsgenie(corpus("rest", "GET_v2_alerts_id_logs.json"))
    assert (acknowledged.kind, acknowledged.actor) == ("acknowledge", "neo@opsgenie.com")
    assert viewed.at == datetime(2017, 4, 12, 12, 27, 46, 379000, tzinfo=UTC)


def test_webhook_without_updated_at_is_named(tmp_path: Path) -> None:
    lines = (FIXTURES / "webhooks.jsonl").read_text().splitlines()
    second = json.loads(lines[1])
    del second["alert"]["updatedAt"]
    lines[1] = json.dumps(second)
    path = tmp_path / "hooks.jsonl"
    path.write_text("\n".join(lines))
    with pytest.raises(InvalidInput) as caught:
        opsgenie(path)
    assert str(caught.value) == f"{path}: line 2: missing 'updatedAt'"


def test_truncated_json_lines_name_the_line(tmp_path: Path) -> None:
    text = (FIXTURES / "webhooks.jsonl").read_text()
    path = tmp_path / "hooks.jsonl"
    path.write_text(text[: text.rindex("}") - 5])
    with pytest.raises(InvalidInput, match=r"hooks\.jsonl: line 4: not valid JSON"):
        opsgenie(path)
