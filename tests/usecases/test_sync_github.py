"""What a team sees running `actions sync` against GitHub Issues (a real local HTTP server)."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from afteraction.domain.actions import ActionItemData
from tests.factories import make_document
from tests.usecases.fake_github import FakeGitHub

ITEMS = [
    ActionItemData(title="Validate config before push", owner="Bo Chen", due=date(2030, 4, 1), priority="P1"),
    ActionItemData(title="Write the rollback runbook", owner="Ann Lee", due=date(2030, 4, 15)),
]


@pytest.fixture
def github(monkeypatch, tmp_path):
    fake = FakeGitHub().start()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[people."Bo Chen"]\ngithub = "bochen"\n')
    for name, value in {"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": "ghp_test", "GITHUB_REPO": "acme/shop",
                        "TRACKER": "github", "TRACKER_MAX_WAIT": "30"}.items():  # fmt: skip
        monkeypatch.setenv(f"AFTERACTION_{name}", value)
    yield fake
    fake.stop()


def test_sync_creates_github_issues_with_labels_and_assignees_once(cli, store, github):
    store(make_document(actions=ITEMS))
    first = cli("actions", "sync", "--tracker", "github", "--json")
    assert first.exit_code == 0, first.stderr
    assert [(c["change"], c["key"]) for c in json.loads(first.stdout)["changes"]] == [
        ("created", "acme/shop#1"), ("created", "acme/shop#2")]  # fmt: skip
    issue = github.issues[1]
    assert [label["name"] for label in issue["labels"]] == ["postmortem", "INC-1", "P1"]
    assert issue["assignees"] == [{"login": "bochen"}] and github.issues[2]["assignees"] == []
    assert "- Due: 2030-04-01" in issue["body"]
    assert cli("actions", "sync").exit_code == 0
    assert len(github.calls("POST")) == 2


def test_closed_is_done_and_not_planned_is_wont_do(cli, store, github):
    store(make_document(actions=ITEMS))
    cli("actions", "sync")
    github.close_issue(1)
    github.close_issue(2, "not_planned")
    assert cli("actions", "sync").exit_code == 0
    items = json.loads(cli("actions", "list", "--json").stdout)
    assert [i["status"] for i in items] == ["done", "wont-do"]
    assert items[1]["status_reason"] == "closed (not_planned) in GitHub (acme/shop#2)"


def test_title_and_due_changes_are_pushed(cli, store, github):
    store(make_document(actions=ITEMS[:1]))
    cli("actions", "sync")
    cli("actions", "update", "AI-1", "--due", "2030-06-30")
    assert cli("actions", "sync").exit_code == 0
    assert "- Due: 2030-06-30" in github.issues[1]["body"]
    assert len(github.calls("PATCH")) == 1


def test_a_secondary_rate_limit_is_waited_out(cli, store, github):
    store(make_document(actions=ITEMS[:1]))
    github.fail_next(
        "POST",
        "/repos/acme/shop/issues",
        status=403,
        headers={"Retry-After": "1"},
        body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes."},
    )
    github.fail_next("POST", "/repos/acme/shop/issues", status=403,
                     headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()))},
                     body={"message": "API rate limit exceeded for user ID 1."})  # fmt: skip
    result = cli("actions", "sync")
    assert result.exit_code == 0, result.stderr
    assert len(github.calls("POST")) == 3 and list(github.issues) == [1]


def test_bad_credentials_name_the_token_setting(cli, store, github, monkeypatch):
    store(make_document(actions=ITEMS))
    monkeypatch.setenv("AFTERACTION_GITHUB_TOKEN", "ghp_wrong")
    result = cli("actions", "sync")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: GitHub refused the credentials (401 Bad credentials): check AFTERACTION_GITHUB_TOKEN "
        "(it needs Issues read and write on AFTERACTION_GITHUB_REPO)"
    )
    assert "ghp_wrong" not in result.stderr + result.stdout


def test_a_network_failure_leaves_the_items_as_they_were(cli, store, github):
    store(make_document(actions=ITEMS))
    github.fail_next("POST", "/repos/acme/shop/issues", drop=True)
    failed = cli("actions", "sync")
    assert failed.exit_code == 6 and "cannot reach GitHub" in failed.stderr
    assert github.issues == {}
    assert [i["tracker"] for i in json.loads(cli("actions", "list", "--json").stdout)] == [None, None]
    assert cli("actions", "sync").exit_code == 0
    assert sorted(github.issues) == [1, 2]
    # the item whose create was attempted is looked up first, in its incident's issues (not the lagging search)
    assert len(github.calls("GET", "/repos/acme/shop/issues")) == 1


def test_a_lost_answer_is_found_in_the_incidents_issues_by_the_next_run_without_a_duplicate(cli, store, github):
    store(make_document(actions=ITEMS))
    github.fail_next("POST", "/repos/acme/shop/issues", drop=True, after=True)  # created, the answer never arrives
    assert cli("actions", "sync").exit_code == 6
    assert sorted(github.issues) == [1]
    github.close_issue(1)  # closed before the next run: still found (state=all), and read back as done
    again = cli("actions", "sync", "--json")
    assert again.exit_code == 0, again.stderr
    changes = [(c["action_id"], c["change"], c["key"]) for c in json.loads(again.stdout)["changes"]]
    assert changes[:2] == [("AI-1", "found", "acme/shop#1"), ("AI-2", "created", "acme/shop#2")]
    assert sorted(github.issues) == [1, 2]
    listed = github.calls("GET", "/repos/acme/shop/issues")[0]
    assert (listed.path, listed.query["labels"], listed.query["state"]) == ("/repos/acme/shop/issues", "INC-1", "all")


def test_the_tracker_is_unreachable(cli, store, github):
    store(make_document(actions=ITEMS))
    github.stop()
    result = cli("actions", "sync")
    assert result.exit_code == 6 and "cannot reach GitHub: ConnectError" in result.stderr


def test_the_token_never_reaches_the_logs_or_the_database(cli, store, github, caplog, db):
    import logging

    from sqlalchemy import text

    store(make_document(actions=ITEMS))
    with caplog.at_level(logging.DEBUG):
        assert cli("actions", "sync").exit_code == 0
    assert caplog.records and "ghp_test" not in caplog.text
    with db.engine.connect() as conn:
        rows = (
            conn.execute(text("SELECT * FROM tracker_links")).all()
            + conn.execute(text("SELECT * FROM action_items")).all()
        )
    assert rows and not any("ghp_test" in str(row) for row in rows)
