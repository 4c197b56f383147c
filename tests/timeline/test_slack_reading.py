"""Slack events read like Slack: the channel, a permalink into the workspace, thread replies, pins and reactions as
highlights, decisions, and text stored as Markdown that reads as Slack shows it."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events
from afteraction.timeline.importers.slack import chosen_workspace, workspace_url
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import import_timeline
from afteraction.usecases.incidents import create_incident
from tests.conftest import CliResult

SYSTEM = Actor.system("ana")
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats" / "slack"
USERS = [
    {"id": "U1", "name": "alice", "real_name": "Alice Adams"},
    {"id": "U2", "name": "bob", "profile": {"real_name": "Bob Brown"}},
]
CHANNELS = [{"id": "C01INC", "name": "incident-db"}, {"id": "C02GEN", "name": "general"}]
DAY = "2024-03-14.json"
OPENING = {"type": "message", "user": "U1", "ts": "1710410520.000100", "text": "checkout is down", "thread_ts":
           "1710410520.000100", "reply_count": 1}  # fmt: skip
REPLY = {
    "type": "message",
    "user": "U2",
    "ts": "1710410530.123456",
    "text": "looking",
    "thread_ts": "1710410520.000100",
}
FILE_SHARE = (
    b'[{"type": "message", "subtype": "file_share", "user": "U2", "ts": "1710410540.000200", "text": "graph", "files": '
    b'[{"id": "F1", "name": "graph.png", "permalink": "https:\\/\\/acme.slack.com\\/files\\/U2\\/F1\\/graph.png"}]}]'
)


def write_export(folder: Path, days: dict[str, list[dict[str, Any]] | bytes]) -> Path:
    """A Slack export folder: users.json, channels.json and day files named `channel/YYYY-MM-DD.json`."""
    folder.mkdir(parents=True)
    (folder / "users.json").write_text(json.dumps(USERS))
    (folder / "channels.json").write_text(json.dumps(CHANNELS))
    for name, content in days.items():
        (folder / name).parent.mkdir(exist_ok=True)
        day = folder / name
        day.write_bytes(content) if isinstance(content, bytes) else day.write_text(json.dumps(content))
    return folder


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def read(path: Path, **options: Any) -> dict[str, ImportedEvent]:
    return {event.source_id: event for event in read_events(path, "slack", ImportOptions(**options))}


def text_of(tmp_path: Path, text: str) -> str:
    """The stored text of one message of this Slack text."""
    message = {"type": "message", "user": "U1", "ts": "1710410600.000100", "text": text}
    events = read(write_export(tmp_path / "export", {f"incident-db/{DAY}": [message]}))
    return events["C01INC:1710410600.000100"].text


@pytest.fixture
def thread(tmp_path: Path) -> Path:
    return write_export(tmp_path / "thread", {f"incident-db/{DAY}": [OPENING, REPLY]})


def test_each_message_carries_its_channels_name(tmp_path: Path) -> None:
    general = {"type": "message", "user": "U2", "ts": "1710410700.000800", "text": "FYI"}
    events = read(write_export(tmp_path / "export", {f"incident-db/{DAY}": [OPENING], f"general/{DAY}": [general]}))
    assert events["C01INC:1710410520.000100"].channel == "incident-db"
    assert events["C02GEN:1710410700.000800"].channel == "general"


def test_the_import_option_gives_each_message_its_permalink_and_a_reply_its_thread(thread: Path) -> None:
    events = read(thread, slack_workspace="https://acme.slack.com/")
    assert events["C01INC:1710410520.000100"].link == "https://acme.slack.com/archives/C01INC/p1710410520000100"
    reply = events["C01INC:1710410530.123456"]
    assert reply.parent_id == "C01INC:1710410520.000100"
    assert reply.link == (
        "https://acme.slack.com/archives/C01INC/p1710410530123456?thread_ts=1710410520.000100&cid=C01INC"
    )


def test_without_a_workspace_anywhere_messages_have_no_link(thread: Path) -> None:
    assert {event.link for event in read(thread).values()} == {None}


def test_the_workspace_is_learned_from_the_exports_own_file_permalinks(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", {f"general/{DAY}": FILE_SHARE, f"incident-db/{DAY}": [OPENING, REPLY]})
    events = read(folder)
    assert events["C01INC:1710410520.000100"].link == "https://acme.slack.com/archives/C01INC/p1710410520000100"
    assert events["C02GEN:1710410540.000200"].link == "https://acme.slack.com/archives/C02GEN/p1710410540000200"
    # From the zip the same: the members the scan inflated are parsed from what it read.
    assert read(zipped(folder, tmp_path / "export.zip")) == events
    # The import's own workspace wins over what the export shows.
    assert read(folder, slack_workspace="https://other.slack.com")["C01INC:1710410520.000100"].link == (
        "https://other.slack.com/archives/C01INC/p1710410520000100"
    )


def test_links_to_slacks_own_file_servers_are_not_a_workspace(tmp_path: Path) -> None:
    day = FILE_SHARE.replace(b"acme.slack.com\\/files", b"files.slack.com\\/files")
    events = read(write_export(tmp_path / "export", {f"general/{DAY}": day}))
    assert events["C02GEN:1710410540.000200"].link is None


def test_the_setting_is_used_when_the_import_names_no_workspace() -> None:
    settings = Settings(slack_workspace_url="https://Acme.slack.com")
    assert chosen_workspace(None, settings, "--slack-workspace") == "https://acme.slack.com"
    assert chosen_workspace("  ", settings, "--slack-workspace") == "https://acme.slack.com"
    assert chosen_workspace("https://team.slack.com", settings, "--slack-workspace") == "https://team.slack.com"
    assert chosen_workspace(None, Settings(), "--slack-workspace") is None


@pytest.mark.parametrize(
    "value",
    ["http://acme.slack.com", "acme.slack.com", "https://", "https://acme.slack.com/archives", "javascript:alert(1)",
     "https://user@acme.slack.com", "https://acme.slack.com?x=1", "https://ac me.slack.com"],
)  # fmt: skip
def test_a_workspace_url_must_be_https_and_a_host(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"^--slack-workspace: .* is not a Slack workspace URL"):
        chosen_workspace(value, Settings(), "--slack-workspace")
    with pytest.raises(InvalidInput, match=r"^AFTERACTION_SLACK_WORKSPACE_URL: "):
        chosen_workspace(None, Settings(slack_workspace_url=value), "--slack-workspace")


def test_a_bad_workspace_given_to_the_reader_is_refused_by_name(thread: Path) -> None:
    with pytest.raises(InvalidInput, match=r"^slack_workspace: 'ftp://acme' is not a Slack workspace URL"):
        read(thread, slack_workspace="ftp://acme")
    assert workspace_url("https://acme.slack.com:8443", "x") == "https://acme.slack.com:8443"


def test_pinned_and_reacted_messages_and_decisions_are_stored_as_highlights(db: Database, tmp_path: Path) -> None:
    messages: list[dict[str, Any]] = [
        {**OPENING, "pinned_to": ["C01INC"]},
        {**REPLY, "reactions": [{"name": "eyes", "users": ["U1"], "count": 1}]},
        {"type": "message", "user": "U1", "ts": "1710410550.000000", "text": "just chatting", "reactions": []},
        {"type": "message", "subtype": "pinned_item", "user": "U1", "ts": "1710410560.000000",
         "text": "<@U1> pinned a message to this channel."},
        {"type": "message", "user": "U2", "ts": "1710410570.000000", "text": "*Decision:* roll back checkout"},
        {"type": "message", "user": "U2", "ts": "1710410580.000000", "text": "DECIDED: page the DB team"},
        {"type": "message", "user": "U2", "ts": "1710410590.000000", "text": "we decided: nothing yet"},
    ]  # fmt: skip
    folder = write_export(tmp_path / "export", {f"incident-db/{DAY}": messages})
    incident = create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Checkout down", severity="SEV1"), allowed_severities=["SEV1"]
    ).id
    result = import_timeline(db, incident_id=incident, path=folder, actor=SYSTEM, all_time=True)
    assert result.added == 7
    with db.transaction() as session:
        rows = session.execute(select(TimelineEvent.text, TimelineEvent.kind, TimelineEvent.highlight,
                                      TimelineEvent.channel).order_by(TimelineEvent.at)).all()  # fmt: skip
    assert [(text, kind, highlight) for text, kind, highlight, _ in rows] == [
        ("checkout is down", "message", True),  # pinned
        ("looking", "message", True),  # reacted to
        ("just chatting", "message", False),
        ("@Alice Adams pinned a message to this channel.", "message", True),
        ("*Decision:* roll back checkout", "decision", True),
        ("DECIDED: page the DB team", "decision", True),
        ("we decided: nothing yet", "message", False),  # a decision only when the message begins with it
    ]
    assert {channel for *_, channel in rows} == {"incident-db"}


@pytest.mark.parametrize(
    ("slack", "stored"),
    [
        ("see <https://grafana.example/d/abc|the dashboard>", "see [the dashboard](https://grafana.example/d/abc)"),
        ("see <https://grafana.example/d/abc>", "see <https://grafana.example/d/abc>"),
        ("wiki <https://en.example/A_(b)|A [b]>", "wiki [A \\[b\\]](<https://en.example/A_(b)>)"),
        ("mail <mailto:oncall@example.com|oncall@example.com>", "mail <oncall@example.com>"),
        ("mail <mailto:oncall@example.com|the on-call>", "mail [the on-call](mailto:oncall@example.com)"),
        ("<@U1> and <@U9|carol> see <#C02GEN> and <#C9|ops>", "@Alice Adams and @carol see #general and #ops"),
        ("<!here> <!channel> <!subteam^S1|@sre>", "@here @channel @sre"),
        ("5 &lt; 6 &amp;&amp; 7 &gt; 6", "5 < 6 && 7 > 6"),
        ("<javascript:alert(1)|click me>", "click me"),
        ("run `kubectl get pods` now", "run `kubectl get pods` now"),
        ("one line ```SELECT 1;``` inline", "one line ```SELECT 1;``` inline"),
        ("before:```SELECT *\nFROM t WHERE a &lt; 2;```after",
         "before:\n```\nSELECT *\nFROM t WHERE a < 2;\n```\nafter"),
        ("```\n<https://x.example|x> by <@U1>\n```", "```\nx (https://x.example) by @Alice Adams\n```"),
        ("&gt; quoted\nreply", "> quoted\nreply"),
    ],
)  # fmt: skip
def test_slack_text_is_stored_as_markdown_that_reads_like_slack(tmp_path: Path, slack: str, stored: str) -> None:
    assert text_of(tmp_path, slack) == stored


def test_the_houstondatavis_export_links_to_its_workspace() -> None:
    export = CORPUS / "houstondatavis-export"
    if not export.exists():
        pytest.skip(f"the reference corpus is not here ({export})")
    events = list(read_events(export, "slack", ImportOptions()))
    assert len(events) == 1032
    assert all(event.link and event.link.startswith("https://houstondatavis.slack.com/archives/C") for event in events)
    assert all(event.channel for event in events)
    channel_id, ts = events[0].source_id.split(":")
    assert events[0].link == f"https://houstondatavis.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


def test_the_cli_takes_the_workspace_from_its_option_or_the_setting(
    cli: Callable[..., CliResult], thread: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("incident", "create", "--title", "Checkout down", "--severity", "SEV2")
    bad = cli("timeline", "import", "INC-1", str(thread), "--all-time", "--slack-workspace", "http://acme.slack.com")
    assert bad.exit_code == 2
    assert "--slack-workspace: 'http://acme.slack.com' is not a Slack workspace URL" in bad.stderr
    monkeypatch.setenv("AFTERACTION_SLACK_WORKSPACE_URL", "https://acme.slack.com")
    assert cli("timeline", "import", "INC-1", str(thread), "--all-time").exit_code == 0
    shown = json.loads(cli("timeline", "show", "INC-1", "--json").stdout)
    assert [(event["channel"], event["link"]) for event in shown] == [
        ("incident-db", "https://acme.slack.com/archives/C01INC/p1710410520000100"),
        (
            "incident-db",
            "https://acme.slack.com/archives/C01INC/p1710410530123456?thread_ts=1710410520.000100&cid=C01INC",
        ),
    ]
    cli("incident", "create", "--title", "Checkout down again", "--severity", "SEV2")
    given = "https://team.slack.com"
    assert cli("timeline", "import", "INC-2", str(thread), "--all-time", "--slack-workspace", given).exit_code == 0
    links = [event["link"] for event in json.loads(cli("timeline", "show", "INC-2", "--json").stdout)]
    assert links[0] == "https://team.slack.com/archives/C01INC/p1710410520000100"
