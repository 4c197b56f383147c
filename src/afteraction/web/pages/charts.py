"""Small SVG charts for the dashboard: drawn on the server, readable without JavaScript, scaled by their viewBox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 220
# Room for labels of 22 units (the size app.css gives them on a phone, where a chart is half its 640 units wide).
LEFT, RIGHT, TOP, BOTTOM = 64, 44, 40, 40
COLOURS = ("#2f5fb3", "#c2410c", "#15803d")


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart: its name and a value per month (None where there is none)."""

    name: str
    values: Sequence[float | None]


def _nice_top(value: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 960, 1440, 2880):
        if value <= step:
            return float(step)
    return float(int(value) + 1)


def _labelled(index: int, count: int) -> bool:
    """Every other month, counted back from the last (always labelled), so that no two labels touch."""
    return (count - 1 - index) % 2 == 0


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def line_chart(title: str, months: Sequence[str], series: Sequence[Series], unit: str) -> Markup:
    """A line chart of monthly values (e.g. median minutes), labelled for screen readers."""
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_top(max(values)) if values else 1.0
    plot = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot * (1 - value / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{_id(title)}">',
        f'<title id="{_id(title)}">{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}" stroke="#9aa4b2"/>',
        f'<line x1="{LEFT}" y1="{y(top):.1f}" x2="{WIDTH - RIGHT}" y2="{y(top):.1f}" stroke="#e3e7ee"/>',
        f'<text x="{LEFT - 6}" y="{y(top) + 4:.1f}" text-anchor="end">{top:g}</text>',
        f'<text x="{WIDTH - RIGHT}" y="22" text-anchor="end">{escape(unit)}</text>',
        f'<text x="{LEFT - 6}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>',
    ]
    for index, month in enumerate(months):
        if _labelled(index, len(months)):
            x = _x(index, len(months))
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle">{escape(month_label(month))}</text>'
            )
    for number, line in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        points = [(i, v) for i, v in enumerate(line.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{_x(i, len(months)):.1f},{y(v):.1f}" for i, v in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for i, v in points:
            parts.append(
                f'<circle cx="{_x(i, len(months)):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(line.name)} {escape(months[i])}: {v:.0f} {escape(unit)}</title></circle>"
            )
        parts.append(
            f'<rect x="{LEFT + number * 220}" y="14" width="14" height="4" fill="{colour}"/>'
            f'<text x="{LEFT + 18 + number * 220}" y="22">{escape(line.name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # every text in it is escaped


def bar_chart(title: str, months: Sequence[str], counts: Sequence[int]) -> Markup:
    """A column chart of a count per month."""
    top = _nice_top(float(max(counts, default=0) or 1))
    plot = HEIGHT - TOP - BOTTOM
    span = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{_id(title)}">',
        f'<title id="{_id(title)}">{escape(title)}</title>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{top:g}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot + 4}" text-anchor="end">0</text>',
    ]
    for index, (month, count) in enumerate(zip(months, counts, strict=False)):
        height = plot * count / top
        x = LEFT + index * span + span * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot - height:.1f}" width="{span * 0.7:.1f}" height="{height:.1f}" '
            f'fill="{COLOURS[0]}"><title>{escape(month)}: {count}</title></rect>'
        )
        if _labelled(index, len(months)):
            label = escape(month_label(month))
            parts.append(f'<text x="{x + span * 0.35:.1f}" y="{HEIGHT - 12}" text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # every text in it is escaped


def month_label(month: str) -> str:
    """`2026-03` as `Mar 26`."""
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[int(month[5:7]) - 1]} {month[2:4]}"


def _id(title: str) -> str:
    return "chart-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]
