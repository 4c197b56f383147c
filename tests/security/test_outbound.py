"""Row 13: tracker sync, Slack and e-mail reminders against a server that drips one byte a second.

The "live server" here is the attacker's (or a broken proxy's): a real TCP server on loopback that keeps each
answer alive one byte at a time and never finishes it. The real CLI (`actions sync`, `remind`) must end at
AFTERACTION_OUTBOUND_TIMEOUT with one line naming the service and the setting (exit 6), write nothing half-done,
and not hang until killed. On both databases."""

from __future__ import annotations

import json
import re
import time
from datetime import date

import pytest

from afteraction.domain.actions import ActionItemData
from tests.factories import make_document
from tests.trackers.drip import BODY, BODY_HEAD, GREETING, HEADERS, DripServer

DEADLINE = 2  # AFTERACTION_OUTBOUND_TIMEOUT in these tests
ITEMS = [ActionItemData(title="Validate config before push", owner="Bo Chen", due=date(2030, 4, 1), priority="P1")]
VARIANTS = {"headers": (b"", HEADERS), "body": (BODY_HEAD, BODY)}


def tracker_env(tracker: str, url: str) -> dict[str, str]:
    """The settings that point a tracker at the dripping server."""
    return {
        "jira": {"JIRA_URL": url, "JIRA_EMAIL": "bot@example.com", "JIRA_TOKEN": "jira-token", "JIRA_PROJECT": "OPS"},
        "github": {"GITHUB_API_URL": url, "GITHUB_TOKEN": "gh-token", "GITHUB_REPO": "acme/shop"},
        "linear": {"LINEAR_API_URL": f"{url}/graphql", "LINEAR_TOKEN": "lin-token", "LINEAR_TEAM": "ENG"},
    }[tracker]


@pytest.fixture
def team(store, tmp_path, monkeypatch):
    """An incident with an open action item whose owner has an e-mail address and a Slack id; a short deadline."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[people]\n"Bo Chen" = { email = "bo@example.com", slack = "U02BO" }\n')
    monkeypatch.setenv("AFTERACTION_OUTBOUND_TIMEOUT", str(DEADLINE))
    monkeypatch.setenv("AFTERACTION_BASE_URL", "https://postmortems.example.com")
    monkeypatch.setenv("AFTERACTION_SMTP_FROM", "afteraction@example.com")
    store(make_document(actions=ITEMS))


@pytest.fixture
def dripping():
    servers: list[DripServer] = []

    def start(head: bytes, drip: bytes) -> DripServer:
        server = DripServer(drip, head=head, interval=1.0, give_up=20.0).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run_timed(cli, *args: str):
    started = time.monotonic()
    result = cli(*args)
    return result, time.monotonic() - started


def assert_one_line_at_the_deadline(result, took: float, service: str) -> None:
    assert took < 10, f"the command took {took:.1f} s against a server dripping one byte a second"
    assert took >= DEADLINE - 0.1  # it did wait for the deadline, not fail for another reason
    assert result.exit_code == 6, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert re.search(rf"{re.escape(service)} did not answer .*within {DEADLINE} s \(AFTERACTION_OUTBOUND_TIMEOUT\)",
                     lines[0]), lines[0]  # fmt: skip
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("tracker", "variant"),
    [("jira", "headers"), ("jira", "body"), ("github", "headers"), ("linear", "headers"), ("linear", "body")],
)
def test_tracker_sync_against_a_dripping_tracker_ends_at_the_deadline(cli, team, dripping, monkeypatch, tracker,
                                                                       variant):  # fmt: skip
    server = dripping(*VARIANTS[variant])
    for name, value in tracker_env(tracker, server.url).items():
        monkeypatch.setenv(f"AFTERACTION_{name}", value)
    result, took = run_timed(cli, "actions", "sync", "--tracker", tracker)
    assert_one_line_at_the_deadline(result, took, {"jira": "Jira", "github": "GitHub", "linear": "Linear"}[tracker])
    assert server.connections == 1  # the run stopped at the first unanswered request
    listed = json.loads(cli("actions", "list", "--json").stdout)
    assert [item["tracker"] for item in listed] == [None]  # nothing recorded as synced


@pytest.mark.parametrize("variant", ["headers", "body"])
def test_a_slack_reminder_to_a_dripping_webhook_ends_at_the_deadline(cli, team, dripping, monkeypatch, variant):
    server = dripping(*VARIANTS[variant])
    monkeypatch.setenv("AFTERACTION_SLACK_WEBHOOK_URL", f"{server.url}/services/T000/B000/SECRETPART")
    result, took = run_timed(cli, "remind", "--channel", "slack")
    assert_one_line_at_the_deadline(result, took, "Slack")
    assert "SECRETPART" not in result.stderr + result.stdout
    again = json.loads(cli("remind", "--channel", "slack", "--dry-run", "--json").stdout)
    assert [r["outcome"] for r in again["results"]] == ["would-send"]  # not recorded as sent: the next run retries


def test_an_email_reminder_to_a_dripping_smtp_server_ends_at_the_deadline(cli, team, dripping, monkeypatch):
    server = dripping(b"", GREETING)
    monkeypatch.setenv("AFTERACTION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AFTERACTION_SMTP_PORT", str(server.port))
    result, took = run_timed(cli, "remind", "--channel", "email")
    assert_one_line_at_the_deadline(result, took, f"the SMTP server 127.0.0.1:{server.port}")
    again = json.loads(cli("remind", "--channel", "email", "--dry-run", "--json").stdout)
    assert [r["outcome"] for r in again["results"]] == ["would-send"]


def test_a_dead_channel_is_not_tried_again_for_every_owner(cli, store, tmp_path, dripping, monkeypatch):
    monkeypatch.chdir(tmp_path)
    owners = ["Bo Chen", "Ana Ruiz", "Kim Lee"]
    (tmp_path / "afteraction.toml").write_text(
        "[people]\n" + "".join(f'"{o}" = {{ email = "{o.split()[0].lower()}@example.com" }}\n' for o in owners)
    )
    monkeypatch.setenv("AFTERACTION_OUTBOUND_TIMEOUT", str(DEADLINE))
    monkeypatch.setenv("AFTERACTION_SMTP_FROM", "afteraction@example.com")
    store(make_document(actions=[ActionItemData(title=f"Fix {o}", owner=o, due=date(2030, 4, 1)) for o in owners]))
    server = dripping(b"", GREETING)
    monkeypatch.setenv("AFTERACTION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AFTERACTION_SMTP_PORT", str(server.port))
    result, took = run_timed(cli, "remind", "--channel", "email", "--json")
    assert took < 2 * DEADLINE + 3, f"three owners took {took:.1f} s: the dead server was waited out more than once"
    outcomes = [(r["outcome"], r["detail"]) for r in json.loads(result.stdout)["results"]]
    assert [o for o, _ in outcomes] == ["failed"] * 3
    assert sum(detail.startswith("not tried: ") for _, detail in outcomes) == 2, outcomes
    again = json.loads(cli("remind", "--channel", "email", "--dry-run", "--json").stdout)
    assert [r["outcome"] for r in again["results"]] == ["would-send"] * 3
