"""What a user sees importing with a window, listing and undoing imports, and deleting events in bulk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _alert(name: str, starts: str) -> dict[str, object]:
    return {"status": "firing", "labels": {"alertname": name}, "annotations": {"summary": name},
            "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z", "fingerprint": name}  # fmt: skip


PAYLOAD = {
    "version": "4", "status": "firing", "receiver": "afteraction", "groupKey": "{}:{}",
    "alerts": [_alert("Old", "2016-05-01T12:00:00Z"), _alert("Errors", "2026-03-14T10:04:40Z")],
}  # fmt: skip


@pytest.fixture
def incident(cli):
    cli("incident", "create", "--title", "Checkout 502s", "--severity", "SEV2", "--started-at", "2026-03-14T09:58:12Z")
    return "INC-1"


@pytest.fixture
def alerts(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(PAYLOAD))
    return path


def _said(result) -> str:
    return " ".join(result.stdout.split())  # however the console wrapped it


def test_an_import_keeps_the_incidents_window_and_says_what_it_skipped(cli, incident, alerts):
    first = cli("timeline", "import", incident, str(alerts))
    assert first.exit_code == 0, first.stderr
    assert _said(first).endswith(
        "(alertmanager) into INC-1 as import 1 (1 skipped as outside the incident's window from 2026-03-14 08:58 UTC"
        " on; --all-time keeps them)."
    )
    asked = cli("timeline", "import", incident, str(alerts), "--since", "2016-05-01", "--until", "2016-05-01")
    assert "as import 2 (1 skipped as outside the window 2016-05-01 00:00 → 23:59 UTC;" in _said(asked)
    assert _said(asked).startswith("Imported 1 events") and "1 were already there" not in _said(asked)
    everything = json.loads(cli("timeline", "import", incident, str(alerts), "--all-time", "--json").stdout)
    assert (everything["added"], everything["skipped_outside"], everything["duplicates"]) == (0, 0, 2)
    assert everything["since"] is None and everything["until"] is None
    wrong = cli("timeline", "import", incident, str(alerts), "--since", "yesterday")
    assert wrong.exit_code == 2 and wrong.stderr.startswith("error: --since: 'yesterday' is not a time")
    both = cli("timeline", "import", incident, str(alerts), "--all-time", "--since", "2016-05-01")
    assert both.exit_code == 2 and "all_time keeps every event" in both.stderr


def test_imports_are_listed_and_one_is_undone_once(cli, incident, alerts):
    cli("timeline", "import", incident, str(alerts))
    cli("timeline", "import", incident, str(alerts), "--all-time")
    listed = cli("timeline", "imports", incident)
    assert listed.exit_code == 0, listed.stderr
    assert "Imports of INC-1" in listed.stdout and "alerts.json" in listed.stdout
    assert "from 2026-03-14 08:58 UTC on" in listed.stdout and "all time" in listed.stdout
    rows = json.loads(cli("timeline", "imports", incident, "--json").stdout)
    assert [(r["id"], r["state"], r["read"], r["added"]) for r in rows] == [(2, "done", 2, 1), (1, "done", 2, 1)]
    undone = cli("timeline", "undo", incident, "2")
    assert undone.exit_code == 0 and _said(undone) == "Undid import 2 of INC-1: removed 1 events."
    again = cli("timeline", "undo", incident, "2")
    assert again.exit_code == 4 and again.stderr.strip() == "error: import 2 of INC-1 is already undone"
    missing = cli("timeline", "undo", incident, "77")
    assert missing.exit_code == 3 and missing.stderr.strip() == "error: no import 77 of INC-1"
    [left] = json.loads(cli("timeline", "show", incident, "--json").stdout)
    assert left["text"].startswith("Firing: Errors")


def test_bulk_delete_counts_asks_and_refuses_without_a_filter(cli, incident, alerts):
    cli("timeline", "import", incident, str(alerts), "--all-time")
    cli("timeline", "add", incident, "--at", "2026-03-14T10:20:00Z", "--text", "Rolled back")
    nothing = cli("timeline", "delete", incident)
    assert nothing.exit_code == 2 and "give at least one filter" in nothing.stderr
    kept = cli("timeline", "delete", incident, "--source", "alertmanager", input="n\n")
    assert "Delete 2 events of INC-1?" in kept.stdout and kept.exit_code == 1
    assert len(json.loads(cli("timeline", "show", incident, "--json").stdout)) == 3
    deleted = cli("timeline", "delete", incident, "--source", "alertmanager", input="y\n")
    assert deleted.exit_code == 0 and "Deleted 2 events from INC-1." in deleted.stdout
    none_left = cli("timeline", "delete", incident, "--source", "alertmanager", "--yes")
    assert none_left.exit_code == 0 and _said(none_left) == "Deleted 0 events from INC-1."
    assert [e["text"] for e in json.loads(cli("timeline", "show", incident, "--json").stdout)] == ["Rolled back"]
