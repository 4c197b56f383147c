"""`git log` output becomes change events, or deploy and rollback events when the user says which commits deployed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "git"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats" / "git-log"
REVERT = "9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f6a7b8c9d0e"
POOL = "4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b"


def corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    return path


def git(path: Path, **options: object) -> list[ImportedEvent]:
    return list(read_events(path, "git", ImportOptions(**options)))  # type: ignore[arg-type]


def test_default_format_reads_author_subject_and_date() -> None:
    revert, pool, merge = git(FIXTURES / "default.txt")
    assert revert.source_id == REVERT
    assert revert.at == datetime(2024, 3, 14, 10, 12, 40, tzinfo=UTC)
    assert revert.text == 'Revert "checkout: raise connection pool to 50"'
    assert revert.actor == "Dana Diaz"
    assert {event.kind for event in (revert, pool, merge)} == {"change"}
    assert merge.at == datetime(2024, 3, 14, 0, 30, tzinfo=UTC)  # 17:30 at -07:00 is past midnight UTC
    assert merge.source == "git"


def test_fuller_uses_the_commit_date_not_the_author_date() -> None:
    revert, pool = git(FIXTURES / "fuller.txt")
    assert revert.at == datetime(2024, 3, 14, 10, 12, 40, tzinfo=UTC)
    assert pool.at == datetime(2024, 3, 14, 9, 55, 2, tzinfo=UTC)  # authored the day before
    assert revert.actor == "Dana Diaz"  # the author, not "GitHub" who committed the merge


def test_iso_strict_and_fuller_agree() -> None:
    assert git(FIXTURES / "isostrict.txt") == git(FIXTURES / "fuller.txt")


def test_every_commit_is_a_deploy_when_asked() -> None:
    revert, pool, _ = git(FIXTURES / "default.txt", deploys=True)
    assert (revert.kind, pool.kind) == ("rollback", "deploy")


def test_ref_pattern_marks_deployed_commits() -> None:
    events = git(FIXTURES / "default.txt", deploy_ref_pattern=r"^deploy-")
    assert [event.kind for event in events] == ["rollback", "deploy", "change"]


def test_bad_ref_pattern_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a regular expression"):
        git(FIXTURES / "default.txt", deploy_ref_pattern="deploy-(")


@pytest.mark.parametrize(
    "name",
    [
        "dfds_git_log_default.txt",
        "dfds_git_log_fuller.txt",
        "dfds_git_log_fuller_isostrict.txt",
        "dfds_git_log_merges_fuller.txt",
        "dfds_git_log_numstat.txt",
    ],
)
def test_corpus_block_formats_read_fifteen_commits(name: str) -> None:
    events = git(corpus(name))
    assert len(events) == 15
    assert all(len(event.source_id) == 40 for event in events)
    assert all(event.text and event.actor for event in events)


def test_corpus_forms_agree_on_times() -> None:
    default = {event.source_id: event.at for event in git(corpus("dfds_git_log_default.txt"))}
    iso = {event.source_id: event.at for event in git(corpus("dfds_git_log_fuller_isostrict.txt"))}
    assert default == iso
    assert default["ee7ff8a992ef0368652a07f2814721ad6291c27f"] == datetime(2024, 6, 11, 13, 25, 30, tzinfo=UTC)


def test_corpus_one_line_field_formats() -> None:
    tsv = git(corpus("dfds_git_log_all_tsv.txt"))
    assert len(tsv) == 131
    assert tsv[4].actor == "Silviu Calin"
    assert tsv[4].text == "Merge pull request #33 from dfds/fix-small-timeframe-typo"
    unit = git(corpus("dfds_git_log_unitsep.txt"))
    assert len(unit) == 30
    assert (unit[5].actor, unit[5].at) == ("Silviu Calin", datetime(2024, 6, 11, 13, 18, 28, tzinfo=UTC))


def test_oneline_output_explains_it_has_no_dates() -> None:
    with pytest.raises(InvalidInput, match=r"--oneline' has no dates; export with 'git log --pretty=fuller'"):
        git(corpus("dfds_git_log_oneline.txt"))


def test_commit_without_date_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text(f"commit {POOL}\nAuthor: Bob <bob@acme.example>\n\n    no date here\n")
    with pytest.raises(InvalidInput, match=r"log\.txt: line 1: commit 4b5a6c7d8e9f has no date"):
        git(path)


def test_relative_dates_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text(f"commit {POOL}\nAuthor: Bob <bob@acme.example>\nDate:   2 hours ago\n\n    pool\n")
    with pytest.raises(InvalidInput, match="relative and short dates carry no time"):
        git(path)


def test_text_that_is_not_git_log(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Tuesday: the checkout broke\n")
    with pytest.raises(InvalidInput, match=r"line 1: not 'git log' output"):
        git(path)
