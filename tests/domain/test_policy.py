"""What the policy says: defaults, files, business days, and what `policy check` reports and exits with."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from afteraction.core.errors import ConfigurationError
from afteraction.domain.actions import ActionItemData
from afteraction.domain.policy import Duration, Policy, add_business_days, load_policy, parse_duration
from tests.factories import make_document


def test_default_policy_follows_common_practice():
    policy = Policy()
    assert policy.needs_postmortem(kind="incident", severity="SEV1")
    assert policy.needs_postmortem(kind="incident", severity="sev2")
    assert not policy.needs_postmortem(kind="incident", severity="SEV3")
    assert policy.needs_postmortem(kind="near-miss", severity=None)
    assert policy.needs_postmortem(kind="failed-deploy", severity="SEV4")
    assert policy.needs_postmortem(kind="milestone", severity=None)
    friday = date(2026, 3, 13)
    assert policy.postmortem_due_date(kind="incident", severity="SEV1", resolved=friday) == date(2026, 3, 16)
    assert policy.postmortem_due_date(kind="incident", severity="SEV2", resolved=friday) == date(2026, 3, 20)
    assert policy.action_due_date(priority="P0", opened=friday) == date(2026, 3, 20)
    assert policy.sections_for("incident") == ("summary", "impact", "timeline", "actions")
    assert "went-well" in policy.sections_for("milestone")


def test_business_days_skip_weekends_and_holidays():
    assert add_business_days(date(2026, 3, 13), 1) == date(2026, 3, 16)
    assert add_business_days(date(2026, 12, 24), 2, [date(2026, 12, 25)]) == date(2026, 12, 29)
    assert add_business_days(date(2026, 3, 14), 0) == date(2026, 3, 14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", Duration(3)),
        ("5bd", Duration(5, True)),
        ("2w", Duration(14)),
        ("5 business days", Duration(5, True)),
        (4, Duration(4)),
    ],
)
def test_durations_read_as_people_write_them(text, expected):
    assert parse_duration(text, "x") == expected


def test_a_policy_file_overrides_the_defaults(tmp_path):
    (tmp_path / "afteraction.toml").write_text(
        """
[policy]
require = ["SEV1", "SEV2", "SEV3", "near-miss"]
holidays = ["2026-03-16"]
approvals = 2
[policy.postmortem-due]
SEV1 = "2bd"
[policy.required-sections]
default = ["Summary", "Five Whys", "action items"]
[people]
"Ann Lee" = "ann@example.com"
"Bo Chen" = { email = "bo@example.com", github = "bochen", slack = "U02BO" }
"""
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    policy = load_policy(start=nested)
    assert policy.source == tmp_path / "afteraction.toml"
    assert policy.needs_postmortem(kind="incident", severity="SEV3")
    assert not policy.needs_postmortem(kind="milestone", severity=None)
    assert policy.postmortem_due_date(kind="incident", severity="SEV1", resolved=date(2026, 3, 13)) == date(2026, 3, 18)
    assert policy.postmortem_due_date(kind="incident", severity="SEV2", resolved=date(2026, 3, 13)) == date(2026, 3, 23)
    assert policy.sections_for("incident") == ("summary", "whys", "actions")
    assert policy.approvals == 2
    assert policy.contact("ann lee").email == "ann@example.com"
    assert policy.contact("Bo Chen").github == "bochen"
    assert policy.contact("cy@example.com").email == "cy@example.com"


def test_a_policy_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.afteraction.policy.action-due]\nP1 = "1w"\n')
    assert load_policy(start=tmp_path).action_due_date(priority="P1", opened=date(2026, 3, 2)) == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[policy]\nrequire_owners = true\n", "unknown policy setting 'require-owners'"),
        ('[policy.postmortem-due]\nSEV1 = "soon"\n', "'soon' is not a duration"),
        ('[policy.required-sections]\ndefault = ["Epilogue"]\n', "unknown section 'Epilogue'"),
        ("[policy\n", "invalid TOML"),
    ],
)
def test_a_wrong_policy_file_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "afteraction.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        load_policy(path)


def test_policy_check_lists_what_is_missing_and_late_and_fails(cli, store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    resolved = datetime(2026, 3, 13, 12, 0, tzinfo=UTC)  # a Friday
    overdue = ActionItemData(title="Rotate the certificate", owner="Bo Chen", due=date(2026, 3, 20), priority="P1")
    store(make_document(1, severity="SEV1", summary="", impact="", actions=[], resolved_at=resolved))
    store(make_document(2, severity="SEV2", resolved_at=resolved, actions=[overdue]))
    store(make_document(3, severity="SEV4", summary="", impact="", actions=[], resolved_at=resolved))
    store(make_document(4, severity="SEV1", summary="", impact="", actions=[]))  # still open: not due yet
    result = cli("policy", "check", "--today", "2026-03-25", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["counts"] == {"missing-postmortem": 1, "late-postmortem": 1, "overdue-action": 1}
    missing, late, action = report["findings"]
    assert (missing["incident_id"], missing["due"], missing["days_late"]) == ("INC-1", "2026-03-16", 9)
    assert (late["incident_id"], late["due"], late["days_late"]) == ("INC-2", "2026-03-20", 5)
    assert (action["action_id"], action["owner"], action["days_late"]) == ("AI-1", "Bo Chen", 5)
    table = cli("policy", "check", "--today", "2026-03-25")
    assert table.exit_code == 1 and "missing-postmortem" in table.stdout and "Rotate the certificate" in table.stdout


def test_policy_check_passes_when_all_is_on_time(cli, store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store(make_document(1, severity="SEV2", resolved_at=datetime.now(UTC) - timedelta(days=1)))
    result = cli("policy", "check")
    assert result.exit_code == 0, result.stdout
    assert "Nothing missing or late" in result.stdout


def test_policy_show_names_its_source(cli, tmp_path, monkeypatch):
    path = tmp_path / "team-policy.toml"
    path.write_text('[policy]\nrequire = ["SEV1"]\n')
    monkeypatch.setenv("AFTERACTION_POLICY_FILE", str(path))
    shown = json.loads(cli("policy", "show", "--json").stdout)
    assert shown["source"] == str(path) and shown["require_severities"] == ["SEV1"] and shown["require_kinds"] == []
    monkeypatch.setenv("AFTERACTION_POLICY_FILE", str(tmp_path / "nope.toml"))
    missing = cli("policy", "show")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_an_action_item_added_without_a_due_date_gets_the_policy_default(cli, store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[policy.action-due]\nP2 = "3bd"\ndefault = "10d"\n')
    incident = store(make_document(actions=[]))
    today = datetime.now(UTC).date()

    def due(*args: str) -> str | None:
        added = cli("actions", "add", incident, "--title", "Alert on pool saturation", *args, "--json")
        assert added.exit_code == 0, added.stderr
        return json.loads(added.stdout)["due"]

    assert due("--priority", "P0") == (today + timedelta(days=7)).isoformat()
    assert due("--priority", "P2") == add_business_days(today, 3).isoformat()
    assert due() == (today + timedelta(days=10)).isoformat()
    assert due("--priority", "P0", "--due", "2030-01-31") == "2030-01-31"
    (tmp_path / "afteraction.toml").write_text('[policy.action-due]\nP1 = "fortnight"\n')
    wrong = cli("actions", "add", incident, "--title", "Alert on pool saturation", "--priority", "P1")
    assert wrong.exit_code == 2
    assert wrong.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'afteraction.toml'}: policy.action-due.P1: 'fortnight' is not a duration "
        "(expected e.g. 3d, 5bd, 2w)"
    ]
