"""The charts the pages and the report draw: gaps stay gaps, a single month is columns, axes name their unit with
whole ticks, long labels are shortened, month labels thinned, an empty chart says so; all as labelled SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from afteraction.documents.charts import (
    EMPTY,
    WIDTH,
    Series,
    bars,
    count_chart,
    duration_chart,
    month_label,
    share_chart,
)

NS = "{http://www.w3.org/2000/svg}"
YEAR = [f"2026-{m:02d}" for m in range(1, 13)]
HOUR = 3600.0


def parse(chart: Markup) -> ET.Element:
    assert isinstance(chart, Markup)
    return ET.fromstring(str(chart))


def texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{NS}text")]


def ticks(svg: ET.Element) -> list[str]:
    """The y axis's labels, bottom to top."""
    return [t.text or "" for t in svg.iter(f"{NS}text") if t.get("text-anchor") == "end"]


def paths(svg: ET.Element) -> dict[str, str]:
    return {p.get("data-series", ""): p.get("d", "") for p in svg.iter(f"{NS}path")}


def test_a_chart_is_a_labelled_svg_that_scales_and_escapes_its_text():
    svg = str(duration_chart("Time <to> detect", YEAR[:2], [Series("a & b", [60.0, 120.0])]))
    assert svg.startswith('<svg class="chart" viewBox="0 0 640 ')
    assert 'width="100%"' in svg and 'role="img"' in svg and 'aria-label="Time &lt;to&gt; detect"' in svg
    assert "<title>Time &lt;to&gt; detect</title>" in svg and "a &amp; b" in svg
    assert "<script" not in svg and "style=" not in svg and "href" not in svg


def test_a_month_without_data_breaks_the_line_into_separate_segments():
    svg = parse(duration_chart("Detect", YEAR[:5], [Series("detect", [600.0, 1200.0, None, 900.0, 300.0])]))
    d = paths(svg)["detect"]
    assert d.count("M") == 2 and d.count("L") == 2  # Jan–Feb and Apr–May; nothing across March
    assert len(list(svg.iter(f"{NS}circle"))) == 4


def test_a_point_without_neighbours_is_a_dot_with_its_value_written():
    svg = parse(duration_chart("Detect", YEAR[:5], [Series("detect", [600.0, None, 1200.0, 900.0, None])]))
    assert paths(svg)["detect"].count("M") == 1
    lone = [c for c in svg.iter(f"{NS}circle") if c.get("r") == "5"]
    assert len(lone) == 1 and lone[0].findtext(f"{NS}title") == "detect, Jan 2026: 10 minutes"
    values = [t.text for t in svg.iter(f"{NS}text") if t.get("font-weight") == "600"]
    assert values == ["minutes", "10"]  # the unit of the axis, and the lone point's value


def test_lone_points_of_two_series_in_one_month_get_both_values_without_touching():
    chart = duration_chart(
        "Both", YEAR[:3], [Series("detect", [300.0, None, None]), Series("resolve", [360.0, None, None])]
    )
    values = [t for t in parse(chart).iter(f"{NS}text") if t.get("font-weight") == "600"][1:]
    assert [t.text for t in values] == ["5", "6"]
    assert {(t.get("x"), t.get("y")) for t in values} != {(values[0].get("x"), values[0].get("y"))}


