"""Slack exports (folder or zip) become message events at the UTC time of each message's ts."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

EXPORT = Path(__file__).parent / "fixtures" / "slack" / "export"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats" / "slack"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    return path


def slack(path: Path, **options: object) -> list[ImportedEvent]:
    return list(read_events(path, "slack", ImportOptions(**options)))  # type: ignore[arg-type]


def by_id(events: list[ImportedEvent]) -> dict[str, ImportedEvent]:
    return {event.source_id: event for event in events}


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def exact(ts: str) -> datetime:
    return EPOCH + timedelta(microseconds=int(Decimal(ts) * 1_000_000))


def test_every_houstondatavis_message_lands_at_the_utc_time_of_its_ts() -> None:
    export = corpus("houstondatavis-export")
    channel_ids = {channel["name"]: channel["id"] for channel in json.loads((export / "channels.json").read_text())}
    expected: dict[str, tuple[datetime, date]] = {}
    for day_file in export.glob("*/*.json"):
        for message in json.loads(day_file.read_text()):
            source_id = f"{channel_ids[day_file.parent.name]}:{message['ts']}"
            expected[source_id] = (exact(message["ts"]), date.fromisoformat(day_file.stem))
    events = slack(export, include_all=True)
    assert len(events) == len(expected) == 1382
    assert {event.source_id: event.at for event in events} == {key: at for key, (at, _) in expected.items()}
    # The exporter wrote day files in its local time (UTC-07:00): 431 messages sit in a file of another UTC date.
    assert sum(1 for event in events if event.at.date() != expected[event.source_id][1]) == 431


def test_houstondatavis_without_include_all_leaves_out_joins_leaves_and_topic_changes() -> None:
    events = slack(corpus("houstondatavis-export"))
    # 1,382 records less 320 joins, 3 leaves, 13 purposes, 2 topics, 2 renames, 9 archivals and 1 bot added.
    assert len(events) == 1032
    assert {event.kind for event in events} == {"message"}
    assert not any(event.text.endswith("has joined the channel") for event in events)
    assert all(event.actor for event in events)
    assert all("<@U" not in event.text for event in events)


def test_export_viewer_archive_keeps_bot_messages_with_the_bot_name() -> None:
    events = slack(corpus("slack-export-viewer-testarchive"))
    assert len(events) == 147  # 158 records less 8 joins and 3 integrations added
    actors = Counter(event.actor for event in events)
    assert actors["github"] == 94  # named by the channel's "added an integration" message
    assert all(event.text for event in events)  # attachment-only bot posts read their fallback text


def test_folder_and_zip_give_the_same_events(tmp_path: Path) -> None:
    from_folder = slack(EXPORT)
    assert slack(zip_folder(EXPORT, tmp_path / "export.zip")) == from_folder
    # Zips made by "compress folder" put everything under one top folder.
    assert slack(zip_folder(EXPORT, tmp_path / "nested.zip", prefix="Acme Slack export/")) == from_folder


def test_fixture_export_reads_names_times_and_text() -> None:
    events = by_id(slack(EXPORT))
    assert len(events) == 8
    opening = events["C01INC:1710410520.000100"]
    assert opening.at == datetime(2024, 3, 14, 10, 2, 0, 100, tzinfo=UTC)
    assert opening.actor == "Alice Adams"
    assert opening.kind == "message"
    assert opening.source == "slack"
    assert opening.text == "@here checkout is returning 5xx, see [the dashboard](https://grafana.example.com/d/abc)"
    assert events["C01INC:1710410890.000001"].text == "mitigated after the rollback; summary in #general"
    assert events["C02GEN:1710410700.000800"].text == "FYI checkout incident, see #incident-db"
    assert events["C01INC:1710410590.999999"].text == "rolling back & watching <p99>"


def test_thread_replies_point_at_their_parent() -> None:
    events = by_id(slack(EXPORT))
    reply = events["C01INC:1710410530.123456"]
    assert reply.parent_id == "C01INC:1710410520.000100"
    assert reply.parent_id in events
    assert events["C01INC:1710410520.000100"].parent_id is None
    assert reply.text == "looking, @Alice Adams can you page the DB on-call?"
    assert reply.actor == "Bob B."  # display name when the real name is empty


def test_edited_message_keeps_its_original_time() -> None:
    carol = by_id(slack(EXPORT))["C01INC:1710410590.999999"]
    assert carol.at == datetime(2024, 3, 14, 10, 3, 10, 999999, tzinfo=UTC)
    assert carol.actor == "Carol Chen"  # not in users.json: the message's own user_profile names her


def test_edit_records_do_not_duplicate_messages() -> None:
    events = slack(EXPORT, include_all=True)
    assert "C01INC:1710410900.000600" not in by_id(events)
    assert len(events) == len(by_id(events))


def test_bots_keep_their_names() -> None:
    events = by_id(slack(EXPORT))
    assert events["C01INC:1710410545.000300"].actor == "deploybot"
    pagerduty = events["C01INC:1710410610.000500"]
    assert pagerduty.actor == "PagerDuty"
    assert pagerduty.text == "Incident #42 acknowledged by Bob B."


def test_day_file_names_do_not_decide_the_date() -> None:
    late = by_id(slack(EXPORT))["C01INC:1710459605.000700"]
    assert late.at == datetime(2024, 3, 14, 23, 40, 5, 700, tzinfo=UTC)  # although it sits in 2024-03-15.json


def test_include_all_adds_channel_housekeeping_as_notes() -> None:
    events = by_id(slack(EXPORT, include_all=True))
    assert len(events) == 10
    assert events["C01INC:1710410400.000200"].kind == "note"
    assert events["C01INC:1710410600.000400"].text == "@Alice Adams set the channel topic: SEV2 checkout 5xx"


@pytest.mark.parametrize("channel", ["general", "#general", "C02GEN"])
def test_channel_option_picks_one_channel(channel: str) -> None:
    events = slack(EXPORT, channels=[channel])
    assert [event.source_id for event in events] == ["C02GEN:1710410700.000800"]


def test_unknown_channel_lists_the_channels_there_are() -> None:
    with pytest.raises(InvalidInput, match=r"no channel 'incidents'.*general, incident-db"):
        slack(EXPORT, channels=["incidents"])


def test_importing_twice_gives_the_same_ids() -> None:
    assert [event.source_id for event in slack(EXPORT)] == [event.source_id for event in slack(EXPORT)]


def copy_export(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(EXPORT, target)
    return target


def test_message_without_ts_names_file_and_entry(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    day = export / "incident-db" / "2024-03-14.json"
    messages = json.loads(day.read_text())
    del messages[2]["ts"]
    day.write_text(json.dumps(messages))
    archive = zip_folder(export, tmp_path / "export.zip")
    with pytest.raises(InvalidInput) as caught:
        slack(archive)
    assert str(caught.value) == f"{archive}: incident-db/2024-03-14.json: entry 3: missing 'ts'"


def test_truncated_day_file_names_the_line(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    day = export / "general" / "2024-03-14.json"
    day.write_text(day.read_text()[:120])
    with pytest.raises(InvalidInput, match=r"general/2024-03-14\.json: line \d+: not valid JSON.*truncated"):
        slack(export)


def test_day_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    (export / "general" / "2024-03-14.json").write_bytes(b'[{"ts": "1.0", "text": "caf\xe9"}]')
    with pytest.raises(InvalidInput, match=r"general/2024-03-14\.json: line 1: not UTF-8 text"):
        slack(export)


def test_bad_ts_is_reported_not_raised_raw(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    (export / "general" / "2024-03-14.json").write_text('[{"type": "message", "ts": 1710410700.5}]')
    with pytest.raises(InvalidInput, match=r"entry 1: 'ts' is not a Slack timestamp"):
        slack(export)


def test_zip_that_is_not_a_slack_export(tmp_path: Path) -> None:
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("holiday/beach.json", "[]")
    with pytest.raises(InvalidInput, match="not a Slack export"):
        slack(archive)


def test_a_file_that_is_no_zip_at_all(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_text("not a zip")
    with pytest.raises(InvalidInput, match=r"export\.zip: not a zip archive"):
        slack(path)
