"""Key moments from everything a foreign document says: a Key events block, Stats, timeline rows, the title's date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afteraction.documents.parse import parse_markdown

KEY_EVENTS = """# Checkout outage

## Key events

All times in CET.

- Start time: 2021-03-04 10:12
- **Detected:** 2021-03-04 10:20
- Acknowledged: 2021-03-04 10:25
- Resolved: 2021-03-04 11:00 UTC
- End time: not yet known

## Timeline

| Time | Event |
|---|---|
| 2021-03-04 09:00 | Deploy |
| 2021-03-04 12:00 | Post-mortem call |
"""

DFDS_LIKE = """# Certificate expiry

## Timeline

All times in UTC.

| Time | Event |
| :--- | --- |
| 2021-03-31 12:06 | Certificates expire |
| 2021-03-31 12:11 | Reports of sign-in problems |
| 2021-03-31 13:30 | Script completed, confirmed working |

## Stats

- Category: Authentication
- Time to detection: 5 minutes
- Time to recovery: 84 minutes
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_key_events_block_states_the_moments_in_its_zone():
    doc = parse_markdown(KEY_EVENTS)
    assert doc.started_at == at("2021-03-04 09:12")  # CET
    assert doc.detected_at == at("2021-03-04 09:20")
    assert doc.acknowledged_at == at("2021-03-04 09:25")
    assert doc.resolved_at == at("2021-03-04 11:00")  # its own zone; the later "End time" is not a second resolve
    assert [note.message for note in doc.notes] == [
        "started_at from 'Start time'",
        "detected_at from 'Detected'",
        "acknowledged_at from 'Acknowledged'",
        "resolved_at from 'Resolved'",
    ]
    assert doc.warnings == []
    assert doc.sections[0].heading == "Key events"  # the block itself is kept verbatim


def test_a_time_not_understood_in_a_key_events_block_is_a_warning_with_its_line():
    doc = parse_markdown("# X\n\n## Incident timing\n\n- Start time: yesterday morning\n")
    assert doc.started_at is None
    assert [(w.line, w.message) for w in doc.warnings] == [
        (5, "key moment 'Start time': time 'yesterday morning' not understood; ignored")
    ]


def test_a_table_of_labels_and_times_states_moments():
    text = """# X

### Incident Timing
| Start Time | 2020-05-01 08:00 UTC | Detected By | Alerting |
|---|---|---|---|
| Detection Time | 2020-05-01 08:07 UTC | Time to Detect | 7m |
| Resolution Time | 2020-05-01 09:30 UTC | | |
"""
    doc = parse_markdown(text)
    assert (doc.started_at, doc.detected_at, doc.resolved_at) == (
        at("2020-05-01 08:00"),
        at("2020-05-01 08:07"),
        at("2020-05-01 09:30"),
    )


def test_stats_durations_count_from_the_first_timed_row():
    doc = parse_markdown(DFDS_LIKE)
    assert doc.started_at == at("2021-03-31 12:06")
    assert doc.detected_at == at("2021-03-31 12:11")
    assert doc.resolved_at == at("2021-03-31 13:30")
    assert [(n.line, n.message) for n in doc.notes] == [
        (9, "started_at from the timeline's first timed row"),
        (13, "detected_at from the Stats block (time to detect, from started_at)"),
        (13, "resolved_at from the Stats block (time to recover, from started_at)"),
    ]


def test_first_and_last_timed_rows_when_nothing_better_is_stated():
    doc = parse_markdown(DFDS_LIKE.split("## Stats")[0])
    assert doc.started_at == at("2021-03-31 12:06")
    assert doc.detected_at is None  # never invented
    assert doc.resolved_at == at("2021-03-31 13:30")


def test_a_marked_row_is_left_to_the_timeline_and_wins_over_first_and_last():
    text = DFDS_LIKE.split("## Stats")[0].replace("| 2021-03-31 12:11 |", "| 2021-03-31 12:11 **resolved** |")
    doc = parse_markdown(text)
    assert doc.resolved_at is None  # the marked row gives it, as the timeline's own moment
    assert doc.started_at == at("2021-03-31 12:06")
    assert [n.message for n in doc.notes] == [
        "resolved_at from the timeline row marked resolved",
        "started_at from the timeline's first timed row",
    ]


