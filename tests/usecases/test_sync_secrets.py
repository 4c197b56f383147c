"""Tracker tokens stay secret: whatever `actions sync` does, no token shows in its output, its logs or the database."""

from __future__ import annotations

import base64
import json
import logging
from datetime import date

import pytest

from afteraction.domain.actions import ActionItemData
from afteraction.models import metadata
from tests.factories import make_document
from tests.usecases.fake_github import FakeGitHub
from tests.usecases.fake_jira import FakeJira
from tests.usecases.fake_linear import FakeLinear

TOKEN = "tok-5ecret-7f1c90ab"
WRONG = "tok-wr0ng-42de77cc"
ITEMS = [
    ActionItemData(title="Validate config before push", owner="Bo Chen", due=date(2030, 4, 1), priority="P1"),
    ActionItemData(title="Write the rollback runbook", owner="Ann Lee", due=date(2030, 4, 15)),
]


def _jira(fake):
    return {"JIRA_URL": fake.url, "JIRA_EMAIL": "bot@example.com", "JIRA_PROJECT": "OPS"}


def _github(fake):
    return {"GITHUB_API_URL": fake.url, "GITHUB_REPO": "acme/shop"}


def _linear(fake):
    return {"LINEAR_API_URL": fake.url + "/graphql", "LINEAR_TEAM": "ENG"}


TRACKERS = {
    "jira": (lambda: FakeJira(token=TOKEN), _jira, "JIRA_TOKEN"),
    "github": (lambda: FakeGitHub(token=TOKEN), _github, "GITHUB_TOKEN"),
    "linear": (lambda: FakeLinear(token=TOKEN), _linear, "LINEAR_TOKEN"),
}


def _forms(token: str) -> list[str]:
    """A token as it could leak: itself, and inside Jira's basic-auth header."""
    return [token, base64.b64encode(f"bot@example.com:{token}".encode()).decode()]


@pytest.mark.parametrize("tracker", sorted(TRACKERS))
def test_no_token_reaches_the_output_the_logs_or_any_table(cli, store, db, caplog, monkeypatch, tmp_path, tracker):
    make, settings, token_setting = TRACKERS[tracker]
    fake = make().start()
    try:
        monkeypatch.chdir(tmp_path)
        (tmp_path / "afteraction.toml").write_text(
            '[people]\n"Bo Chen" = { email = "bo@example.com", github = "bochen" }\n'
        )
        for name, value in {**settings(fake), token_setting: TOKEN, "TRACKER_MAX_WAIT": "30"}.items():
            monkeypatch.setenv(f"AFTERACTION_{name}", value)
        store(make_document(actions=ITEMS))
        with caplog.at_level(logging.DEBUG):
            created = cli("actions", "sync", "--tracker", tracker, "--json")
            again = cli("actions", "sync", "--tracker", tracker, "--dry-run")
            checked = cli("actions", "sync", "--tracker", tracker)
            monkeypatch.setenv(f"AFTERACTION_{token_setting}", WRONG)
            refused = cli("actions", "sync", "--tracker", tracker)
    finally:
        fake.stop()
    assert created.exit_code == 0, created.stderr
    assert [c["change"] for c in json.loads(created.stdout)["changes"]] == ["created", "created"]
    assert again.exit_code == 0 and checked.exit_code == 0
    assert refused.exit_code == 2 and f"AFTERACTION_{token_setting}" in refused.stderr
    assert caplog.records  # the clients did log their requests
    seen = [caplog.text] + [r.stdout + r.stderr for r in (created, again, checked, refused)]
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            seen += [str(tuple(row)) for row in conn.execute(table.select())]
    text = "\n".join(seen)
    assert "created" in text
    for secret in _forms(TOKEN) + _forms(WRONG):
        assert secret not in text
