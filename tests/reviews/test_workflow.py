"""What a team sees moving a post-mortem through review: requests, approvals, rejections, publishing refusals."""

from __future__ import annotations

import json
from datetime import date

from afteraction.domain.actions import ActionItemData
from tests.factories import make_document, make_users


def test_a_post_mortem_goes_from_draft_to_published_and_every_step_is_recorded(cli, store, db):
    make_users(db, "dana.ross")
    incident = store(make_document())
    requested = cli("review", "request", incident, "--reviewer", "Dana.Ross", "--as", "Ann Lee", "-m", "please look")
    assert requested.exit_code == 0, requested.stderr
    assert "in-review" in requested.stdout and "dana.ross" in requested.stdout  # the account's own spelling
    approved = cli("review", "approve", incident, "--as", "DANA.ROSS", "--comment", "clear and blameless")
    assert approved.exit_code == 0, approved.stderr
    assert "approved" in approved.stdout
    published = cli("review", "publish", incident, "--as", "Ann Lee", "--json")
    assert published.exit_code == 0, published.stderr
    state = json.loads(published.stdout)
    assert state["status"] == "published" and state["published_at"].endswith("Z")
    steps = [(e["action"], e["from_status"], e["to_status"], e["actor"]) for e in state["history"]]
    assert steps == [
        ("request", "draft", "in-review", "Ann Lee"),
        ("approve", "in-review", "approved", "dana.ross"),
        ("publish", "approved", "published", "Ann Lee"),
    ]
    assert state["history"][0]["comment"] == "please look" and all(e["at"].endswith("Z") for e in state["history"])
    shown = cli("review", "show", incident)
    assert "History" in shown.stdout and "clear and blameless" in shown.stdout


def test_publishing_is_refused_with_every_reason_listed(cli, store, db):
    make_users(db, "dana.ross")
    doc = make_document(impact="", timeline=False, actions=[
        ActionItemData(title="Add a canary stage"),
        ActionItemData(title="Alert on config errors", owner="Bo Chen"),
    ])  # fmt: skip
    incident = store(doc)
    cli("review", "request", incident, "-r", "dana.ross", "--as", "Ann Lee")
    cli("review", "approve", incident, "--as", "dana.ross")
    refused = cli("review", "publish", incident, "--as", "Ann Lee")
    assert refused.exit_code == 4
    assert "cannot publish INC-1" in refused.stderr
    for reason in (
        "The Impact section is empty.",
        "The Timeline section is empty.",
        "AI-1 (Add a canary stage) has no owner.",
        "AI-1 (Add a canary stage) has no due date.",
        "AI-2 (Alert on config errors) has no due date.",
    ):
        assert reason in refused.stderr
    assert "Traceback" not in refused.stderr
    state = json.loads(cli("review", "show", incident, "--json").stdout)
    assert state["status"] == "approved" and len(state["blockers"]) == 5


def test_the_policy_fills_missing_due_dates_by_priority_when_publishing(cli, store, tmp_path, monkeypatch):
    (tmp_path / "afteraction.toml").write_text('[policy]\nrequire-approval = false\n[policy.action-due]\nP2 = "3d"\n')
    monkeypatch.chdir(tmp_path)
    incident = store(make_document(actions=[ActionItemData(title="Document the rollback", owner="Bo Chen",
                                                           priority="P2")]))  # fmt: skip
    before = json.loads(cli("review", "show", incident, "--json").stdout)
    assert before["blockers"] == []  # what publishing will fill is not shown as blocking it
    published = cli("review", "publish", incident, "--as", "Ann Lee", "--json")
    assert published.exit_code == 0, published.stderr
    state = json.loads(published.stdout)
    assert state["status"] == "published" and state["filled_due_dates"][0].startswith("AI-1 due ")
    item = json.loads(cli("actions", "list", "--json").stdout)[0]
    assert item["due"] is not None


def test_publishing_needs_an_approval_first(cli, store):
    incident = store(make_document())
    result = cli("review", "publish", incident, "--as", "Ann Lee")
    assert result.exit_code == 4
    assert "It needs 1 approval and has not been sent for review yet. (afteraction review request" in result.stderr


def test_only_a_reviewer_can_approve_and_only_once(cli, store, db):
    make_users(db, "dana.ross", "eve")
    incident = store(make_document())
    cli("review", "request", incident, "-r", "dana.ross", "--as", "Ann Lee")
    stranger = cli("review", "approve", incident, "--as", "eve")
    assert stranger.exit_code == 2
    assert stranger.stderr == (
        "error: eve is not a reviewer of INC-1: only its reviewers (dana.ross) or an admin can approve it\n"
    )
    nobody = cli("review", "approve", incident, "--as", "Mallory")
    assert nobody.exit_code == 2
    assert "no account named 'Mallory': only a reviewer of INC-1 (dana.ross) or an admin can approve it" in (
        nobody.stderr
    )
    assert cli("review", "approve", incident, "--as", "dana.ross").exit_code == 0
    again = cli("review", "request", incident, "-r", "eve", "--as", "Ann Lee")
    assert again.exit_code == 4 and "only a draft can be sent for review" in again.stderr


