"""`afteraction import --as-published --owner-default TEAM`: history imported as what it is."""

from __future__ import annotations

import json

OLD = """# 2019-07-02 outage

## Key events

- Start time: 2019-07-02 10:12 UTC
- Resolved: 2019-07-02 11:00 UTC

## Action items

- [x] Add an alert
- Write the runbook
"""


def test_import_reads_the_moments_and_publishes_an_old_document(cli, tmp_path):
    path = tmp_path / "old.md"
    path.write_text(OLD, encoding="utf-8")
    result = cli("import", "--json", str(path))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)[0]
    assert data["status"] == "published"
    assert [note["message"] for note in data["notes"]][:2] == [
        "started_at from 'Start time'",
        "resolved_at from 'Resolved'",
    ]
    shown = cli("incident", "show", data["id"], "--json")
    incident = json.loads(shown.stdout)
    assert incident["started_at"].startswith("2019-07-02T10:12")
    assert incident["resolved_at"].startswith("2019-07-02T11:00")


def test_as_published_and_owner_default(cli, tmp_path):
    path = tmp_path / "undated.md"
    path.write_text("# Something broke\n\n## Action items\n\n- [x] Add an alert\n- Write the runbook\n", "utf-8")
    result = cli("import", "--as-published", "--owner-default", "platform", str(path))
    assert result.exit_code == 0, result.stderr
    assert "1 imported as published" in result.stdout
    listed = json.loads(cli("actions", "list", "--json").stdout)
    assert sorted((item["owner"], item["status"]) for item in listed) == [("platform", "done"), ("platform", "open")]


def test_an_empty_owner_default_is_one_line(cli, tmp_path):
    path = tmp_path / "x.md"
    path.write_text("# X\n", "utf-8")
    result = cli("import", "--owner-default", " ", str(path))
    assert result.exit_code == 2
    assert "--owner-default" in result.stderr and "Traceback" not in result.stderr
