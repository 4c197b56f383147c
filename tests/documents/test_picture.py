"""The picture of a timeline as SVG: a lane per kind of source with its bars, a mark per highlight that names its
event, key moments as labelled lines, ticks in UTC, hostile text escaped, and no script or outside reference."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from afteraction.documents.picture import (
    ALL_LANE,
    PictureEvent,
    PictureMoment,
    TimelinePicture,
    cut_text,
    lane_of,
    summary,
    ticks,
    timeline_svg,
)

START = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</title><script>alert(1)</script><a href="javascript:alert(2)">x</a> & "quoted"'


def _counts(**lanes: dict[int, int]) -> dict[str, list[int]]:
    found = {}
    for lane, cells in lanes.items():
        row = [0] * 120
        for index, count in cells.items():
            row[index] = count
        found[lane.replace("_", "-")] = row
    return found


def _event(event_id: int, minutes: float, source: str, kind: str = "note", text: str = "it happened") -> PictureEvent:
    at = START + timedelta(minutes=minutes)
    return PictureEvent(id=event_id, at=at, source=source, kind=kind, text=text, lane=lane_of(source, kind))


def _picture(**changes: object) -> TimelinePicture:
    values: dict[str, object] = {
        "start": START,
        "end": START + timedelta(hours=2),
        "counts": _counts(alerts={3: 2, 10: 40}, chat={0: 1, 50: 900, 119: 7}, hand_added={30: 1}),
        "highlights": [_event(1, 6, "alertmanager", "alert", "HighErrorRate firing"), _event(2, 30, "manual")],
        "moments": [
            PictureMoment("detected", START + timedelta(minutes=6), "derived", 1),
            PictureMoment("resolved", START + timedelta(minutes=95), "manual"),
        ],
    }
    values.update(changes)
    return TimelinePicture(**values)  # type: ignore[arg-type]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # our own output, parsed to prove it is well-formed


def test_lanes_follow_the_source_and_deploys_the_kind() -> None:
    assert [lane_of(s, "note") for s in ("alertmanager", "grafana", "pagerduty", "opsgenie", "slack")] == [
        "alerts",
        "alerts",
        "pages",
        "pages",
        "chat",
    ]
    assert [lane_of(s, "note") for s in ("git", "github", "manual", "jira")] == [
        "deploys",
        "deploys",
        "hand-added",
        "other",
    ]
    assert lane_of("manual", "deploy") == lane_of("slack", "rollback") == "deploys"


def test_the_picture_has_its_lanes_bars_marks_and_moments() -> None:
    svg = timeline_svg(_picture())
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("viewBox", "").startswith("0 0 640 ")
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert [t for t in texts if t in ("alerts", "pages", "chat", "deploys", "by hand", "other")] == [
        "alerts",
        "chat",
        "by hand",
    ]  # only the lanes with events, in their order
    assert root.find(f"{SVG}title") is not None and "3 events" not in (root.findtext(f"{SVG}desc") or "")
    assert "951 events from 2026-03-14 10:00:00 UTC to 2026-03-14 12:00:00 UTC" in (root.findtext(f"{SVG}desc") or "")
    bars = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bars"]
    assert [len(g.findall(f"{SVG}rect")) for g in bars] == [2, 3, 1]
    marks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "mark"]
    assert [mark.get("tabindex") for mark in marks] == ["0", "0"]
    assert marks[0].get("aria-label") == "2026-03-14 10:06:00 UTC · alertmanager alert: HighErrorRate firing"
    assert marks[0].findtext(f"{SVG}title") == marks[0].get("aria-label")
    assert marks[0].find(f"{SVG}path") is not None  # the detected moment's event: a diamond
    assert marks[1].find(f"{SVG}circle") is not None
    moments = [g for g in root.iter(f"{SVG}g") if g.get("class") == "moment"]
    assert [m.findtext(f"{SVG}text") for m in moments] == ["detected", "resolved"]
    assert moments[1].get("aria-label") == "Resolved at 2026-03-14 11:35:00 UTC (manual)"
    assert "10:30" in texts and "UTC" in texts


def test_a_mark_with_a_link_is_a_link_and_no_second_tab_stop() -> None:
    svg = timeline_svg(
        _picture(), link=lambda event: f"/incidents/INC-1?at={event.at:%Y-%m-%dT%H:%M:%S}#event-{event.id}"
    )
    links = [a for a in _parse(svg).iter(f"{SVG}a")]
    assert [a.get("href") for a in links] == [
        "/incidents/INC-1?at=2026-03-14T10:06:00#event-1",
        "/incidents/INC-1?at=2026-03-14T10:30:00#event-2",
    ]
    assert all(a.get("tabindex") is None and a.get("aria-label") for a in links)


def test_hostile_event_text_stays_text() -> None:
    event = _event(7, 20, "slack", text=cut_text(HOSTILE))
    moment = PictureMoment("detected", START, "manual")
    svg = timeline_svg(_picture(highlights=[event], moments=[moment]), link=lambda e: '/x?"><script>')
    assert "<script" not in svg and "javascript:" not in svg.replace("javascript:alert(2)", "")
    root = _parse(svg)  # still well-formed
    mark = next(a for a in root.iter(f"{SVG}a"))
    assert mark.findtext(f"{SVG}title", "").endswith(f"slack note: {' '.join(HOSTILE.split())}")
    assert mark.get("href") == '/x?"><script>'  # an attribute value, escaped: not markup
    assert all(element.tag.startswith(SVG) for element in root.iter())


def test_no_script_no_style_no_outside_reference() -> None:
    svg = timeline_svg(_picture())
    assert re.findall(r"https?://[^\"']+", svg) == ["http://www.w3.org/2000/svg"]
    for word in ("<script", "style=", "<style", "<image", "<foreignObject", "url(", "xlink:href", "<use", " on"):
        assert word not in svg


def test_an_empty_timeline_says_so() -> None:
    svg = timeline_svg(TimelinePicture(start=None, end=None, untimed=3))
    root = _parse(svg)
    assert root.findtext(f"{SVG}desc") == "No event with a time yet."
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "mark"]


def test_one_event() -> None:
    one = TimelinePicture(
        start=START - timedelta(seconds=30),
        end=START + timedelta(seconds=30),
        counts=_counts(pages={60: 1}),
        highlights=[_event(3, 0, "pagerduty", "alert")],
    )
    root = _parse(timeline_svg(one))
    marks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "mark"]
    circle = marks[0].find(f"{SVG}circle")
    assert len(marks) == 1 and circle is not None and circle.get("cx") == "356"  # the middle of the plot
    assert summary(one).startswith(
        "1 event from 2026-03-14 09:59:30 UTC to 2026-03-14 10:00:30 UTC (pages 1); 1 highlight"
    )


def test_the_summary_says_what_is_not_drawn() -> None:
    data = _picture(
        counts={ALL_LANE: [5] * 120}, more_highlights=498, before=12, after=100_001, untimed=1, count_cap=100_000
    )
    text = summary(data)
    assert "600 events from" in text and "their density drawn for all sources together" in text
    assert "500 highlights, the first 2 drawn" in text
    assert "12 events before the picture; more than 100,000 events after it; 1 event without a time (not drawn)" in text
    assert next(t.text for t in _parse(timeline_svg(data)).iter(f"{SVG}text")) == "events"


def test_ticks_fall_on_round_times_in_utc() -> None:
    assert [label for _, label in ticks(START + timedelta(minutes=3), START + timedelta(hours=2))] == [
        "03-14 10:30",
        "11:00",
        "11:30",
        "12:00",
    ]
    assert [label for _, label in ticks(START, START + timedelta(seconds=40))] == [
        "03-14 10:00:00",
        "10:00:10",
        "10:00:20",
        "10:00:30",
        "10:00:40",
    ]
    days = ticks(START, START + timedelta(days=9))
    assert [label for _, label in days] == ["2026-03-16", "2026-03-18", "2026-03-20", "2026-03-22"]
