"""`afteraction timeline show` a page at a time: --limit shows the first events and says how many more there are and
the cursor of the rest, --json prints that cursor, filters narrow it, and a mistake is one line with exit 2."""

from __future__ import annotations

import json

import pytest

from afteraction.core.db import Database
from tests.timeline.test_paging import add_events


@pytest.fixture
def incident(cli, db: Database) -> str:
    cli("incident", "create", "--title", "Payments latency", "--severity", "SEV2")
    add_events(db, "INC-1", 30)
    return "INC-1"


def test_limit_shows_the_first_events_and_how_many_more_there_are(cli, incident):
    shown = cli("timeline", "show", incident, "--limit", "5")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.count("event ") == 5
    assert "25 more events" in shown.stdout and "--cursor " in shown.stdout
    cursor = shown.stdout.split("--cursor ", 1)[1].split()[0]
    rest = json.loads(cli("timeline", "show", incident, "--cursor", cursor, "--json").stdout)
    everything = json.loads(cli("timeline", "show", incident, "--json").stdout)
    assert isinstance(everything, list) and len(everything) == 30  # without --limit: all, as before
    assert rest == everything[5:]


def test_limit_with_json_prints_the_page_and_the_next_cursor(cli, incident):
    page = json.loads(cli("timeline", "show", incident, "--limit", "20", "--json").stdout)
    assert set(page) == {"items", "next_cursor"} and len(page["items"]) == 20 and page["next_cursor"]
    rest = json.loads(cli("timeline", "show", incident, "--limit", "20", "--cursor", page["next_cursor"],
                          "--json").stdout)  # fmt: skip
    assert len(rest["items"]) == 10 and rest["next_cursor"] is None
    assert page["items"] + rest["items"] == json.loads(cli("timeline", "show", incident, "--json").stdout)


def test_filters_narrow_the_timeline(cli, incident):
    git = json.loads(cli("timeline", "show", incident, "--source", "git", "--json").stdout)
    assert len(git) == 10 and {e["source"] for e in git} == {"git"}
    window = json.loads(
        cli("timeline", "show", incident, "--since", "2026-03-14T10:00:02Z", "--until", "2026-03-14T10:00:03Z",
            "--kind", "message", "--json").stdout
    )  # fmt: skip
    assert [e["at"] for e in window] == ["2026-03-14T10:00:02Z"] * 3 + ["2026-03-14T10:00:03Z"] * 2
    assert {e["kind"] for e in window} == {"message"}
    day = json.loads(
        cli("timeline", "show", incident, "--since", "2026-03-14", "--until", "2026-03-14", "--json").stdout
    )
    assert len(day) == 30  # dates: the whole day, in UTC
    assert json.loads(cli("timeline", "show", incident, "--since", "2026-03-15", "--json").stdout) == []
    none = cli("timeline", "show", incident, "--text", "no such words")
    assert none.exit_code == 0 and "No event matches these filters" in none.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not a time"),
        (["--cursor", "nonsense"], "cursor: not a cursor of this timeline"),
        (["--since", "2026-03-15T00:00:00Z", "--until", "2026-03-14T00:00:00Z"], "until: the end of the time range"),
    ],
)
def test_mistakes_are_one_line_with_exit_2(cli, incident, args, message):
    result = cli("timeline", "show", incident, *args)
    assert result.exit_code == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