def test_front_matter_wins_over_everything_else():
    text = "---\nstart_time: 2021-03-31T12:00:00Z\n---\n" + DFDS_LIKE
    doc = parse_markdown(text)
    assert doc.started_at == at("2021-03-31 12:00")
    assert doc.detected_at == at("2021-03-31 12:05")  # Stats count from the stated start
    assert doc.notes[0].message == "started_at from the front matter" and doc.notes[0].line == 2


@pytest.mark.parametrize(
    "title",
    ["2019-07-02 outage", "Outage on July 2, 2019", "Outage of 2nd July 2019", "Sept. 2 2019 API outage"],
)
def test_the_title_date_gives_the_start_at_midnight_utc(title: str):
    doc = parse_markdown(f"# {title}\n\nSomething broke.\n")
    day = doc.started_at
    assert day is not None and day.time() == datetime.min.time() and day.tzinfo == UTC
    assert day.date().year == 2019 and doc.resolved_at is None
    assert "no time of day" in doc.notes[0].message


def test_the_file_name_date_when_the_title_has_none():
    doc = parse_markdown("# Hub down\n\nSomething broke.\n", path="/x/mybinder-2018-02-22-nginx-down.md")
    assert doc.started_at == at("2018-02-22 00:00")
    assert doc.notes[0].message == "started_at from the date in the file name (2018-02-22, no time of day)"


@pytest.mark.parametrize(
    ("title", "day"),
    [("Facebook backbone outage of October 2021", "2021-10-01"), ("Slow queries (August 2022)", "2022-08-01"),
     ("Disruptions in February and March 2026", "2026-03-01")],
)  # fmt: skip
def test_a_month_and_year_in_the_title_give_the_first_of_the_month(title: str, day: str):
    doc = parse_markdown(f"# {title}\n\nSomething broke.\n")
    assert doc.started_at == at(f"{day} 00:00")
    assert doc.notes[0].message == f"started_at from the date in the title ({day}, month only: its first day)"


def test_the_opening_sentence_of_the_summary_when_title_and_file_name_have_none():
    doc = parse_markdown("# rust-lang\n\nOn 2023-07-20 between 12:17 and 12:30 UTC, crates failed. Fixed 2023-08-01.\n")
    assert doc.started_at == at("2023-07-20 00:00")
    assert doc.notes[0].message == "started_at from the date in the summary (2023-07-20, no time of day)"
    later = parse_markdown("# Outage\n\nSomething broke. It was fixed on 2023-08-01.\n")
    assert later.started_at is None  # only the first sentence: a later date is seldom the start


def test_a_document_that_gives_no_date_has_no_moments():
    doc = parse_markdown("# Something broke in August\n\nIt was bad. Detection: a customer told us.\n")
    assert (doc.started_at, doc.detected_at, doc.resolved_at, doc.notes) == (None, None, None, [])


def test_this_tools_own_format_is_read_exactly():
    text = "---\ntitle: 2019-07-02 outage\nkind: incident\nstatus: draft\n---\n\n" + DFDS_LIKE.split("\n", 1)[1]
    doc = parse_markdown(text)
    assert doc.started_at is None and doc.resolved_at is None and doc.notes == []


@pytest.mark.parametrize(
    ("stated", "status"),
    [("Done", "done"), ("closed", "done"), ("**Completed**", "done"), ("In progress", "in-progress"),
     ("won't do", "wont-do"), ("", "open"), ("TODO", "open")],
)  # fmt: skip
def test_action_items_keep_their_stated_status(stated: str, status: str):
    doc = parse_markdown(f"# X\n\n## Action items\n\n| Action | Status |\n|---|---|\n| Fix it | {stated} |\n")
    assert doc.actions[0].status == status and doc.warnings == []


def test_an_action_status_not_understood_stays_open_with_a_warning():
    doc = parse_markdown("# X\n\n## Action items\n\n| Action | Status |\n|---|---|\n| Fix it | maybe |\n")
    assert doc.actions[0].status == "open"
    assert [(w.line, w.message) for w in doc.warnings] == [(7, "action item status 'maybe' not understood; kept open")]
