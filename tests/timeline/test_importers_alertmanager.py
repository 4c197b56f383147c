"""Alertmanager webhooks become one alert event per firing alert and one resolve event when it ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "alertmanager"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats" / "alertmanager"


def corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    return path


def alertmanager(path: Path) -> list[ImportedEvent]:
    return list(read_events(path, "alertmanager", ImportOptions()))


def test_single_payload_fires_each_alert_at_its_starts_at() -> None:
    first, second = alertmanager(FIXTURES / "firing.json")
    assert first.kind == second.kind == "alert"
    assert first.at == datetime(2024, 3, 14, 10, 1, 0, 123456, tzinfo=UTC)  # nanoseconds cut to microseconds
    assert second.at == datetime(2024, 3, 14, 10, 1, 15, tzinfo=UTC)  # written with +01:00
    assert first.text == "Firing: CheckoutHighErrorRate [critical] on checkout-1:8080: checkout 5xx above 5%"
    assert first.source_id == "3f7c1a2b9d8e6f40:2024-03-14T10:01:00.123456789Z:firing"
    assert first.link == "http://prometheus.example:9090/graph?g0.expr=checkout_5xx_ratio+%3E+0.05"
    assert first.source == "alertmanager"


def test_json_lines_repeats_collapse_and_resolution_follows() -> None:
    fired, resolved = alertmanager(FIXTURES / "notifications.jsonl")
    assert fired.source_id == "3f7c1a2b9d8e6f40:2024-03-14T10:01:00.123456789Z:firing"
    assert resolved.source_id == "3f7c1a2b9d8e6f40:2024-03-14T10:01:00.123456789Z:resolved"
    assert (resolved.kind, resolved.at) == ("resolve", datetime(2024, 3, 14, 10, 19, 30, 500000, tzinfo=UTC))
    assert resolved.text == "Resolved: CheckoutHighErrorRate [critical] on checkout-1:8080: checkout 5xx above 5%"
    assert resolved.parent_id == fired.source_id


def test_json_array_of_payloads() -> None:
    events = alertmanager(FIXTURES / "payloads.json")
    assert [(event.kind, event.at) for event in events] == [
        ("alert", datetime(2024, 3, 14, 9, 50, tzinfo=UTC)),
        ("resolve", datetime(2024, 3, 14, 10, 10, tzinfo=UTC)),
        ("alert", datetime(2024, 3, 14, 10, 12, tzinfo=UTC)),
    ]
    assert events[0].text == "Firing: DiskFull on db-1: /var is 97% full"
    # An alert without a fingerprint still gets a stable id from its labels.
    assert events[2].source_id.endswith(":2024-03-14T10:12:00Z:firing")
    assert events[2].source_id == alertmanager(FIXTURES / "payloads.json")[2].source_id


def test_the_same_alerts_in_overlapping_files_get_the_same_ids(tmp_path: Path) -> None:
    lines = (FIXTURES / "notifications.jsonl").read_text().splitlines()
    path = tmp_path / "tail.jsonl"
    path.write_text("\n".join(lines[2:]))
    assert [event.source_id for event in alertmanager(path)] == [
        event.source_id for event in alertmanager(FIXTURES / "notifications.jsonl")
    ]


def test_corpus_firing_payload() -> None:
    events = alertmanager(corpus("zulip_alert_firing_2alerts.json"))
    assert [event.kind for event in events] == ["alert", "alert"]
    assert {event.at for event in events} == {datetime(2020, 2, 6, 0, 17, 58, 432911, tzinfo=UTC)}
    assert events[0].text == "Firing: High CPU Temperature [critical] on andromeda: High CPU core temperature"


def test_corpus_resolved_payload_without_an_end_time_gives_no_resolution() -> None:
    # Its endsAt is Go's zero time, which a real Alertmanager never sends with "resolved".
    (event,) = alertmanager(corpus("zulip_single_alert_resolved.json"))
    assert event.kind == "alert"


def test_alert_without_starts_at_names_payload_and_alert(tmp_path: Path) -> None:
    lines = (FIXTURES / "notifications.jsonl").read_text().splitlines()
    payload = json.loads(lines[3])
    del payload["alerts"][0]["startsAt"]
    path = tmp_path / "alerts.jsonl"
    path.write_text("\n".join([*lines[:3], json.dumps(payload)]))
    with pytest.raises(InvalidInput) as caught:
        alertmanager(path)
    assert str(caught.value) == f"{path}: line 4: alert 1: missing 'startsAt'"


def test_payload_without_alerts_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "payload.json"
    path.write_text('{"version": "4", "status": "firing"}')
    with pytest.raises(InvalidInput, match=r"payload\.json: missing 'alerts'"):
        alertmanager(path)


def test_bad_time_is_named(tmp_path: Path) -> None:
    payload = json.loads((FIXTURES / "firing.json").read_text())
    payload["alerts"][1]["startsAt"] = "14/03/2024 10:01"
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload, indent=2))
    with pytest.raises(
        InvalidInput, match=r"payload\.json: alert 2: 'startsAt': '14/03/2024 10:01' is not an RFC 3339"
    ):
        alertmanager(path)
