"""Timelines as people write them (issue #17, item 2): times of day under a date, bullets, headings, and zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from afteraction.documents.lenient import split_time, stated_zone
from afteraction.documents.mapping import ImportMapping
from afteraction.documents.parse import parse_file, parse_markdown
from tests.conftest import corpus_path

UTC_ASSUMED = "timeline times read as UTC: the document states no time zone (state one, or use --tz)"


def timed(text: str, **kwargs: object) -> list[tuple[datetime | None, str]]:
    doc = parse_markdown(text, **kwargs)  # type: ignore[arg-type]
    return [(entry.at, entry.text) for entry in doc.timeline]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_time_only_table_rows_take_the_date_line_above():
    doc = parse_markdown(
        "# Outage\n\n## Timeline\n\n2015-10-21 (*all times UTC*)\n\n"
        "| Time | Event |\n| --- | --- |\n| 14:51 | News reported |\n| 15:10 | Rollback starts |\n"
    )
    assert [(e.at, e.text) for e in doc.timeline] == [
        (at(2015, 10, 21, 14, 51), "News reported"),
        (at(2015, 10, 21, 15, 10), "Rollback starts"),
    ]
    assert doc.timeline_note == "" and doc.warnings == []


def test_a_date_row_gives_the_day_of_the_rows_below():
    doc = parse_markdown(
        "## Timeline\n\nAll times UTC.\n\n| Time | Event |\n| --- | --- |\n| 2023-07-20 | |\n| 12:17 | Alert |\n"
    )
    assert [(e.at, e.text) for e in doc.timeline] == [(at(2023, 7, 20, 12, 17), "Alert")]


def test_bracketed_bullets_under_a_stated_day_and_zone():
    text = "## Timeline\n\nAll times in PST, on February 5th 2019\n\n* [08:47] Bump merged. **Outage begins.**\n"
    text += "* [09:34] Prow is confirmed to be functional.\n"
    assert timed(text) == [
        (at(2019, 2, 5, 16, 47), "Bump merged. **Outage begins.**"),
        (at(2019, 2, 5, 17, 34), "Prow is confirmed to be functional."),
    ]


def test_zoned_bullets_under_a_date_heading():
    text = "## Timeline\n\n### 2023-07-20\n\n- 12:17 UTC – Deploy starts\n- 12:30 UTC – Rolled back\n"
    assert timed(text) == [(at(2023, 7, 20, 12, 17), "Deploy starts"), (at(2023, 7, 20, 12, 30), "Rolled back")]


def test_date_time_headings_with_the_event_in_the_following_paragraph():
    text = (
        "## Timeline\n\nAll times in CEST\n\n### 2018-03-26 10:34\n\nLaunch success metric reaches 0%.\n\n"
        "### 10:55\n\nCluster self-heals.\nLaunch success back to 100%.\n\n### Sep 27 2018 13:06\n\nLater.\n"
    )
    doc = parse_markdown(text)
    assert [(e.at, e.text, e.line) for e in doc.timeline] == [
        (at(2018, 3, 26, 8, 34), "Launch success metric reaches 0%.", 5),
        (at(2018, 3, 26, 8, 55), "Cluster self-heals.\nLaunch success back to 100%.", 9),
        (at(2018, 9, 27, 11, 6), "Later.", 14),
    ]
    assert doc.timeline_note == "All times in CEST" and doc.warnings == []


def test_a_date_heading_without_a_time_keeps_its_text_and_gives_the_day():
    text = "## Timeline\n\nAll times UTC\n\n### 2018-01-15\n\nTravis failures.\n\n### 2018-01-17 17:14pm\n\nReal.\n"
    text += "\n### 18:57\n\nFixed.\n"
    doc = parse_markdown(text)
    assert [(e.at, e.time_text, e.text) for e in doc.timeline] == [
        (None, "2018-01-15", "Travis failures."),
        (at(2018, 1, 17, 17, 14), None, "Real."),
        (at(2018, 1, 17, 18, 57), None, "Fixed."),
    ]


def test_dated_bullets_and_lines_that_start_with_a_time():
    text = "## Timeline\n\nTimes are UTC.\n\n- 2023-09-18 13:42 First detected\n- 2023-09-20 19:18 Resolved\n"
    assert timed(text) == [(at(2023, 9, 18, 13, 42), "First detected"), (at(2023, 9, 20, 19, 18), "Resolved")]
    lines = "## Timeline\n\nAll times UTC\n\n2023-07-20\n\n12:17 – alert fires\nand pages\n12:30 – rolled back\n"
    assert timed(lines) == [
        (at(2023, 7, 20, 12, 17), "alert fires and pages"),
        (at(2023, 7, 20, 12, 30), "rolled back"),
    ]


def test_a_time_of_day_alone_takes_the_date_of_the_title_and_rolls_past_midnight():
    doc = parse_markdown(
        "# May 30th, 2019 Prow Flakiness\n\nAll times PDT.\n\n## Timeline\n\n* [23:55] a\n* [07:00] b\n"
    )
    assert [(e.at, e.time_text) for e in doc.timeline] == [
        (at(2019, 5, 31, 6, 55), "23:55"),
        (at(2019, 5, 31, 14, 0), "07:00"),  # 07:00 PDT the next morning
    ]


def test_month_day_times_take_the_year_of_the_document():
    doc = parse_markdown("# March 26th, 2019 Outage\n\nAll times in PDT (UTC-7).\n\n## Timeline\n\n"
                         "- [12-05 16:21] Bug introduced\n- [03-26 23:04] Outage starts\n")  # fmt: skip
    assert [e.at for e in doc.timeline] == [at(2018, 12, 5, 23, 21), at(2019, 3, 27, 6, 4)]


def test_ranges_and_out_of_order_notes():
    text = "## Timeline\n\nAll times UTC\n\n### 2018-04-18 12:35\n\nDeployed.\n\n### ~13:30-13:45\n\nDrops.\n\n"
    text += "### 14:49\n\nLogs read.\n\n### 14:43\n\nFix opened.\n"
    doc = parse_markdown(text)
    assert [(e.at, e.time_text, e.text) for e in doc.timeline] == [
        (at(2018, 4, 18, 12, 35), None, "Deployed."),
        (at(2018, 4, 18, 13, 30), "~13:30-13:45", "Drops."),
        (at(2018, 4, 18, 14, 49), "14:49", "Logs read."),  # the day is the row's above: the time is kept as written
        (at(2018, 4, 18, 14, 43), "14:43", "Fix opened."),  # a little earlier: out of order, not the next day
    ]


def test_a_day_and_month_in_words_without_a_year_takes_the_year_around_it():
    text = "## Timeline\n\nAll times in CEST\n\n### 2018-04-18 19:47\n\nReverted.\n\n### 19. April, 11:00\n\n"
    text += "Fix applied.\n"
    assert timed(text) == [(at(2018, 4, 18, 17, 47), "Reverted."), (at(2018, 4, 19, 9, 0), "Fix applied.")]
    bullets = "# 2018-04-18 Outage\n\n## Timeline\n\nAll times UTC\n\n- Apr 18 23:10 Paged\n- 20 April 09:15 Deployed\n"
    assert timed(bullets) == [(at(2018, 4, 18, 23, 10), "Paged"), (at(2018, 4, 20, 9, 15), "Deployed")]


def test_a_dated_row_above_the_first_timed_one_starts_the_incident_unless_before_the_stated_day():
    rows = "## Timeline\n\nAll times in PST\n\n### 2018-01-11\n\nWarning mail.\n\n### 2018-01-19 11:00\n\nAgain.\n"
    assert parse_markdown("# SSL warning\n\n" + rows).started_at == at(2018, 1, 11)
    # the title names 2018-01-19: the row of the 11th is background, and the incident starts at its first time
    assert parse_markdown("# 2018-01-19, SSL warning\n\n" + rows).started_at == at(2018, 1, 19, 19, 0)


# --- zones -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "offset"),
    [
        ("All times in PDT (UTC-7).", -7),
        ("All times PDT.", -7),
        ("(*all times UTC*)", 0),
        ("All times in CET (GMT+1)", 1),
        ("Time zone: UTC+1 (Zurich time)", 1),
        ("All times are GMT+2", 2),
        ("> (all times in Pacific Time)", -7),
    ],
)
def test_stated_zones(statement, offset):
    zone = stated_zone(statement)
    assert zone is not None
    assert datetime(2019, 7, 1, tzinfo=zone).utcoffset() == timedelta(hours=offset)


def test_no_statement_no_zone():
    assert stated_zone("We rolled back at 10:00 and the CET office noticed.") is None


def test_the_zone_stated_at_the_top_of_the_document_is_used():
    doc = parse_markdown("# Outage\n\nAll times in PDT (UTC-7).\n\n## Timeline\n\n- 2019-03-26 17:40: drain\n")
    assert doc.timeline[0].at == at(2019, 3, 27, 0, 40) and doc.warnings == []


def test_front_matter_zone_then_the_mapping_zone():
    body = "## Timeline\n\n- 2023-01-10 12:00: event\n"
    in_front = parse_markdown(f"---\ntitle: x\ntimezone: Europe/Oslo\n---\n\n{body}")
    assert in_front.timeline[0].at == at(2023, 1, 10, 11, 0) and in_front.warnings == []
    mapped = parse_markdown(body, mapping=ImportMapping(zone="America/New_York"))
    assert mapped.timeline[0].at == at(2023, 1, 10, 17, 0) and mapped.warnings == []
    stated = parse_markdown(f"All times UTC.\n\n{body}", mapping=ImportMapping(zone="America/New_York"))
    assert stated.timeline[0].at == at(2023, 1, 10, 12, 0)


def test_utc_is_assumed_with_one_warning_when_no_zone_is_stated():
    doc = parse_markdown("## Timeline\n\n- 2023-01-10 12:00: a\n- 2023-01-10 12:05: b\n", path="pm.md")
    assert [e.at for e in doc.timeline] == [at(2023, 1, 10, 12, 0), at(2023, 1, 10, 12, 5)]
    assert [str(w) for w in doc.warnings] == [f"pm.md:3: {UTC_ASSUMED}"]


def test_times_with_their_own_offset_keep_it_and_need_no_warning():
    doc = parse_markdown("## Timeline\n\n- 2023-01-10 12:00 +02:00 – a\n- 2023-01-10 12:05 CET – b\n")
    assert [e.at for e in doc.timeline] == [at(2023, 1, 10, 10, 0), at(2023, 1, 10, 11, 5)]
    assert doc.warnings == []


def test_the_zone_the_first_times_name_serves_the_rest():
    doc = parse_markdown("## Timeline\n\n### 2017-11-30 16:22 PST\n\nOOM.\n\n### 17:07\n\nAsked.\n")
    assert [e.at for e in doc.timeline] == [at(2017, 12, 1, 0, 22), at(2017, 12, 1, 1, 7)] and doc.warnings == []


def test_split_time_reads_the_forms():
    zone = timezone(timedelta(hours=-8))
    parsed, rest = split_time("2:54 PM PST: merged", zone)
    assert (parsed.at, parsed.zoned, rest) == (None, False, "2:54 PM PST: merged")  # no day: not read
    parsed, rest = split_time("2018-07-08 ca. 18:30", UTC)
    assert (parsed.at, parsed.keep_text, rest) == (at(2018, 7, 8, 18, 30), True, "")


# --- the real documents ------------------------------------------------------------------------------


def realworld(name: str):
    return parse_file(corpus_path("realworld", "docs", name))


def test_realworld_k8s_bullets_under_date_lines_in_pst():
    doc = realworld("k8s-test-infra-2019-01-23.md")
    assert len([e for e in doc.timeline if e.at]) == 11
    assert doc.timeline[0].at == at(2019, 1, 22, 22, 54)  # 2:54 PM PST
    assert doc.timeline[2].at == at(2019, 1, 23, 12, 49)  # 4:49 AM under "2019-01-23"
    assert doc.timeline[2].text.startswith("first [recorded instance]")


def test_realworld_k8s_bracketed_times_in_pdt():
    doc = realworld("k8s-test-infra-2019-03-26.md")
    assert [e.at for e in doc.timeline][:4] == [
        at(2018, 12, 5, 23, 21),  # "PDT (UTC-7)" as stated, even in December
        at(2019, 3, 20, 23, 46),
        at(2019, 3, 27, 0, 40),
        at(2019, 3, 27, 6, 4),
    ]
    two = realworld("k8s-test-infra-2019-02-05.md")
    assert two.timeline[0].at == at(2019, 2, 5, 16, 47) and two.timeline[-1].at == at(2019, 2, 5, 22, 31)


def test_realworld_mybinder_headings():
    doc = realworld("mybinder-2018-03-26-no-space-left.md")
    assert [e.at for e in doc.timeline] == [at(2018, 3, 26, 8, 34), at(2018, 3, 26, 8, 55), at(2018, 3, 26, 13, 0)]
    assert doc.timeline[0].text == "Launch success metric reaches 0%."
    hub = realworld("mybinder-2017-09-27-hub-403.md")
    assert hub.timeline[0].at == at(2017, 9, 27, 20, 6)  # "### Sep 27 2017 13:06", all times in PST
    lab = realworld("mybinder-2018-02-20-jupyterlab-announcement.md")
    assert len([e for e in lab.timeline if e.at]) == 35
    assert lab.timeline[0].at == at(2018, 2, 20, 13, 17)  # CET (GMT+1)


def test_realworld_timed_events_found():
    found = stated = 0
    for path in sorted(corpus_path("realworld", "docs").glob("*.md")):
        doc = parse_file(path)
        found += len([e for e in doc.timeline if e.at])
        stated += len(doc.timeline)
    assert found >= 213 and found / stated > 0.95
