"""`afteraction people …` keeps the directory, and `afteraction inbox --as NAME` shows what waits for someone."""

from __future__ import annotations

import json
from datetime import date, timedelta


def test_people_add_list_set_and_merge(cli):
    added = cli("people", "add", "Rita Gomez", "--email", "rita@example.com", "--team", "payments")
    assert added.exit_code == 0 and "Added Rita Gomez (rita@example.com)." in added.stdout
    cli("people", "add", "R. Gomez", "--slack", "U0RG")
    taken = cli("people", "add", "rita gomez")
    assert taken.exit_code != 0 and "'Rita Gomez' is already in the directory" in taken.stderr
    changed = cli("people", "set", "gomez", "--github", "ritag")
    assert changed.exit_code != 0 and "matches several people: R. Gomez, Rita Gomez" in changed.stderr
    cli("people", "set", "rita@example.com", "--github", "ritag", "--no-slack-notifications")
    merged = cli("people", "merge", "@ritag", "R. Gomez")
    assert merged.exit_code == 0 and "Merged into Rita Gomez (rita@example.com, Slack U0RG)." in merged.stdout
    listed = json.loads(cli("people", "list", "--json").stdout)
    assert [(p["name"], p["email"], p["github_login"], p["notify_slack"]) for p in listed] == [
        ("Rita Gomez", "rita@example.com", "ritag", False)
    ]
    table = cli("people", "list").stdout
    assert "Rita Gomez" in table and "payments" in table


def test_inbox_as_a_person_lists_their_items_overdue_first(cli):
    cli("incident", "create", "--title", "Checkout down", "--severity", "SEV2")
    late = (date.today() - timedelta(days=1)).isoformat()
    later = (date.today() + timedelta(days=9)).isoformat()
    cli("actions", "add", "INC-1", "--title", "Add a canary", "--owner", "Bo Chen", "--due", later)
    cli("actions", "add", "INC-1", "--title", "Fix the alert", "--owner", "Bo Chen", "--due", late)
    found = json.loads(cli("inbox", "--as", "bo chen", "--json").stdout)
    assert found["person"] == "Bo Chen"
    assert [(a["id"], a["title"], a["overdue"]) for a in found["actions"]] == [
        ("AI-2", "Fix the alert", True), ("AI-1", "Add a canary", False),
    ]  # fmt: skip
    assert found["reviews"] == [] and found["postmortems_due"] == []
    shown = " ".join(cli("inbox", "--as", "Bo").stdout.split())
    assert "Inbox of Bo Chen" in shown and "Nothing to review." in shown and "(overdue)" in shown
    nobody = cli("inbox", "--as", "Zed")
    assert nobody.exit_code != 0 and "'Zed' matches nobody in the directory of people" in nobody.stderr
