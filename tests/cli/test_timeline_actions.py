"""What a user sees when adding timeline events and following action items from the command line."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest


@pytest.fixture
def incident(cli):
    cli("incident", "create", "--title", "Payments latency", "--severity", "SEV2")
    return "INC-1"


def test_timeline_add_and_show_in_time_order(cli, incident):
    cli("timeline", "add", incident, "--at", "2026-03-14T10:10:00Z", "--text", "Rolled back", "--kind", "rollback",
        "--actor", "Dave")  # fmt: skip
    cli("timeline", "add", incident, "--at", "2026-03-14T11:05:00+01:00", "--text", "Alert fired", "--kind", "alert")
    events = json.loads(cli("timeline", "show", incident, "--json").stdout)
    assert [(e["at"], e["text"]) for e in events] == [
        ("2026-03-14T10:05:00Z", "Alert fired"),
        ("2026-03-14T10:10:00Z", "Rolled back"),
    ]
    assert events[1]["actor"] == "Dave" and events[1]["kind"] == "rollback" and events[1]["source"] == "manual"
    table = cli("timeline", "show", incident).stdout
    assert table.index("Alert fired") < table.index("Rolled back")
    assert "2026-03-14 10:05:00" in table


def test_timeline_add_needs_a_zone(cli, incident):
    result = cli("timeline", "add", incident, "--at", "2026-03-14 10:10", "--text", "x")
    assert result.exit_code == 2
    assert "has no zone" in result.stderr


def test_empty_timeline_says_how_to_fill_it(cli, incident):
    assert "The timeline is empty" in cli("timeline", "show", incident).stdout


def test_actions_add_list_update(cli, incident):
    due = (date.today() + timedelta(days=10)).isoformat()
    added = cli("actions", "add", incident, "--title", "Alert when p99 > 2s for 5 min", "--owner", "Ming Zhao", "--due",
                due, "--type", "detect", "--priority", "p1", "--json")  # fmt: skip
    item = json.loads(added.stdout)
    assert item["id"] == "AI-1" and item["priority"] == "P1" and item["owner"] == "Ming Zhao" and item["due"] == due
    assert item["overdue"] is False
    listed = cli("actions", "list").stdout
    assert "AI-1" in listed and "Alert when p99 > 2s for 5 min" in listed and "Ming Zhao" in listed
    done = json.loads(cli("actions", "update", "AI-1", "--status", "done", "--json").stdout)
    assert done["status"] == "done" and done["closed_at"].endswith("Z")
    assert json.loads(cli("actions", "list", "--open", "--json").stdout) == []


def test_actions_overdue_and_owner_filters(cli, incident):
    past = (date.today() - timedelta(days=3)).isoformat()
    future = (date.today() + timedelta(days=3)).isoformat()
    cli(
        "actions",
        "add",
        incident,
        "--title",
        "Rotate the TLS certificate automatically",
        "--owner",
        "Ann",
        "--due",
        past,
    )
    cli("actions", "add", incident, "--title", "Add a runbook for failover", "--owner", "Bo", "--due", future)
    overdue = json.loads(cli("actions", "list", "--overdue", "--json").stdout)
    assert [i["title"] for i in overdue] == ["Rotate the TLS certificate automatically"]
    assert overdue[0]["overdue"] is True
    assert "overdue" in cli("actions", "list").stdout
    by_bo = json.loads(cli("actions", "list", "--owner", "bo", "--json").stdout)
    assert [i["owner"] for i in by_bo] == ["Bo"]
    by_incident = json.loads(cli("actions", "list", "--incident", incident, "--json").stdout)
    assert len(by_incident) == 2


def test_wont_do_needs_a_reason(cli, incident):
    cli("actions", "add", incident, "--title", "Replace the load balancer")
    refused = cli("actions", "update", "AI-1", "--status", "wont-do")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == "error: marking an action item wont-do needs a reason (--reason)"
    ok = json.loads(
        cli("actions", "update", "AI-1", "--status", "wont-do", "--reason", "LB is retired in Q1", "--json").stdout
    )
    assert ok["status"] == "wont-do" and ok["status_reason"] == "LB is retired in Q1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["actions", "add", "INC-1", "--title", "x", "--due", "next week"], "--due: 'next week' is not a date"),
        (["actions", "add", "INC-1", "--title", "x", "--type", "fix"], "invalid type 'fix'"),
        (["actions", "add", "INC-1", "--title", "x", "--priority", "P7"], "invalid priority 'P7'"),
        (["actions", "add", "INC-9", "--title", "x"], "no incident INC-9"),
        (["actions", "update", "AI-77", "--status", "done"], "no action item AI-77"),
        (["actions", "update", "AI-1", "--status", "finished"], "invalid status 'finished'"),
    ],
)
def test_action_mistakes_are_one_line(cli, incident, args, message):
    cli("actions", "add", incident, "--title", "Something specific")
    result = cli(*args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_actions_of_an_incident_that_does_not_exist_is_an_error_not_an_empty_list(cli, incident):
    result = cli("actions", "list", "--incident", "INC-77")
    assert result.exit_code == 3 and result.stderr.strip() == "error: no incident INC-77"
    assert json.loads(cli("actions", "list", "--incident", incident, "--json").stdout) == []