def test_two_approvals_when_the_policy_asks_for_two(cli, store, db, tmp_path, monkeypatch):
    make_users(db, "dana.ross", "eve.park")
    (tmp_path / "pyproject.toml").write_text("[tool.afteraction.policy]\napprovals = 2\n")
    monkeypatch.chdir(tmp_path)
    incident = store(make_document())
    cli("review", "request", incident, "-r", "dana.ross", "-r", "eve.park", "--as", "Ann Lee")
    first = json.loads(cli("review", "approve", incident, "--as", "dana.ross", "--json").stdout)
    assert first["status"] == "in-review" and first["approvals"] == ["dana.ross"]
    twice = cli("review", "approve", incident, "--as", "dana.ross")
    assert twice.exit_code == 4 and "already approved" in twice.stderr
    second = json.loads(cli("review", "approve", incident, "--as", "eve.park", "--json").stdout)
    assert second["status"] == "approved" and second["approvals"] == ["dana.ross", "eve.park"]


def test_rejecting_needs_a_comment_and_returns_the_draft(cli, store, db):
    make_users(db, "dana.ross")
    incident = store(make_document())
    cli("review", "request", incident, "-r", "dana.ross", "--as", "Ann Lee")
    empty = cli("review", "reject", incident, "--comment", "  ", "--as", "dana.ross")
    assert empty.exit_code == 2 and "needs a comment" in empty.stderr
    rejected = json.loads(
        cli("review", "reject", incident, "-m", "Name the systemic cause", "--as", "dana.ross", "--json").stdout
    )
    assert rejected["status"] == "draft"
    assert rejected["history"][-1]["comment"] == "Name the systemic cause"


def test_requesting_a_review_needs_a_reviewer(cli, store):
    incident = store(make_document())
    result = cli("review", "request", incident, "--as", "Ann Lee")
    assert result.exit_code == 2 and "has no reviewers" in result.stderr


def test_the_acting_user_comes_from_the_environment(cli, store, db, monkeypatch):
    make_users(db, "dana.ross")
    monkeypatch.setenv("AFTERACTION_USER", "Ann Lee")
    incident = store(make_document())
    state = json.loads(cli("review", "request", incident, "-r", "dana.ross", "--json").stdout)
    assert state["history"][0]["actor"] == "Ann Lee"


def test_a_published_post_mortem_closes_when_every_item_is_finished(cli, store, db):
    make_users(db, "dana.ross")
    incident = store(make_document(actions=[
        ActionItemData(title="Validate config before push", owner="Bo Chen", due=None, priority="P1", status="done"),
        ActionItemData(title="Add a config linter", owner="Bo Chen", priority="P3", status="wont-do"),
    ]))  # fmt: skip
    cli("review", "request", incident, "-r", "dana.ross", "--as", "Ann Lee")
    cli("review", "approve", incident, "--as", "dana.ross")
    state = json.loads(cli("review", "publish", incident, "--as", "Ann Lee", "--json").stdout)
    assert state["status"] == "closed"
    assert [e["action"] for e in state["history"]][-2:] == ["publish", "close"]


def test_finishing_the_last_item_by_hand_closes_the_post_mortem_at_once(cli, store, db, tmp_path, monkeypatch):
    make_users(db, "dana.ross")
    monkeypatch.chdir(tmp_path)
    incident = store(make_document(actions=[
        ActionItemData(title="Validate config before push", owner="Bo Chen", due=date(2030, 4, 1)),
        ActionItemData(title="Add a config linter", owner="Bo Chen", due=date(2030, 4, 1)),
    ]))  # fmt: skip
    cli("review", "request", incident, "-r", "dana.ross", "--as", "Ann Lee")
    cli("review", "approve", incident, "--as", "dana.ross")
    assert json.loads(cli("review", "publish", incident, "--as", "Ann Lee", "--json").stdout)["status"] == "published"
    first = cli("actions", "update", "AI-1", "--status", "done", "--as", "Bo Chen")
    assert first.exit_code == 0 and "is closed" not in first.stdout
    assert json.loads(cli("review", "show", incident, "--json").stdout)["status"] == "published"
    refused = cli("actions", "update", "AI-2", "--status", "wont-do", "--as", "Bo Chen")
    assert refused.exit_code == 2 and "needs a reason" in refused.stderr
    assert json.loads(cli("review", "show", incident, "--json").stdout)["status"] == "published"
    done = cli("actions", "update", "AI-2", "--status", "wont-do", "--reason", "the schema check covers it",
               "--as", "Bo Chen")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert f"The post-mortem of {incident} is closed: every action item is done or wont-do." in done.stdout
    state = json.loads(cli("review", "show", incident, "--json").stdout)
    assert state["status"] == "closed"
    last = state["history"][-1]
    assert (last["action"], last["from_status"], last["to_status"], last["actor"]) == (
        "close", "published", "closed", "Bo Chen")  # fmt: skip
    assert json.loads(cli("policy", "check", "--json").stdout)["closed"] == []
    cli("actions", "update", "AI-1", "--status", "open", "--as", "Ann Lee")
    state = json.loads(cli("review", "show", incident, "--json").stdout)
    assert state["status"] == "published" and state["history"][-1]["action"] == "reopen"


def test_a_reviewer_approves_under_the_name_the_directory_knows_them_by(cli, store, db):
    from afteraction.people.service import PersonChanges, change_person

    make_users(db, "dana.ross")
    change_person(db, who="dana.ross", changes=PersonChanges(name="Dana Ross"))  # her display name, her sign-in kept
    incident = store(make_document())
    assert cli("review", "request", incident, "-r", "Dana Ross", "--as", "Ann Lee").exit_code == 0
    approved = cli("review", "approve", incident, "--as", "dana.ross@example.org", "--json")
    assert approved.exit_code == 0, approved.stderr
    assert json.loads(approved.stdout)["status"] == "approved"
