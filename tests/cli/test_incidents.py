"""What a user sees when creating, listing, showing and updating incidents from the command line."""

from __future__ import annotations

import json

import pytest


def test_create_then_list_shows_the_incident(cli):
    created = cli("incident", "create", "--title", "Checkout 502s", "--severity", "SEV2", "--service", "checkout")
    assert created.exit_code == 0
    assert "Created INC-1: Checkout 502s" in created.stdout
    listed = cli("incident", "list")
    assert "INC-1" in listed.stdout and "Checkout 502s" in listed.stdout and "SEV2" in listed.stdout


def test_create_json_gives_utc_times_with_z(cli):
    out = cli(
        "incident", "create", "--title", "DB failover", "--severity", "sev1", "--started-at",
        "2026-03-14T10:08:10+01:00", "--json",
    )  # fmt: skip
    data = json.loads(out.stdout)
    assert data["id"] == "INC-1"
    assert data["severity"] == "SEV1"
    assert data["started_at"] == "2026-03-14T09:08:10Z"
    assert data["postmortem_status"] == "draft"


def test_list_json_is_a_list_newest_first(cli):
    cli("incident", "create", "--title", "first", "--severity", "SEV3")
    cli("incident", "create", "--title", "second", "--severity", "SEV4", "--kind", "near-miss")
    data = json.loads(cli("incident", "list", "--json").stdout)
    assert [i["id"] for i in data] == ["INC-2", "INC-1"]
    near = json.loads(cli("incident", "list", "--kind", "near-miss", "--json").stdout)
    assert [i["title"] for i in near] == ["second"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--severity", "SEV9", "error: invalid severity 'SEV9': expected one of SEV1, SEV2, SEV3, SEV4"),
        ("--kind", "outage", "error: invalid kind 'outage': expected one of incident, near-miss, failed-deploy"),
        ("--status", "fixed", "error: invalid status 'fixed': expected one of open, mitigated, resolved, closed"),
    ],
)
def test_a_filter_no_incident_could_match_is_an_error_not_an_empty_list(cli, option, value, message):
    cli("incident", "create", "--title", "first", "--severity", "SEV3")
    result = cli("incident", "list", option, value)
    assert result.exit_code == 2 and result.stderr.startswith(message)
    assert cli("incident", "list", "--severity", "SEV1").stdout.strip() == "No incidents match."


def test_milestone_needs_no_severity_but_an_incident_does(cli):
    assert cli("incident", "create", "--title", "Q3 migration", "--kind", "milestone").exit_code == 0
    missing = cli("incident", "create", "--title", "outage")
    assert missing.exit_code == 2
    expected = "error: severity is required unless the kind is milestone: one of SEV1, SEV2, SEV3, SEV4"
    assert missing.stderr.strip() == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--severity", "SEV9"], "error: invalid severity 'SEV9': expected one of SEV1, SEV2, SEV3, SEV4"),
        (["--severity", "SEV1", "--kind", "outage"], "error: invalid kind 'outage'"),
        (["--severity", "SEV1", "--started-at", "yesterday"], "error: --started-at: 'yesterday' is not a time"),
        (["--severity", "SEV1", "--started-at", "2026-03-14T10:00"], "has no zone"),
    ],
)
def test_bad_input_gives_one_line_and_writes_nothing(cli, args, message):
    result = cli("incident", "create", "--title", "x", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert json.loads(cli("incident", "list", "--json").stdout) == []


def test_show_unknown_incident_says_so(cli):
    result = cli("incident", "show", "INC-42")
    assert result.exit_code == 3
    assert result.stderr.strip() == "error: no incident INC-42"
    bad = cli("incident", "show", "banana")
    assert bad.stderr.strip() == "error: not an incident id: 'banana' (expected INC-<number>)"


def test_show_prints_key_moments(cli):
    cli("incident", "create", "--title", "Cache stampede", "--severity", "SEV2", "--started-at", "2026-03-14T10:00:00Z")
    out = cli("incident", "show", "INC-1").stdout
    assert "Cache stampede" in out and "started: 2026-03-14T10:00:00Z" in out and "resolved: —" in out


def test_update_sets_key_moments_by_hand_and_can_clear_them(cli):
    cli("incident", "create", "--title", "Queue backlog", "--severity", "SEV3")
    data = json.loads(
        cli(
            "incident", "update", "INC-1", "--detected-at", "2026-03-14T10:05:00-04:00", "--resolved-at",
            "2026-03-14T15:00:00Z", "--status", "resolved", "--json",
        ).stdout
    )  # fmt: skip
    assert data["detected_at"] == "2026-03-14T14:05:00Z"
    assert data["resolved_at"] == "2026-03-14T15:00:00Z"
    assert data["status"] == "resolved"
    cleared = json.loads(cli("incident", "update", "INC-1", "--resolved-at", "none", "--json").stdout)
    assert cleared["resolved_at"] is None
    assert cleared["version"] == 3


def test_update_replaces_services_and_title(cli):
    cli("incident", "create", "--title", "old", "--severity", "SEV3", "--service", "a")
    data = json.loads(
        cli("incident", "update", "INC-1", "--title", "new", "--service", "b", "--service", "c", "--json").stdout
    )
    assert data["title"] == "new" and data["services"] == ["b", "c"]


def test_a_database_that_was_never_initialised_is_reported(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from afteraction.cli import app

    monkeypatch.setenv("AFTERACTION_DATABASE_URL", f"sqlite:///{tmp_path}/none.db")
    result = CliRunner().invoke(app, ["incident", "list"])
    assert result.exit_code == 5
    assert "is not initialised: run `afteraction init` first" in result.stderr


def test_an_unreachable_database_is_one_line(monkeypatch):
    from typer.testing import CliRunner

    from afteraction.cli import app

    monkeypatch.setenv("AFTERACTION_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    result = CliRunner().invoke(app, ["incident", "list"])
    assert result.exit_code == 5
    assert result.stderr.startswith("error: cannot reach database postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert len(result.stderr.strip().splitlines()) == 1


def test_init_against_an_unreachable_database_is_one_line(monkeypatch):
    from typer.testing import CliRunner

    from afteraction.cli import app

    monkeypatch.setenv("AFTERACTION_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 5
    assert result.stderr.startswith("error: cannot reach database postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "error: database URL 'garbage' is not a URL: expected sqlite:///PATH or postgresql+psycopg://"),
        ("mysql://me:secret@db/app", "error: database URL mysql://me:***@db/app: afteraction runs on SQLite"),
        ("postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "error: cannot reach database postgresql+psycopg://"),
    ],
)
def test_a_database_url_afteraction_cannot_use_is_one_line(monkeypatch, url, message):
    from typer.testing import CliRunner

    from afteraction.cli import app

    monkeypatch.setenv("AFTERACTION_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["incident", "list"])
    assert result.exit_code in (2, 5)
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert "secret" not in result.stderr
