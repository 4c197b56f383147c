"""What a team sees running `actions sync` against Linear (a real local HTTP server answering GraphQL)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from afteraction.domain.actions import ActionItemData
from tests.factories import make_document
from tests.usecases.fake_linear import FakeLinear

ITEMS = [
    ActionItemData(title="Validate config before push", owner="Bo Chen", due=date(2030, 4, 1), priority="P0"),
    ActionItemData(title="Write the rollback runbook", owner="Cy Noor", due=date(2030, 4, 15), priority="P3"),
]


@pytest.fixture
def linear(monkeypatch, tmp_path):
    fake = FakeLinear().start()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[people]\n"Bo Chen" = "bo@example.com"\n')
    for name, value in {"LINEAR_API_URL": fake.url + "/graphql", "LINEAR_TOKEN": "lin_api_test",
                        "LINEAR_TEAM": "ENG", "TRACKER_MAX_WAIT": "30"}.items():  # fmt: skip
        monkeypatch.setenv(f"AFTERACTION_{name}", value)
    yield fake
    fake.stop()


def test_sync_creates_linear_issues_once_with_priority_and_assignee(cli, store, linear):
    store(make_document(actions=ITEMS))
    first = cli("actions", "sync", "--tracker", "linear", "--json")
    assert first.exit_code == 0, first.stderr
    assert [(c["change"], c["key"]) for c in json.loads(first.stdout)["changes"]] == [
        ("created", "ENG-1"), ("created", "ENG-2")]  # fmt: skip
    issue = linear.by_identifier("ENG-1")
    assert issue["priority"] == 1 and issue["dueDate"] == "2030-04-01" and issue["teamId"] == linear.team_id
    assert issue["assigneeId"] == linear.users["bo@example.com"] and "assigneeId" not in linear.by_identifier("ENG-2")
    assert cli("actions", "sync").exit_code == 0
    assert len(linear.issues) == 2


def test_completed_is_done_canceled_is_wont_do_started_is_in_progress(cli, store, linear):
    store(make_document(actions=[*ITEMS, ActionItemData(title="Add a canary", owner="Bo Chen", due=date(2030, 5, 1))]))
    cli("actions", "sync")
    linear.set_state("ENG-1", "completed", "Done")
    linear.set_state("ENG-2", "canceled", "Canceled")
    linear.set_state("ENG-3", "started", "In Progress")
    assert cli("actions", "sync").exit_code == 0
    items = json.loads(cli("actions", "list", "--json").stdout)
    assert {i["id"]: i["status"] for i in items} == {"AI-1": "done", "AI-2": "wont-do", "AI-3": "in-progress"}


def test_a_due_date_change_is_pushed(cli, store, linear):
    store(make_document(actions=ITEMS[:1]))
    cli("actions", "sync")
    cli("actions", "update", "AI-1", "--title", "Validate configs in CI")
    assert cli("actions", "sync").exit_code == 0
    assert linear.by_identifier("ENG-1")["title"] == "Validate configs in CI"


def test_a_rate_limited_answer_is_waited_out(cli, store, linear):
    store(make_document(actions=ITEMS[:1]))
    linear.fail_next("POST", "/graphql", status=400, headers={"Retry-After": "1"},
                     body={"errors": [{"message": "Rate limit exceeded",
                                       "extensions": {"code": "RATELIMITED", "type": "ratelimited"}}]})  # fmt: skip
    result = cli("actions", "sync")
    assert result.exit_code == 0, result.stderr
    assert len(linear.issues) == 1


def test_a_wrong_key_names_the_setting(cli, store, linear, monkeypatch):
    store(make_document(actions=ITEMS))
    monkeypatch.setenv("AFTERACTION_LINEAR_TOKEN", "lin_api_wrong")
    result = cli("actions", "sync")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Linear refused the credentials") and "AFTERACTION_LINEAR_TOKEN" in (
        result.stderr
    )
    assert "lin_api_wrong" not in result.stderr


def test_a_lost_create_is_found_by_its_id_next_time(cli, store, linear):
    store(make_document(actions=ITEMS))
    # Team and user lookups answer; the create of AI-1 is carried out but its answer is lost.
    linear.fail_next("POST", "/graphql", drop=True, after=True, skip=2)
    assert cli("actions", "sync").exit_code == 6
    assert [i["identifier"] for i in linear.issues.values()] == ["ENG-1"]
    again = cli("actions", "sync", "--json")
    assert again.exit_code == 0, again.stderr
    assert [c["change"] for c in json.loads(again.stdout)["changes"]] == ["found", "created"]
    assert sorted(i["identifier"] for i in linear.issues.values()) == ["ENG-1", "ENG-2"]


def test_an_unknown_team_is_a_configuration_error(cli, store, linear, monkeypatch):
    store(make_document(actions=ITEMS))
    monkeypatch.setenv("AFTERACTION_LINEAR_TEAM", "OPS")
    result = cli("actions", "sync")
    assert result.exit_code == 2 and "Linear has no team with key 'OPS'" in result.stderr
