"""What a team sees running `actions sync` against Jira Cloud (a real local HTTP server speaking REST v3)."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from afteraction.core.actor import Actor
from afteraction.domain.actions import ActionItemData
from tests.factories import make_document
from tests.usecases.fake_jira import FakeJira

ITEMS = [
    ActionItemData(title="Validate config before push", owner="Bo Chen", due=date(2030, 4, 1), priority="P1",
                   type="prevent"),
    ActionItemData(title="Page on checkout error rate", owner="Mia Krystof", due=date(2030, 4, 15), priority="P0"),
]  # fmt: skip


@pytest.fixture
def jira(monkeypatch, tmp_path):
    fake = FakeJira().start()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[people]\n"Bo Chen" = "bo@example.com"\n')
    for name, value in {"JIRA_URL": fake.url, "JIRA_EMAIL": "bot@example.com", "JIRA_TOKEN": "jira-token",
                        "JIRA_PROJECT": "OPS", "BASE_URL": "https://postmortems.example.com",
                        "TRACKER_MAX_WAIT": "30"}.items():  # fmt: skip
        monkeypatch.setenv(f"AFTERACTION_{name}", value)
    yield fake
    fake.stop()


def test_sync_creates_one_jira_issue_per_item_and_never_a_duplicate(cli, store, jira):
    store(make_document(actions=ITEMS))
    first = cli("actions", "sync", "--json")
    assert first.exit_code == 0, first.stderr
    changes = json.loads(first.stdout)["changes"]
    assert [(c["action_id"], c["change"], c["key"]) for c in changes] == [
        ("AI-1", "created", "OPS-1"),
        ("AI-2", "created", "OPS-2"),
    ]
    issue = jira.issues["OPS-1"]["fields"]
    assert issue["summary"] == "Validate config before push"
    assert issue["duedate"] == "2030-04-01" and issue["priority"] == {"name": "High"}
    assert issue["labels"][:2] == ["postmortem", "INC-1"]
    assert issue["assignee"] == {"id": "5b10ac8d82e05b22cc7d4ef5"}
    link = issue["description"]["content"][0]["content"][1]
    assert link["marks"][0]["attrs"]["href"] == "https://postmortems.example.com/incidents/INC-1"
    assert "assignee" not in jira.issues["OPS-2"]["fields"] or jira.issues["OPS-2"]["fields"]["assignee"] is None
    second = cli("actions", "sync", "--json")
    assert second.exit_code == 0, second.stderr
    assert len(jira.calls("POST", "/rest/api/3/issue")) == 2
    assert all(c["change"] == "status" for c in json.loads(second.stdout)["changes"])
    listed = json.loads(cli("actions", "list", "--json").stdout)
    assert [i["tracker"] for i in listed] == ["OPS-1", "OPS-2"]


def test_done_in_jira_marks_the_item_done_and_a_wont_do_keeps_the_reason(cli, store, jira):
    store(make_document(actions=ITEMS))
    cli("actions", "sync")
    jira.set_status("OPS-1", "done")
    jira.set_status("OPS-2", "done", resolution="Won't Do")
    result = cli("actions", "sync", "--json")
    assert result.exit_code == 0, result.stderr
    details = {c["action_id"]: c["detail"] for c in json.loads(result.stdout)["changes"]}
    assert details == {"AI-1": "done: Done in Jira (OPS-1)", "AI-2": "wont-do: Done in Jira (OPS-2)"}
    items = json.loads(cli("actions", "list", "--json").stdout)
    assert [(i["status"], i["closed_at"] is not None) for i in items] == [("done", True), ("wont-do", True)]
    assert items[1]["status_reason"] == "Done in Jira (OPS-2)"


def test_a_new_title_or_due_date_is_pushed_once(cli, store, jira):
    store(make_document(actions=ITEMS))
    cli("actions", "sync")
    cli("actions", "update", "AI-1", "--title", "Validate every config push in CI", "--due", "2030-05-01")
    result = cli("actions", "sync", "--json")
    assert [c["change"] for c in json.loads(result.stdout)["changes"]] == ["updated", "status"]
    fields = jira.issues["OPS-1"]["fields"]
    assert (fields["summary"], fields["duedate"]) == ("Validate every config push in CI", "2030-05-01")
    assert "2030-04-01" not in json.dumps(fields["description"])  # no stale due date left in the description
    cli("actions", "sync")
    assert len(jira.calls("PUT")) == 1


def test_a_rate_limit_is_waited_out(cli, store, jira):
    store(make_document(actions=ITEMS[:1]))
    jira.fail_next("POST", "/rest/api/3/issue", status=429, headers={"Retry-After": "1"},
                   body={"errorMessages": ["Rate limit exceeded."]})  # fmt: skip
    started = time.monotonic()
    result = cli("actions", "sync")
    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started >= 1.0
    posts = jira.calls("POST", "/rest/api/3/issue")
    assert len(posts) == 2 and posts[1].at - posts[0].at >= 1.0
    assert list(jira.issues) == ["OPS-1"]


def test_wrong_credentials_give_one_line_naming_the_settings(cli, store, jira, monkeypatch):
    store(make_document(actions=ITEMS))
    monkeypatch.setenv("AFTERACTION_JIRA_TOKEN", "expired")
    result = cli("actions", "sync")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Jira refused the credentials (401")
    assert "AFTERACTION_JIRA_EMAIL and AFTERACTION_JIRA_TOKEN" in lines[0] and "expired" not in result.stderr
    assert [i["tracker"] for i in json.loads(cli("actions", "list", "--json").stdout)] == [None, None]


def test_a_lost_answer_is_recovered_by_the_next_run_without_a_duplicate(cli, store, jira):
    store(make_document(actions=ITEMS))
    jira.fail_next("POST", "/rest/api/3/issue", drop=True, after=True)  # created, but the answer never arrives
    failed = cli("actions", "sync")
    assert failed.exit_code == 6
    assert "cannot reach Jira" in failed.stderr and "next run completes the work" in failed.stderr
    assert list(jira.issues) == ["OPS-1"]
    assert [i["tracker"] for i in json.loads(cli("actions", "list", "--json").stdout)] == [None, None]
    again = cli("actions", "sync", "--json")
    assert again.exit_code == 0, again.stderr
    changes = [(c["action_id"], c["change"], c["key"]) for c in json.loads(again.stdout)["changes"]]
    assert changes == [("AI-1", "found", "OPS-1"), ("AI-2", "created", "OPS-2")]
    assert list(jira.issues) == ["OPS-1", "OPS-2"]


def test_a_malformed_request_is_reported_and_other_items_go_on(cli, store, jira):
    store(make_document(actions=[ActionItemData(title="Fix it", owner="Bo Chen", due=date(2030, 4, 1),
                                                priority="P1"), *ITEMS[1:]]))  # fmt: skip
    jira.fail_next("POST", "/rest/api/3/issue", status=400,
                   body={"errorMessages": [], "errors": {"priority": "Specify the Priority (id or name)"}})  # fmt: skip
    result = cli("actions", "sync")
    assert result.exit_code == 6
    assert "error: AI-1: Jira answered 400 to POST /rest/api/3/issue: priority: Specify the Priority" in result.stderr
    assert list(jira.issues) == ["OPS-1"]
    assert cli("actions", "sync").exit_code == 0
    assert list(jira.issues) == ["OPS-1", "OPS-2"]


def test_dry_run_sends_and_writes_nothing(cli, store, jira):
    store(make_document(actions=ITEMS))
    result = cli("actions", "sync", "--dry-run")
    assert result.exit_code == 0 and "Would sync" in result.stdout and "create" in result.stdout
    assert jira.requests == []


def test_missing_settings_are_named(cli, store, monkeypatch):
    for name in ("JIRA_URL", "JIRA_EMAIL", "JIRA_TOKEN", "JIRA_PROJECT", "GITHUB_REPO", "LINEAR_TEAM"):
        monkeypatch.delenv(f"AFTERACTION_{name}", raising=False)
    monkeypatch.setenv("AFTERACTION_JIRA_URL", "https://example.atlassian.net")
    result = cli("actions", "sync")
    assert result.exit_code == 2
    assert "Jira is not configured: set AFTERACTION_JIRA_EMAIL, AFTERACTION_JIRA_TOKEN, AFTERACTION_JIRA_PROJECT" in (
        result.stderr
    )


def test_two_syncs_at_once_create_each_issue_once(db, database_url, store, jira):
    import threading

    from afteraction.core.config import Settings
    from afteraction.core.db import Database
    from afteraction.domain.policy import Policy
    from afteraction.trackers import make_tracker
    from afteraction.usecases.sync import sync_actions

    store(make_document(actions=ITEMS))
    original = jira.handle

    def slow(request):
        if request.method == "POST":
            time.sleep(0.3)  # both runs are under way while the first creates are in flight
        return original(request)

    jira.handle = slow
    reports = []

    def run():
        database = Database(database_url)
        try:
            reports.append(sync_actions(database, tracker=make_tracker("jira", Settings()), policy=Policy(),
                                        actor=Actor.system("cron")))  # fmt: skip
        finally:
            database.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(jira.issues) == ["OPS-1", "OPS-2"]
    created = sorted(c.action_id for r in reports for c in r.changes if c.change == "created")
    assert created == ["AI-1", "AI-2"]
