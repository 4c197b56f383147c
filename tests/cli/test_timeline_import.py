"""What a user sees when importing timeline sources into an incident, marking key moments and reading metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIRING = {
    "version": "4",
    "groupKey": '{}:{alertname="CheckoutHighErrorRate"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "afteraction",
    "groupLabels": {"alertname": "CheckoutHighErrorRate"},
    "commonLabels": {"alertname": "CheckoutHighErrorRate", "service": "checkout"},
    "commonAnnotations": {"summary": "5xx ratio above 5%"},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "CheckoutHighErrorRate", "service": "checkout"},
            "annotations": {"summary": "5xx ratio above 5%"},
            "startsAt": "2026-03-14T11:04:40.123+01:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=x",
            "fingerprint": "c8d9e0f1a2b3c4d5",
        }
    ],
}


def _resolved() -> dict[str, object]:
    payload = json.loads(json.dumps(FIRING))
    payload["status"] = "resolved"
    payload["alerts"][0]["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2026-03-14T10:29:30Z"
    return payload


PAGERDUTY = {
    "log_entries": [
        {
            "id": "R1",
            "type": "trigger_log_entry",
            "summary": "Triggered through the API",
            "created_at": "2026-03-14T10:05:02Z",
            "agent": {"id": "PSVC", "type": "service_reference", "summary": "Checkout"},
            "channel": {"type": "api"},
            "incident": {"id": "Q1", "type": "incident_reference", "summary": "[#42] Checkout errors"},
        },
        {
            "id": "R2",
            "type": "acknowledge_log_entry",
            "summary": "Acknowledged by Dave Okafor",
            "created_at": "2026-03-14T10:07:31Z",
            "agent": {"id": "PUSER", "type": "user_reference", "summary": "Dave Okafor"},
            "channel": {"type": "web_ui"},
            "incident": {"id": "Q1", "type": "incident_reference", "summary": "[#42] Checkout errors"},
        },
    ]
}


@pytest.fixture
def incident(cli):
    cli("incident", "create", "--title", "Checkout 502s", "--severity", "SEV2", "--started-at", "2026-03-14T09:58:12Z")
    return "INC-1"


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_import_detects_the_format_and_lands_at_utc(cli, incident, tmp_path):
    result = cli("timeline", "import", incident, str(_write(tmp_path / "am.json", FIRING)))
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stdout.split())  # however the console wrapped it
    assert said.startswith("Imported 1 events from ") and said.endswith("(alertmanager) into INC-1 as import 1.")
    events = json.loads(cli("timeline", "show", incident, "--json").stdout)
    assert events[0]["at"] == "2026-03-14T10:04:40.123000Z"
    assert events[0]["source"] == "alertmanager" and events[0]["kind"] == "alert"


NAIVE_CSV = "time,text\n2026-03-14 10:02:00,declared SEV2\n2026-03-14 10:20:00,all clear\n"


def test_csv_times_without_a_zone_are_read_as_utc_and_the_import_says_so(cli, incident, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(NAIVE_CSV)
    result = cli("timeline", "import", incident, str(path))
    said = " ".join(result.stdout.split())
    assert result.exit_code == 0, result.stderr
    assert said.endswith("2 times had no time zone and were read as UTC (give their zone with --tz).")
    assert [e["at"] for e in json.loads(cli("timeline", "show", incident, "--json").stdout)] == [
        "2026-03-14T10:02:00Z", "2026-03-14T10:20:00Z",
    ]  # fmt: skip
    other = cli("incident", "create", "--title", "Oslo", "--severity", "SEV3", "--started-at", "2026-03-14T09:00:00Z")
    assert other.exit_code == 0
    zoned = json.loads(cli("timeline", "import", "INC-2", str(path), "--tz", "Europe/Oslo", "--json").stdout)
    assert zoned["read_as_utc"] == 0 and zoned["added"] == 2
    assert json.loads(cli("timeline", "show", "INC-2", "--json").stdout)[0]["at"] == "2026-03-14T09:02:00Z"
    wrong = cli("timeline", "import", "INC-2", str(path), "--tz", "Mars/Base")
    assert wrong.exit_code != 0 and "unknown time zone 'Mars/Base'" in wrong.stderr


def test_importing_twice_or_overlapping_adds_nothing(cli, incident, tmp_path):
    firing = _write(tmp_path / "firing.json", FIRING)
    resolved = _write(tmp_path / "resolved.json", _resolved())
    cli("timeline", "import", incident, str(firing))
    again = json.loads(cli("timeline", "import", incident, str(firing), "--json").stdout)
    assert again["added"] == 0 and again["duplicates"] == 1 and again["import_id"] == 2
    overlapping = json.loads(cli("timeline", "import", incident, str(resolved), "--json").stdout)
    assert overlapping["added"] == 1  # the resolution; the firing is the same alert
    assert len(json.loads(cli("timeline", "show", incident, "--json").stdout)) == 2


def test_metrics_derive_detection_acknowledgement_and_resolution(cli, incident, tmp_path):
    cli("timeline", "import", incident, str(_write(tmp_path / "pd.json", PAGERDUTY)), "--format", "pagerduty")
    cli("timeline", "import", incident, str(_write(tmp_path / "am.json", FIRING)))
    cli("timeline", "import", incident, str(_write(tmp_path / "am2.json", _resolved())))
    data = json.loads(cli("metrics", incident, "--json").stdout)
    assert data["started_at"] == "2026-03-14T09:58:12Z"
    assert data["detected_at"] == "2026-03-14T10:04:40.123000Z"
    assert data["acknowledged_at"] == "2026-03-14T10:07:31Z"
    assert data["resolved_at"] == "2026-03-14T10:29:30Z"
    assert data["time_to_detect_s"] == pytest.approx(388.123)
    assert data["time_to_acknowledge_s"] == pytest.approx(170.877)
    assert data["time_to_resolve_s"] == 1878.0
    assert data["time_to_mitigate_s"] is None
    assert data["moment_sources"] == {
        "started": "manual", "detected": "derived", "acknowledged": "derived", "resolved": "derived"
    }  # fmt: skip
    shown = cli("metrics", incident).stdout
    assert "time to resolve" in shown and "31 min 18 s" in shown  # written as the pages and exports write it


def test_mark_sets_mitigation_and_a_hand_set_moment_wins(cli, incident, tmp_path):
    cli("timeline", "import", incident, str(_write(tmp_path / "am.json", FIRING)))
    cli("timeline", "add", incident, "--at", "2026-03-14T10:21:47Z", "--text", "Rolled back", "--kind", "rollback")
    event = next(e for e in json.loads(cli("timeline", "show", incident, "--json").stdout) if e["kind"] == "rollback")
    marked = cli("timeline", "mark", str(event["id"]), "--as", "mitigated")
    assert "marks the moment the incident was mitigated" in marked.stdout
    data = json.loads(cli("metrics", incident, "--json").stdout)
    assert data["mitigated_at"] == "2026-03-14T10:21:47Z" and data["moment_sources"]["mitigated"] == "marked"
    cli(
        "incident",
        "update",
        incident,
        "--mitigated-at",
        "2026-03-14T10:20:00Z",
        "--detected-at",
        "2026-03-14T10:01:00Z",
    )
    data = json.loads(cli("metrics", incident, "--json").stdout)
    assert data["mitigated_at"] == "2026-03-14T10:20:00Z" and data["moment_sources"]["mitigated"] == "manual"
    assert data["detected_at"] == "2026-03-14T10:01:00Z"


def test_a_malformed_file_names_itself_and_writes_nothing(cli, incident, tmp_path):
    good = json.dumps(FIRING)
    broken = tmp_path / "broken.json"
    broken.write_text(good[: len(good) // 2])
    result = cli("timeline", "import", incident, str(broken), "--format", "alertmanager")
    assert result.exit_code == 2
    assert "broken.json" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(cli("timeline", "show", incident, "--json").stdout) == []


def test_unknown_content_lists_the_accepted_formats(cli, incident, tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("we restarted things\n")
    result = cli("timeline", "import", incident, str(odd))
    assert result.exit_code == 2
    assert "accepted formats: slack, pagerduty, opsgenie, alertmanager" in result.stderr


def test_mark_rejects_unknown_moments_and_events(cli, incident):
    assert "invalid key moment 'fixed'" in cli("timeline", "mark", "1", "--as", "fixed").stderr
    assert cli("timeline", "mark", "999", "--as", "started").stderr.strip() == "error: no timeline event 999"


def test_milestones_have_no_timeline_metrics(cli):
    cli("incident", "create", "--title", "Q3 platform migration", "--kind", "milestone")
    data = json.loads(cli("metrics", "INC-1", "--json").stdout)
    assert data["time_to_resolve_s"] is None and data["detected_at"] is None
