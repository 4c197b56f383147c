"""Charts of monthly figures and of categories as SVG, pure (no database, no script): the web pages and the HTML and
PDF report draw every chart with these functions, so that a chart says the same everywhere.

A chart is drawn in a viewBox `WIDTH` units wide and scales to its container (width 100%). Its labels are sized in
viewBox units: where no style sheet sets their size (the report) they are `FONT` units; app.css makes them larger as
the chart narrows (up to `ROOM_FONT` units on a phone) so that they stay legible. Every place and every gap is
reckoned for labels of `ROOM_FONT` units, so that no label overlaps another or leaves the drawing at any size.

What the charts promise: a month without data is a gap (no line crosses it, no column stands in it), a point with no
neighbour is a dot with its value written beside it, a single month is drawn as columns; the y axis names its unit
(minutes, hours or days chosen from the range; ticks at 1, 2 or 5 times a power of ten); the legend names only the
series; month labels are thinned so that none touch, the year written when it changes; an empty chart says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
FONT = 13  # the labels' size where no style sheet sets one
ROOM_FONT = 22  # the largest label size app.css gives (on a phone): every layout keeps room for it
LINE = 28  # a row of labels at ROOM_FONT
ASCENT, DESCENT = 0.93, 0.24  # of DejaVu Sans, the widest common sans-serif, in ems
PAD = 6
RIGHT = 24  # room right of the plot for the last month's label
PLOT_HEIGHT = 160
AXIS_ROWS = 2  # month names, and the year under them where it changes
GAP = 8  # between a label and what it labels
DOT = 5  # the radius of a point without neighbours
# Where a value may be written beside its point, in order of preference.
SIDES = ("above", "below", "right", "left", "above right", "above left", "below right", "below left")
COLOURS = ("#2f5fb3", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#0f766e")  # each at least 4.5:1 on white
INK = "#374151"
AXIS_COLOUR = "#6b7280"
GRID = "#e5e7eb"
EMPTY = "No data in this range"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DURATION_UNITS = (("minutes", 60), ("hours", 3600), ("days", 86400))
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_NARROW = frozenset("iljtfr.,:;'!|()[]- ")
_WIDE = frozenset("mwMW%@…")
_STRIDES = (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000)


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart: its name and one value per month (None where there is no data)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class _Box:
    """A label's box in viewBox units, at the largest label size."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: _Box) -> bool:
        return not (
            self.right <= other.left or other.right <= self.left or self.bottom <= other.top or other.bottom <= self.top
        )

    def inside(self, area: _Box) -> bool:
        return (
            self.left >= area.left and self.right <= area.right and self.top >= area.top and self.bottom <= area.bottom
        )


def month_label(month: str) -> str:
    """A month key as people read it: `2026-03` as `Mar 2026`."""
    _check_month(month)
    return f"{MONTH_NAMES[int(month[5:7]) - 1]} {month[:4]}"


def duration_chart(title: str, months: Sequence[str], series: Sequence[Series]) -> Markup:
    """Lines of durations per month, the values in seconds, drawn in minutes, hours or days as their range asks."""
    _check_series(months, series)
    values = [v for line in series for v in line.values if v is not None]
    unit, seconds = _duration_unit(max((abs(v) for v in values), default=0.0))
    scaled = [Series(line.name, [None if v is None else v / seconds for v in line.values]) for line in series]
    return _monthly(title, months, scaled, unit, minimum_step=0.0)


def count_chart(title: str, months: Sequence[str], counts: Sequence[int | None], unit: str = "incidents") -> Markup:
    """Columns of a count per month: None is a month without data (a gap), 0 a real zero (a mark on the axis)."""
    _check_series(months, [Series(unit, [None if c is None else float(c) for c in counts])])
    if any(c is not None and c < 0 for c in counts):
        raise ValueError(f"counts of {unit} cannot be negative")
    values = [None if c is None else float(c) for c in counts]
    if not months or all(v is None for v in values):
        return _empty(title)
    return _draw_monthly(title, months, [Series(unit, values)], unit, minimum_step=1.0, columns=True, legend=False)