def test_a_single_month_is_drawn_as_labelled_columns_not_an_empty_plot():
    svg = parse(duration_chart("March", ["2026-03"], [Series("detect", [600.0]), Series("resolve", [3000.0])]))
    assert not paths(svg)
    columns = [r for r in svg.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [r.findtext(f"{NS}title") for r in columns] == [
        "detect, Mar 2026: 10 minutes",
        "resolve, Mar 2026: 50 minutes",
    ]
    assert {"10", "50", "Mar", "2026", "detect", "resolve"} <= set(texts(svg))


@pytest.mark.parametrize(
    ("longest", "unit", "labels"),
    [
        (50 * 60.0, "minutes", ["0", "10", "20", "30", "40", "50"]),
        (2.5 * HOUR, "minutes", ["0", "50", "100", "150"]),
        (5 * HOUR, "hours", ["0", "1", "2", "3", "4", "5"]),
        (40 * HOUR, "hours", ["0", "10", "20", "30", "40"]),
        (14232 * HOUR, "days", ["0", "200", "400", "600"]),
        (45.0, "minutes", ["0", "0.2", "0.4", "0.6", "0.8"]),
    ],
)
def test_durations_are_drawn_in_the_unit_their_range_asks_with_ticks_of_1_2_5(longest: float, unit: str, labels):
    svg = parse(duration_chart("Resolve", YEAR[:3], [Series("resolve", [longest / 3, longest, None])]))
    shown = texts(svg)
    assert shown[0] == unit and ticks(svg) == labels
    assert not any(re.fullmatch(r"\d+\.0", text) for text in shown)  # never "14232.0"


def test_the_legend_names_only_the_series_and_the_axis_its_unit():
    svg = parse(
        duration_chart("Trend", YEAR, [Series("time to detect", [60.0] * 12), Series("time to resolve", [None] * 12)])
    )
    header = [t.text for t in svg.iter(f"{NS}text") if t.get("text-anchor") == "start"]
    assert header == ["minutes", "time to detect", "time to resolve"]


def test_counts_draw_nothing_for_a_month_without_data_and_a_mark_for_a_real_zero():
    svg = parse(count_chart("Incidents per month", YEAR[:4], [3, 0, None, 12]))
    columns = {r.findtext(f"{NS}title"): float(r.get("height", "0")) for r in svg.iter(f"{NS}rect")}
    assert set(columns) == {"incidents, Jan 2026: 3 incidents", "incidents, Feb 2026: 0 incidents",
                            "incidents, Apr 2026: 12 incidents"}  # fmt: skip
    assert columns["incidents, Feb 2026: 0 incidents"] == 2  # a visible zero
    assert texts(svg)[0] == "incidents" and ticks(svg) == ["0", "5", "10", "15"]
    assert [t.text for t in svg.iter(f"{NS}text") if t.get("font-weight") == "600"] == ["incidents", "3", "0", "12"]
    assert "Apr 2026: 1 incident" not in str(count_chart("x", ["2026-04"], [1], unit="pages"))


def test_shares_are_percent_on_an_axis_to_100():
    svg = parse(share_chart("With a post-mortem", YEAR[:3], [Series("done", [0.5, 0.25, None])]))
    assert texts(svg)[0] == "percent" and ticks(svg) == ["0", "20", "40", "60", "80", "100"]
    assert "done, Feb 2026: 25 percent" in str(share_chart("x", YEAR[:3], [Series("done", [0.5, 0.25, None])]))
    with pytest.raises(ValueError, match="'done': a share must be a fraction from 0 to 1"):
        share_chart("x", YEAR[:1], [Series("done", [1.5])])


def test_bars_shorten_long_labels_and_keep_value_and_unit_inside():
    name = "payments-platform-infrastructure-reliability-engineering"
    svg = parse(bars("By team", [(name, 14232.5), ("search", 3.0), ("web", 0.0)], "hours"))
    rows = list(svg.iter(f"{NS}g"))
    assert [row.findtext(f"{NS}title") for row in rows] == [f"{name}: 14232 hours", "search: 3 hours", "web: 0 hours"]
    label, value = rows[0].findall(f"{NS}text")
    assert (label.text or "").endswith("…") and len(label.text or "") < len(name)
    assert value.text == "14232 hours"
    bar = rows[0].find(f"{NS}rect")
    assert bar is not None and float(value.get("x", "0")) > float(bar.get("width", "0"))
    assert float(value.get("x", "0")) + len(value.text) * 0.6 * 22 <= WIDTH  # fits at a phone's label size


def test_empty_charts_say_so_inside_their_frame():
    for chart in (
        duration_chart("Detect", YEAR, [Series("detect", [None] * 12)]),
        count_chart("Incidents", [], []),
        share_chart("Share", YEAR[:2], []),
        bars("Teams", [], "incidents"),
    ):
        svg = parse(chart)
        assert texts(svg) == [EMPTY] and svg.find(f"{NS}rect") is not None and svg.get("role") == "img"


def test_month_labels_are_thinned_with_the_year_where_it_changes():
    svg = parse(count_chart("Incidents", YEAR, [1] * 12))
    assert [t for t in texts(svg) if not t.isdigit() or len(t) == 4] == [
        "incidents", "Jan", "2026", "Mar", "May", "Jul", "Sep", "Nov"
    ]  # fmt: skip
    two_years = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][6:18]  # Jul 2025 to Jun 2026
    labels = [t for t in texts(parse(count_chart("x", two_years, [None] * 11 + [1]))) if not t.isdigit() or len(t) == 4]
    assert labels == ["incidents", "Jul", "2025", "Sep", "Nov", "Jan", "2026", "Mar", "May"]
    centuries = [f"{y}-{m:02d}" for y in range(1628, 2027) for m in range(1, 13)]
    years = [t for t in texts(parse(count_chart("x", centuries, [1] * len(centuries)))) if len(t) == 4]
    assert years == [str(y) for y in range(1650, 2027, 50)]  # whole years, every 50, none cut


def test_month_label_and_bad_input_name_what_is_wrong():
    assert month_label("2026-03") == "Mar 2026"
    with pytest.raises(ValueError, match="month must be YYYY-MM, got '2026-13'"):
        month_label("2026-13")
    with pytest.raises(ValueError, match="series 'detect' has 2 values for 3 months"):
        duration_chart("x", YEAR[:3], [Series("detect", [1.0, 2.0])])
    with pytest.raises(ValueError, match="counts of incidents cannot be negative"):
        count_chart("x", YEAR[:1], [-1])
    with pytest.raises(ValueError, match="bar 'a': the value must be a number"):
        bars("x", [("a", float("nan"))], "h")
