"""The one duration formatter: what pages, exports, the insights report and the command line show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afteraction.cli.output import fmt_duration
from afteraction.documents.render import render_html
from afteraction.domain.durations import format_duration
from afteraction.domain.reviews import PostmortemDocument
from afteraction.web.pages.rendering import environment


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0, "0 s"),
        (0.4, "0 s"),
        (42, "42 s"),
        (60, "1 min"),
        (388.123, "6 min 28 s"),
        (1878, "31 min 18 s"),
        (3600, "1 h"),
        (3720, "1 h 2 min"),
        (5400, "1 h 30 min"),
        (86400, "1 d"),
        (90000, "1 d 1 h"),
        (-75, "-1 min 15 s"),
    ],
)
def test_a_duration_is_written_in_its_two_largest_units(seconds: float | None, shown: str):
    assert format_duration(seconds) == shown


def test_the_pages_the_exports_and_the_command_line_write_a_duration_the_same_way():
    start = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    doc = PostmortemDocument(title="T", started_at=start, detected_at=start + timedelta(seconds=388))
    assert "<b>6 min 28 s</b><span>Time to detect</span>" in render_html(doc)
    assert environment().filters["duration"](388) == "6 min 28 s"
    assert fmt_duration(388) == "6 min 28 s"
