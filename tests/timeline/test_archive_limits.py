"""Imports read within limits: archive members (count, size, total, ratio) checked from the central directory and
again while inflating, JSON nesting limited everywhere; each refusal one line naming the file, the limit and the
setting, and nothing half-written."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.errors import InvalidInput, TooLarge
from afteraction.documents.parse import parse_file
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.importers import ImportLimits, ImportOptions, detect_format, read_events
from afteraction.timeline.importers.archive import LimitedZip, count_members, member_names, size_text
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.pipeline import import_batches
from afteraction.timeline.service import import_timeline
from afteraction.usecases.incidents import create_incident
from tests.timeline.archives import (
    DAY,
    MIB,
    bomb_zip,
    deep_json,
    lie_about_count,
    lying_zip,
    many_members_zip,
    message,
    slack_zip,
)

SYSTEM = Actor.system()
SMALL = ImportLimits(max_members=50, max_member_bytes=MIB, max_total_bytes=2 * MIB, max_ratio=10, json_max_depth=20)


def _read(path: Path, limits: ImportLimits = SMALL, fmt: str = "slack") -> list[object]:
    return list(read_events(path, fmt, ImportOptions(limits=limits)))


def test_the_limits_default_to_the_settings_defaults_and_follow_the_settings() -> None:
    defaults = Settings.model_construct()
    assert ImportLimits() == ImportLimits.from_settings(defaults)
    assert ImportLimits() == ImportLimits(10_000, 64 * MIB, 512 * MIB, 100, 200)
    chosen = Settings.model_construct(
        upload_max_members=7, upload_max_member_bytes=2048, upload_max_total_bytes=4096, upload_max_ratio=3,
        json_max_depth=9,
    )  # fmt: skip
    assert ImportLimits.from_settings(chosen) == ImportLimits(7, 2048, 4096, 3, 9)


def test_a_member_declared_larger_than_the_limit_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    path = bomb_zip(tmp_path / "export.zip", 8 * MIB)
    with pytest.raises(TooLarge) as caught:
        _read(path, ImportLimits(max_member_bytes=MIB))
    assert str(caught.value) == (
        f"{path}: {DAY} inflates to more than 1 MiB (the limit is set by AFTERACTION_UPLOAD_MAX_MEMBER_BYTES)"
    )


def test_a_member_that_compresses_too_well_is_refused_by_the_ratio(tmp_path: Path) -> None:
    path = bomb_zip(tmp_path / "export.zip", 4 * MIB)  # spaces: about 1000 to 1
    with pytest.raises(TooLarge) as caught:
        _read(path, ImportLimits(max_ratio=100))
    assert str(caught.value) == (
        f"{path}: {DAY} inflates to more than 100 times its compressed size "
        "(the limit is set by AFTERACTION_UPLOAD_MAX_RATIO)"
    )


def test_small_members_are_not_held_to_the_ratio(tmp_path: Path) -> None:
    # A page of spaces compresses 100 to 1; below 1 MiB inflated that is no bomb.
    days = {DAY: json.dumps([message("1710410890.000100", "x" + " " * 200_000)]).encode()}
    path = slack_zip(tmp_path / "export.zip", days)  # type: ignore[arg-type]
    assert len(_read(path, ImportLimits(max_ratio=2))) == 1


def test_members_that_inflate_to_more_than_the_total_are_refused(tmp_path: Path) -> None:
    third = json.dumps([message(f"1710410890.{n:06d}", "y" * 100) for n in range(3000)])  # ~250 KiB each
    days = {f"general/2024-03-{day:02d}.json": third.encode() for day in range(10, 20)}
    path = slack_zip(tmp_path / "export.zip", days)  # type: ignore[arg-type]
    with pytest.raises(
        TooLarge,
        match=r"export\.zip: general/2024-03-1\d\.json: the archive's files inflate to "
        r"more than 2 MiB in all \(the limit is set by AFTERACTION_UPLOAD_MAX_TOTAL_BYTES\)",
    ):
        _read(path, ImportLimits(max_total_bytes=2 * MIB))
    assert len(_read(path, ImportLimits(max_total_bytes=8 * MIB))) == 30_000


def test_an_archive_of_too_many_members_is_refused_while_its_directory_is_counted(tmp_path: Path) -> None:
    path = many_members_zip(tmp_path / "export.zip", 60)
    message_ = f"{path}: holds more than 50 files (the limit is set by AFTERACTION_UPLOAD_MAX_MEMBERS)"
    with pytest.raises(TooLarge) as caught:
        _read(path)
    assert str(caught.value) == message_
    with pytest.raises(TooLarge) as at_detection:
        detect_format(path, SMALL)  # the count is checked before the format is even known
    assert str(at_detection.value) == message_
    assert count_members(path) == 62 and detect_format(path) == "slack"


def test_the_member_count_is_declared_and_counted_and_stops_one_past_the_limit(tmp_path: Path) -> None:
    path = many_members_zip(tmp_path / "export.zip", 500)
    seen: list[str] = []
    with pytest.raises(TooLarge):
        seen.extend(member_names(path, limit=10))  # the end record declares 502: refused before any name
    assert seen == []
    lie_about_count(path, 5)  # an end record that lies: the entries are counted as they are read
    with pytest.raises(TooLarge, match="holds more than 10 files"):
        for name in member_names(path, limit=10):
            seen.append(name)
    assert len(seen) == 10 and seen[:2] == ["channels.json", "users.json"]
    with pytest.raises(TooLarge, match="holds more than 10 files"):
        _read(path, ImportLimits(max_members=10))


def test_zip64_archives_are_counted_from_the_zip64_end_record(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(70_000):  # more than 65,535 entries: only the zip64 record has the count
            archive.writestr(f"f{number}", b"")
    assert count_members(path) == 70_000
    with pytest.raises(TooLarge, match="holds more than 69,999 files"):
        count_members(path, limit=69_999)


def test_a_member_whose_header_lies_about_its_size_is_refused_and_nothing_is_written(tmp_path: Path, db) -> None:
    path = lying_zip(tmp_path / "export.zip", real=4 * MIB, declared=1000)
    with pytest.raises(InvalidInput, match=rf"export\.zip: {DAY}: cannot be read \(Bad CRC-32"):
        _read(path)
    new = NewIncident(title="Lies", severity="SEV1")
    incident = create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id
    with pytest.raises(InvalidInput):
        import_timeline(db, incident_id=incident, path=path, options=ImportOptions(limits=SMALL), actor=SYSTEM)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(TimelineEvent)) == 0  # the honest day is not kept


def test_inflated_bytes_are_counted_as_they_come_not_taken_from_the_header(tmp_path: Path) -> None:
    path = bomb_zip(tmp_path / "export.zip", 3 * MIB)
    generous = ImportLimits(max_ratio=10_000)
    archive = LimitedZip(path, generous)  # the declared sizes pass these limits
    archive.limits = ImportLimits(max_member_bytes=2 * MIB, max_ratio=10_000)  # what is read is checked again
    try:
        with pytest.raises(TooLarge, match="inflates to more than 2 MiB"):
            archive.read(DAY)
    finally:
        archive.close()
    total = LimitedZip(path, generous)
    total.limits = ImportLimits(max_total_bytes=2 * MIB, max_ratio=10_000)
    try:
        with pytest.raises(TooLarge, match="more than 2 MiB in all"):
            total.read(DAY)
    finally:
        total.close()


def test_a_bomb_in_the_parsing_worker_is_still_too_large(tmp_path: Path) -> None:
    path = bomb_zip(tmp_path / "export.zip", 8 * MIB)
    with pytest.raises(TooLarge, match="AFTERACTION_UPLOAD_MAX_MEMBER_BYTES"):
        list(import_batches(path, "slack", ImportOptions(limits=SMALL), sqlite=True, parallel=True))


def test_damaged_zips_are_one_line(tmp_path: Path) -> None:
    path = slack_zip(tmp_path / "export.zip")
    data = path.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) - 30])
    with pytest.raises(InvalidInput, match=r"cut\.zip: not a zip archive") as caught:
        _read(cut)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("depth", [21, 200_000])
def test_json_nested_deeper_than_the_limit_is_refused_in_every_reader(tmp_path: Path, depth: int) -> None:
    deep = deep_json(tmp_path / "deep.json", depth)
    expected = "JSON nested deeper than 20 levels (the limit is set by AFTERACTION_JSON_MAX_DEPTH)"
    for fmt in ("auto", "alertmanager", "pagerduty", "opsgenie", "github", "jira", "jsonl", "grafana"):
        with pytest.raises(InvalidInput) as caught:
            _read(deep, fmt=fmt)
        assert str(caught.value) == f"{deep}: line 1: {expected}", fmt  # its one line is the first document
    lines = tmp_path / "log.jsonl"
    lines.write_text('{"time": "2024-03-14T10:00:00Z", "message": "a"}\n' + deep.read_text() + "\n")
    with pytest.raises(InvalidInput) as caught:
        _read(lines, fmt="jsonl")
    assert str(caught.value) == f"{lines}: line 2: {expected}"
    export = slack_zip(tmp_path / "export.zip", {DAY: deep.read_bytes()})
    with pytest.raises(InvalidInput) as caught:
        _read(export)
    assert str(caught.value) == f"{export}: {DAY}: {expected}"


def test_json_within_the_limit_is_read(tmp_path: Path) -> None:
    nested: object = "deep"
    for _ in range(18):
        nested = {"n": nested}
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"time": "2024-03-14T10:00:00Z", "message": "a", "extra": nested}) + "\n")
    assert len(_read(path, fmt="jsonl")) == 1


def test_nul_characters_are_removed_and_lone_surrogates_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"time": "2024-03-14T10:00:00Z", "message": "a\\u0000b"}\n{"time": "2024-03-14T10:01:00Z", "message": "c"}\n'
    )
    events = list(read_events(path, "jsonl"))
    assert [event.text for event in events] == ["ab", "c"]  # type: ignore[attr-defined]
    path.write_text('{"time": "2024-03-14T10:00:00Z", "message": "a"}\n{"time": "x", "message": "\\ud800"}\n')
    with pytest.raises(InvalidInput, match=r"log\.jsonl: line 2: not valid JSON"):
        list(read_events(path, "jsonl"))


def test_a_document_nested_too_deep_is_one_line(tmp_path: Path) -> None:
    for name in ("deep.json", "deep.md"):
        path = tmp_path / name
        path.write_bytes(b'{"a":[' * 100_000)
        with pytest.raises(InvalidInput) as caught:
            parse_file(path)
        assert str(caught.value) == (
            f"{path}: JSON nested deeper than 200 levels (the limit is set by AFTERACTION_JSON_MAX_DEPTH)"
        )
    with pytest.raises(InvalidInput, match="deeper than 10 levels"):
        parse_file(deep_json(tmp_path / "deep.json", 11), max_depth=10)


def test_size_text_reads_as_people_do() -> None:
    sizes = {64 * MIB: "64 MiB", 512 * 1024: "512 KiB", 1500: "1,500 bytes", 2 << 30: "2 GiB"}
    assert {size: size_text(size) for size in sizes} == sizes
