"""What a review meeting sees in `afteraction actions agenda`: Markdown of open, due, done and waiting work."""

from __future__ import annotations

from datetime import date, timedelta

from afteraction.domain.actions import ActionItemData
from tests.factories import make_document, make_users


def test_the_agenda_lists_open_items_by_owner_due_soon_done_and_reviews(cli, store, db):
    make_users(db, "dana.ross")
    today = date.today()
    store(make_document(1, actions=[
        ActionItemData(title="Rotate the certificate", owner="Bo Chen", due=today - timedelta(days=3), priority="P1"),
        ActionItemData(title="Add a canary stage", owner="Ann Lee", due=today + timedelta(days=2)),
        ActionItemData(title="Tidy the dashboards", due=today + timedelta(days=30)),
        ActionItemData(title="Document the failover", owner="Ann Lee", due=today + timedelta(days=20)),
    ]))  # fmt: skip
    store(make_document(2, title="Search outage", actions=[]))
    cli("actions", "update", "AI-4", "--status", "done")
    cli("review", "request", "INC-2", "-r", "dana.ross", "--as", "Eve Park")
    result = cli("actions", "agenda")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"# Post-mortem review meeting, {today.isoformat()}")
    assert "## Open action items by owner (3 open, 1 overdue)" in text
    assert text.index("### Bo Chen (1 overdue)") < text.index("### Ann Lee") < text.index("### (no owner)")
    assert "**AI-1** Rotate the certificate (INC-1) — due" in text and "**overdue by 3 days**" in text
    soon = text.split("## Due in the next 7 days")[1].split("##")[0]
    assert "AI-2" in soon and "Ann Lee" in soon and "AI-1" not in soon and "AI-3" not in soon
    done = text.split("## Completed since")[1].split("##")[0]
    assert "**AI-4** Document the failover (INC-1) — Ann Lee, done" in done
    waiting = text.split("## Post-mortems awaiting review")[1]
    assert "**INC-2** Search outage (SEV2) — reviewers: dana.ross, waiting since" in waiting


def test_the_agenda_of_one_team_since_the_last_meeting(cli, store, tmp_path):
    store(make_document(1, actions=[ActionItemData(title="Add a canary stage", owner="Ann Lee")]))
    store(make_document(2, actions=[ActionItemData(title="Shard the index", owner="Bo Chen")]))
    cli("incident", "update", "INC-2", "--team", "search")
    out = tmp_path / "agenda.md"
    result = cli("actions", "agenda", "--team", "search", "--since", "2026-01-05", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "— team search" in text and "Shard the index" in text and "Add a canary stage" not in text
    assert "## Completed since 2026-01-05" in text and "Nothing was completed." in text and "None." in text


def test_an_empty_agenda_says_so(cli):
    text = cli("actions", "agenda").stdout
    assert "No open action items." in text and "Nothing is due." in text
