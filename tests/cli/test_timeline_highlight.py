"""`afteraction timeline highlight` and `timeline show --highlights`: what a user sees."""

from __future__ import annotations

import json


def _setup(cli) -> None:
    cli("incident", "create", "--title", "Checkout 502s", "--severity", "SEV2", "--started-at", "2026-03-14T09:58:12Z")
    cli("timeline", "add", "INC-1", "--at", "2026-03-14T10:00:00Z", "--text", "Rolled back v42")
    cli("timeline", "add", "INC-1", "--at", "2026-03-14T10:01:00Z", "--text", "Looked at the graphs")
    cli("timeline", "add", "INC-1", "--at", "2026-03-14T10:02:00Z", "--text", "Errors stopped")


def test_events_are_unstarred_and_starred_and_show_lists_the_highlights(cli):
    _setup(cli)
    one = cli("timeline", "highlight", "2", "--off")
    assert one.exit_code == 0 and one.stdout.strip() == "Event 2 is no longer a highlight."
    many = cli("timeline", "highlight", "1", "2", "3")
    assert many.exit_code == 0 and " ".join(many.stdout.split()) == "3 events are now highlights (2 already were)."
    cli("timeline", "highlight", "3", "--off")
    shown = cli("timeline", "show", "INC-1", "--highlights")
    assert "Rolled back v42" in shown.stdout and "Looked at the graphs" in shown.stdout
    assert "Errors stopped" not in shown.stdout and "★" in shown.stdout
    as_json = json.loads(cli("timeline", "show", "INC-1", "--highlights", "--json").stdout)
    assert [(e["id"], e["highlight"]) for e in as_json] == [(1, True), (2, True)]
    machine = json.loads(cli("timeline", "highlight", "1", "--json").stdout)
    assert machine == {"event_ids": [1], "highlight": True, "changed": 0}


def test_an_unknown_event_is_one_line_naming_it(cli):
    _setup(cli)
    missing = cli("timeline", "highlight", "1", "77")
    assert missing.exit_code != 0 and "no timeline event 77" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