def share_chart(title: str, months: Sequence[str], series: Sequence[Series]) -> Markup:
    """Lines of shares per month, the values fractions from 0 to 1, drawn as percent on an axis from 0 to 100."""
    _check_series(months, series)
    for line in series:
        if any(v is not None and not -1e-9 <= v <= 1 + 1e-9 for v in line.values):
            raise ValueError(f"series {line.name!r}: a share must be a fraction from 0 to 1")
    scaled = [Series(line.name, [None if v is None else v * 100 for v in line.values]) for line in series]
    return _monthly(title, months, scaled, "percent", minimum_step=0.0, top=100.0)


def bars(title: str, items: Sequence[tuple[str, float]], unit: str) -> Markup:
    """Horizontal bars of a value per category, team or owner: each label shortened with "…" where it is long (the
    full label in the row's title), the value and its unit at the end of its bar."""
    for label, value in items:
        if not math.isfinite(value):
            raise ValueError(f"bar {label!r}: the value must be a number")
    if not items:
        return _empty(title)
    row = LINE + 8
    texts = [f"{_short(value)} {unit}" for _, value in items]
    value_room = max(_width(text) for text in texts)
    label_room = min(max(_width(label) for label, _ in items), WIDTH * 0.4, WIDTH - 2 * PAD - 3 * GAP - value_room - 40)
    bar_left = PAD + max(label_room, 0) + GAP
    room = WIDTH - PAD - bar_left
    pairs = zip(items, texts, strict=True)
    scale = min(((room - GAP - _width(text)) / value for (_, value), text in pairs if value > 0), default=0.0)
    height = 2 * PAD + row * len(items)
    parts = [_open(title, height, "chart bars")]
    for index, ((label, value), text) in enumerate(zip(items, texts, strict=True)):
        middle = PAD + row * index + row / 2
        length = max(value, 0.0) * max(scale, 0.0)
        parts.append(
            f"<g><title>{escape(label)}: {escape(text)}</title>"
            f"{_text(PAD, middle, _shorten(label, label_room), 'start')}"
            f'<rect x="{_n(bar_left)}" y="{_n(middle - 10)}" width="{_n(length)}" height="20" '
            f'fill="{COLOURS[0]}"/>'
            f"{_text(bar_left + length + GAP, middle, text, 'start')}</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # every text in it is escaped


def _monthly(
    title: str, months: Sequence[str], series: Sequence[Series], unit: str, *, minimum_step: float, top: float = 0.0
) -> Markup:
    if not months or all(v is None for line in series for v in line.values):
        return _empty(title)
    return _draw_monthly(
        title, months, series, unit, minimum_step=minimum_step, columns=len(months) == 1, legend=True, top=top
    )


def _draw_monthly(
    title: str,
    months: Sequence[str],
    series: Sequence[Series],
    unit: str,
    *,
    minimum_step: float,
    columns: bool,
    legend: bool,
    top: float = 0.0,
) -> Markup:
    """A chart over months: lines (or columns, for counts and for a single month), axes, legend and labels."""
    header, header_bottom = _header(unit, [line.name for line in series] if legend else [])
    plot_top = header_bottom + LINE + 4  # a row for the values written above the highest points
    plot_bottom = plot_top + PLOT_HEIGHT
    height = plot_bottom + GAP * 2 + AXIS_ROWS * LINE
    values = [v for line in series for v in line.values if v is not None]
    room = int(PLOT_HEIGHT // (LINE + 4))
    low, high, step = _axis(min(values), max(max(values), top), room, minimum_step)
    ticks = [low + step * i for i in range(round((high - low) / step) + 1)]
    tick_texts = [_tick(value, step) for value in ticks]
    left = PAD + max(_width(text) for text in tick_texts) + GAP
    slot = (WIDTH - RIGHT - left) / len(months)

    def y(value: float) -> float:
        return plot_bottom - PLOT_HEIGHT * (value - low) / (high - low)

    def x(index: int) -> float:
        return left + slot * (index + 0.5)

    parts = [_open(title, height, "chart"), *header]
    for value, text in zip(ticks, tick_texts, strict=True):
        colour = AXIS_COLOUR if value == 0 else GRID
        parts.append(
            f'<line x1="{_n(left)}" y1="{_n(y(value))}" x2="{_n(WIDTH - RIGHT)}" y2="{_n(y(value))}" '
            f'stroke="{colour}"/>{_text(left - GAP, y(value), text, "end")}'
        )
    parts += _month_labels(months, x, slot, plot_bottom + GAP * 2)
    area = _Box(left, header_bottom, WIDTH - PAD, plot_bottom + GAP)  # above the month labels
    placed: list[_Box] = []
    if columns:
        parts += _columns(months, series, unit, x, y, slot, area, placed, base=y(max(low, 0.0)))
    else:
        parts += _lines(months, series, unit, x, y, area, placed)
    parts.append("</svg>")
    return Markup("".join(parts))  # every text in it is escaped


def _lines(
    months: Sequence[str],
    series: Sequence[Series],
    unit: str,
    x: Callable[[int], float],
    y: Callable[[float], float],
    area: _Box,
    placed: list[_Box],
) -> list[str]:
    """Each series as a path of one segment per run of months with data, a dot per value (with its value as title),
    and the value written beside every dot without a neighbour."""
    parts: list[str] = []
    lone: list[tuple[float, float, str, str]] = []
    dots: list[tuple[float, float, str, str]] = []
    for number, line in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        runs = _runs(line.values)
        segments = [" L ".join(f"{_n(x(i))} {_n(y(v))}" for i, v in run) for run in runs if len(run) > 1]
        if segments:
            path = " ".join(f"M {segment}" for segment in segments)
            parts.append(
                f'<path class="line" data-series="{escape(line.name)}" d="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"/>'
            )
        for run in runs:
            for i, v in run:
                parts.append(
                    f'<circle cx="{_n(x(i))}" cy="{_n(y(v))}" r="{DOT if len(run) == 1 else 3.5}" fill="{colour}">'
                    f"<title>{escape(line.name)}, {month_label(months[i])}: {escape(_short(v))} {escape(unit)}</title>"
                    "</circle>"
                )
                dots.append((x(i), y(v), _short(v), colour))
                if len(run) == 1:
                    lone.append(dots[-1])
    placed += [_Box(cx - DOT, cy - DOT, cx + DOT, cy + DOT) for cx, cy, _, _ in dots]
    for cx, cy, text, colour in lone:
        parts.append(_value_label(cx, cy, text, colour, area, placed, SIDES))
    return parts


def _columns(
    months: Sequence[str],
    series: Sequence[Series],
    unit: str,
    x: Callable[[int], float],
    y: Callable[[float], float],
    slot: float,
    area: _Box,
    placed: list[_Box],
    *,
    base: float,
) -> list[str]:
    """Columns side by side in each month's slot (one per series): nothing where a month has no data, a thin mark
    for a real zero, and the value above each column where it fits."""
    parts: list[str] = []
    width = min(slot * 0.8 / len(series), 80.0)
    for number, line in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        for i, v in enumerate(line.values):
            if v is None:
                continue
            left = x(i) - width * len(series) / 2 + width * number
            top, bottom = sorted((y(v), base))
            if bottom - top < 2:  # a real zero: a mark on the axis, unlike a month without data
                top = base - 2
                bottom = base
            parts.append(
                f'<rect x="{_n(left + 1)}" y="{_n(top)}" width="{_n(max(width - 2, 1))}" height="{_n(bottom - top)}" '
                f'fill="{colour}"><title>{escape(line.name)}, {month_label(months[i])}: {escape(_short(v))} '
                f"{escape(unit)}</title></rect>"
            )
            if _width(_short(v), bold=True) <= (slot - 4 if len(series) == 1 else width):
                parts.append(_value_label(left + width / 2, min(y(v), base), _short(v), INK, area, placed, ("above",)))
    return parts


def _value_label(
    cx: float, cy: float, text: str, colour: str, area: _Box, placed: list[_Box], sides: Sequence[str]
) -> str:
    """A value written beside its point, on the first side where it touches no other value or dot and stays in the
    plot; nothing when there is no such side (the value stays in the point's title and the page's table)."""
    width, height = _width(text, bold=True), _height()
    across, up = width / 2 + DOT + 1, height / 2 + DOT + 1
    offsets = {
        "above": (0.0, -up),
        "below": (0.0, up),
        "right": (across, 0.0),
        "left": (-across, 0.0),
        "above right": (width / 2, -up),
        "above left": (-width / 2, -up),
        "below right": (width / 2, up),
        "below left": (-width / 2, up),
    }
    for side in sides:
        x, y = cx + offsets[side][0], cy + offsets[side][1]
        box = _Box(x - width / 2, y - height / 2, x + width / 2, y + height / 2)
        if box.inside(area) and not any(box.overlaps(other) for other in placed):
            placed.append(box)
            return _text(x, y, text, "middle", fill=colour, weight="600")
    return ""


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The runs of consecutive months with a value."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return runs


def _header(unit: str, names: Sequence[str]) -> tuple[list[str], float]:
    """The unit of the y axis at the top left, then the legend (a swatch and a name per series), in as many rows
    as it takes; and where the rows end."""
    unit = _shorten(unit, (WIDTH - 2 * PAD) / 1.12)
    parts = [_text(PAD, PAD + LINE / 2, unit, "start", weight="600")]
    x, row = PAD + _width(unit, bold=True) + 2 * GAP, 0
    for number, name in enumerate(names):
        shown = _shorten(name, WIDTH - 2 * PAD - 24)
        width = 18 + _width(shown)
        if x + width > WIDTH - PAD and x > PAD:
            x, row = PAD, row + 1
        middle = PAD + row * LINE + LINE / 2
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(middle - 3)}" width="14" height="6" fill="{COLOURS[number % len(COLOURS)]}"/>'
            + _text(x + 18, middle, shown, "start")
        )
        x += width + 2 * GAP
    return parts, PAD + (row + 1) * LINE


