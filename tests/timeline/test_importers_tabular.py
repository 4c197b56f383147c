"""Any log in CSV or JSON Lines becomes events through a column mapping; naive times are read in the zone
given, else as UTC and counted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "tabular"


def table(path: Path, fmt: str, **options: object) -> list[ImportedEvent]:
    return list(read_events(path, fmt, ImportOptions(**options)))  # type: ignore[arg-type]


def test_csv_with_the_default_columns() -> None:
    failed, rollback, finished = table(FIXTURES / "deploy_log.csv", "csv")
    assert failed.at == datetime(2024, 3, 14, 10, 0, 58, tzinfo=UTC)
    assert (failed.text, failed.actor, failed.kind, failed.source) == (
        "health check failed on checkout v2.3.1",
        "deploy-bot",
        "error",
        "csv",
    )
    assert rollback.at == datetime(2024, 3, 14, 10, 13, 5, tzinfo=UTC)
    assert rollback.text == "rollback to v2.3.0 started, 3 pods"
    assert finished.at == datetime(2024, 3, 14, 10, 15, tzinfo=UTC)  # epoch seconds
    assert finished.actor is None


def test_csv_naive_times_with_a_zone_and_a_column_map() -> None:
    declared, clear = table(
        FIXTURES / "naive_times.csv",
        "csv",
        column_map={"at": "when", "text": "what", "actor": "who"},
        tz="Europe/Copenhagen",
    )
    assert declared.at == datetime(2024, 3, 14, 10, 2, tzinfo=UTC)
    assert (declared.text, declared.actor, declared.kind) == ("declared SEV2", "Alice Adams", "note")
    assert clear.at == datetime(2024, 3, 14, 10, 20, tzinfo=UTC)


def test_csv_naive_times_without_a_zone_are_read_as_utc_and_counted() -> None:
    options = ImportOptions(column_map={"at": "when", "text": "what"})
    declared, clear = read_events(FIXTURES / "naive_times.csv", "csv", options)
    assert declared.at == datetime(2024, 3, 14, 11, 2, tzinfo=UTC)
    assert clear.at == datetime(2024, 3, 14, 11, 20, tzinfo=UTC)
    assert options.notes.read_as_utc == 2
    zoned = ImportOptions(column_map={"at": "when", "text": "what"}, tz="Europe/Copenhagen")
    list(read_events(FIXTURES / "naive_times.csv", "csv", zoned))
    assert zoned.notes.read_as_utc == 0  # read in the zone given, nothing assumed


def test_csv_ids_come_from_row_content_so_overlapping_files_agree(tmp_path: Path) -> None:
    lines = (FIXTURES / "deploy_log.csv").read_text().splitlines()
    tail = tmp_path / "tail.csv"
    tail.write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    whole = table(FIXTURES / "deploy_log.csv", "csv")
    assert [event.source_id for event in table(tail, "csv")] == [event.source_id for event in whole[1:]]
    assert len({event.source_id for event in whole}) == 3


def test_csv_missing_mapped_column_lists_the_columns() -> None:
    with pytest.raises(InvalidInput, match=r"no column 'time' for 'at' \(columns: when, what, who\)"):
        table(FIXTURES / "naive_times.csv", "csv", column_map={"at": "time", "text": "what"})


def test_csv_without_a_time_column_says_how_to_map_one() -> None:
    with pytest.raises(InvalidInput, match=r"no 'at' column .* map one with at=<column>"):
        table(FIXTURES / "naive_times.csv", "csv")


def test_unknown_column_map_field_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown field 'severity'"):
        table(FIXTURES / "deploy_log.csv", "csv", column_map={"severity": "level"})


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown time zone 'Mars/Olympus'"):
        table(FIXTURES / "deploy_log.csv", "csv", tz="Mars/Olympus")


def test_csv_unreadable_time_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("time,text\n2024-03-14T10:00:00Z,ok\nsoon,not ok\n")
    with pytest.raises(InvalidInput, match=r"log\.csv: line 3: 'time': 'soon' is not a time"):
        table(path, "csv")


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(b"time,text\n2024-03-14T10:00:00Z,caf\xe9\n")
    with pytest.raises(InvalidInput, match=r"log\.csv: line \d: not UTF-8 text"):
        table(path, "csv")


def test_jsonl_with_nested_fields_and_epoch_milliseconds() -> None:
    exhausted, resized, ratio = table(FIXTURES / "app.jsonl", "jsonl", column_map={"actor": "user.name"})
    assert exhausted.at == datetime(2024, 3, 14, 10, 1, 0, 250000, tzinfo=UTC)
    assert (exhausted.text, exhausted.kind, exhausted.actor) == (
        "pool exhausted: 50/50 connections in use",
        "error",
        "checkout-api",
    )
    assert resized.source == "jsonl"
    assert ratio.at == datetime(2024, 3, 14, 10, 15, 30, 123000, tzinfo=UTC)
    assert ratio.actor is None


def test_jsonl_ids_are_stable() -> None:
    first = table(FIXTURES / "app.jsonl", "jsonl")
    assert [event.source_id for event in first] == [event.source_id for event in table(FIXTURES / "app.jsonl", "jsonl")]


def test_jsonl_line_without_time_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"time": "2024-03-14T10:00:00Z", "text": "a"}\n{"text": "b"}\n')
    with pytest.raises(InvalidInput, match=r"log\.jsonl: line 2: no time in 'time'"):
        table(path, "jsonl")


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"time": "2024-03-14T10:00:00Z", "text": "a"}\n"b"\n')
    with pytest.raises(InvalidInput, match=r"line 2: expected an object, found str"):
        table(path, "jsonl")