def _month_labels(months: Sequence[str], x: Callable[[int], float], slot: float, top: float) -> list[str]:
    """Month names under the plot, thinned to every 2nd, 3rd, 6th month (or every year, or every few years) so that
    none touches the next, with the year under the first and wherever it changes."""
    need = _width("0000") + 2 * GAP
    stride = next((s for s in _STRIDES if s * slot >= need), _STRIDES[-1])
    picked = [i for i, month in enumerate(months) if _aligned(month, stride)] or [0]
    parts: list[str] = []
    year = ""
    for i in picked:
        month = months[i]
        first = month[:4] if stride >= 12 else MONTH_NAMES[int(month[5:7]) - 1]
        second = month[:4] if stride < 12 and month[:4] != year else ""
        year = month[:4]
        half = max(_width(first), _width(second)) / 2
        centre = min(max(x(i), half + PAD), WIDTH - PAD - half)
        parts.append(_text(centre, top + LINE / 2, first, "middle"))
        if second:
            parts.append(_text(centre, top + LINE * 1.5, second, "middle"))
    return parts


def _aligned(month: str, stride: int) -> bool:
    number, year = int(month[5:7]), int(month[:4])
    if stride < 12:
        return (number - 1) % stride == 0
    return number == 1 and year % (stride // 12) == 0


def _axis(low: float, high: float, room: int, minimum_step: float) -> tuple[float, float, float]:
    """An axis from 0 (or below, for negative values) that holds `low` to `high` in at most `room` steps of 1, 2 or 5
    times a power of ten: its bottom, top and step."""
    low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    if span <= 0:
        return 0.0, max(minimum_step, 1.0), max(minimum_step, 1.0)
    power = math.floor(math.log10(span / room))
    for exponent in (power, power + 1, power + 2):
        for multiple in (1, 2, 5):
            step = multiple * 10.0**exponent
            if step < minimum_step:
                continue
            bottom, top = -step * math.ceil(-low / step - 1e-9), step * math.ceil(high / step - 1e-9)
            if round((top - bottom) / step) <= room:
                return bottom, top, step
    raise AssertionError("unreachable: a step of 100 times the span holds it")  # pragma: no cover


def _duration_unit(high: float) -> tuple[str, int]:
    """Minutes below three hours, hours below three days, else days: the axis's numbers stay few and whole."""
    if high < 3 * 3600:
        return DURATION_UNITS[0]
    if high < 3 * 86400:
        return DURATION_UNITS[1]
    return DURATION_UNITS[2]


def _tick(value: float, step: float) -> str:
    """A tick's label: whole where the step is whole, else with as many decimals as the step has."""
    decimals = 0 if step >= 1 else math.ceil(-math.log10(step) - 1e-9)
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _short(value: float) -> str:
    """A value as written beside a point or a bar: whole from 10 up, else with one decimal (never `5.0`)."""
    text = f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def _shorten(label: str, room: float) -> str:
    """The label, cut and ended with "…" where it is wider than the room."""
    if _width(label) <= room:
        return label
    cut = label
    while cut and _width(cut + "…") > room:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _width(text: str, *, bold: bool = False) -> float:
    """The width of a label at the largest label size, reckoned generously from DejaVu Sans's widths."""
    ems = sum(0.42 if c in _NARROW else 1.0 if c in _WIDE else 0.78 if c.isupper() else 0.64 for c in text)
    return ems * ROOM_FONT * (1.12 if bold else 1.0)


def _height() -> float:
    return (ASCENT + DESCENT) * ROOM_FONT


def _text(x: float, y: float, text: str, anchor: str, *, fill: str = INK, weight: str = "") -> str:
    """A label centred on `y` (whatever its size), anchored at `x`."""
    bold = f' font-weight="{weight}"' if weight else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" dy="0.35em" text-anchor="{anchor}" fill="{fill}"{bold}>{escape(text)}</text>'


def _open(title: str, height: float, css_class: str) -> str:
    return (
        f'<svg class="{css_class}" viewBox="0 0 {WIDTH} {_n(height)}" width="100%" role="img" '
        f'aria-label="{escape(title)}" font-family="DejaVu Sans, system-ui, sans-serif" font-size="{FONT}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )


def _empty(title: str) -> Markup:
    """A frame that says there is nothing to draw."""
    height = 120
    return Markup(
        _open(title, height, "chart empty")
        + f'<rect x="1" y="1" width="{WIDTH - 2}" height="{height - 2}" fill="none" stroke="{GRID}" stroke-width="2"/>'
        + _text(WIDTH / 2, height / 2, EMPTY, "middle")
        + "</svg>"
    )


def _check_month(month: str) -> None:
    if not _MONTH.fullmatch(month):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")


def _check_series(months: Sequence[str], series: Sequence[Series]) -> None:
    for month in months:
        _check_month(month)
    for line in series:
        if len(line.values) != len(months):
            raise ValueError(f"series {line.name!r} has {len(line.values)} values for {len(months)} months")
        if any(v is not None and not math.isfinite(v) for v in line.values):
            raise ValueError(f"series {line.name!r}: every value must be a number or None")


def _n(value: float) -> str:
    """A coordinate, to a tenth of a unit."""
    return f"{value:.1f}".removesuffix(".0")
