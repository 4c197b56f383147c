"""A picture of an incident: its timeline drawn as server-rendered SVG, pure (no database, no script, no request).

The timeline area fills a `TimelinePicture` (a histogram of events per lane, the highlights, the key moments); the
incident page and the HTML and PDF exports draw it with `timeline_svg`. One lane per kind of source (`LANE_RULES`,
which the timeline area also writes as SQL), a time axis in UTC, the histogram as bars of density per lane, each
highlight as a mark on its lane (a diamond for the event behind a key moment, else a circle) and each key moment as
a labelled vertical line. Every mark has a `<title>` (shown on hover) and an accessible name, and can be focused;
every text is escaped, and the SVG uses presentation attributes only (no style, no URL but the marks' own links).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from markupsafe import escape

# (lane, sources, kinds): an event goes to the first lane whose sources hold its source or whose kinds its kind.
LANE_RULES: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("deploys", frozenset({"git", "github"}), frozenset({"deploy", "rollback"})),
    ("alerts", frozenset({"alertmanager", "grafana"}), frozenset()),
    ("pages", frozenset({"pagerduty", "opsgenie"}), frozenset()),
    ("chat", frozenset({"slack"}), frozenset()),
    ("hand-added", frozenset({"manual"}), frozenset()),
)
OTHER_LANE = "other"
# The density of every lane together, drawn instead of the lanes' own when a span holds too many events to count
# per lane (the highlights stay on their lanes).
ALL_LANE = "all events"
# The lanes from top to bottom.
LANES: tuple[str, ...] = (ALL_LANE, "alerts", "pages", "chat", "deploys", "hand-added", OTHER_LANE)
# What a lane is called in the picture when its name is too long for the labels' room on a phone.
LANE_LABELS: dict[str, str] = {"hand-added": "by hand", ALL_LANE: "events"}
TEXT_LIMIT = 120  # characters of an event's text in a mark's title

# The drawing's own units (the viewBox); the SVG scales to its container's width.
WIDTH = 640
LEFT = 84  # lane labels
RIGHT = 12
MOMENT_ROW = 18  # the height of a row of key moments' labels, above the lanes
LABEL_CHAR = 11.0  # the width of a label's character at a phone's font size (18 units), to keep labels apart
LANE_HEIGHT = 30
AXIS = 28  # time ticks and their labels
FONT = 13
MAX_TICKS = 5
_TICK_STEPS = tuple(
    timedelta(seconds=s) for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
) + tuple(timedelta(days=d) for d in (1, 2, 7, 14, 30, 61, 91, 182, 365, 730, 1826, 3652))
_LANE_FILL = {
    "alerts": "#d1242f",
    "pages": "#bc4c00",
    "chat": "#6639ba",
    "deploys": "#1a7f37",
    "hand-added": "#0969da",
    OTHER_LANE: "#59636e",
    ALL_LANE: "#59636e",
}


def lane_of(source: str, kind: str) -> str:
    """The lane of an event of this source and kind (LANE_RULES; OTHER_LANE when none holds)."""
    for lane, sources, kinds in LANE_RULES:
        if source in sources or kind in kinds:
            return lane
    return OTHER_LANE


@dataclass(frozen=True)
class PictureEvent:
    """A highlight to draw: the event's id, time, source, kind, text (cut to TEXT_LIMIT) and lane."""

    id: int
    at: datetime
    source: str
    kind: str
    text: str
    lane: str


@dataclass(frozen=True)
class PictureMoment:
    """A key moment to draw: its name (detected, …), time, origin (manual, marked, derived) and event (if any)."""

    name: str
    at: datetime
    origin: str
    event_id: int | None = None


@dataclass(frozen=True)
class TimelinePicture:
    """What the picture shows: the span from `start` to `end` (None: no event with a time) cut in `len(counts[lane])`
    equal buckets, the events per lane and bucket, those outside the span or without a time, up to a cap of the
    highlights in the span (and how many more there are) and the key moments."""

    start: datetime | None
    end: datetime | None
    counts: dict[str, list[int]] = field(default_factory=dict)
    highlights: list[PictureEvent] = field(default_factory=list)
    more_highlights: int = 0
    moments: list[PictureMoment] = field(default_factory=list)
    before: int = 0  # events before the span
    after: int = 0  # events after it
    untimed: int = 0  # events without a time
    count_cap: int = 0  # before, after and untimed were counted up to this, a count above it meaning more (0: exact)

    @property
    def total(self) -> int:
        """The events drawn in the span."""
        return sum(sum(counts) for counts in self.counts.values())

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw: no event and no key moment in a span."""
        return self.start is None or self.end is None or (not self.total and not self.moments)


def cut_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _clock(at: datetime) -> str:
    return _utc(at).strftime("%Y-%m-%d %H:%M:%S UTC")


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def event_label(event: PictureEvent) -> str:
    """What a mark says of its event (its title and accessible name): time, source, kind and text."""
    return f"{_clock(event.at)} · {event.source} {event.kind}: {event.text}"


def moment_label(moment: PictureMoment) -> str:
    """What a key moment's marker says: its name, time and origin."""
    return f"{moment.name.capitalize()} at {_clock(moment.at)} ({moment.origin})"


def summary(data: TimelinePicture) -> str:
    """The picture in one sentence: its span, events per lane, highlights, key moments and what lies outside it."""
    if data.start is None or data.end is None:
        return "No event with a time yet."
    lanes = [f"{lane} {sum(data.counts[lane]):,}" for lane in LANES if sum(data.counts.get(lane, ())) > 0]
    parts = [f"{_plural(data.total, 'event')} from {_clock(data.start)} to {_clock(data.end)}"]
    if lanes:
        parts[0] += f" ({', '.join(lanes)})"
    if ALL_LANE in data.counts:
        parts.append("their density drawn for all sources together")
    shown = len(data.highlights)
    highlights = _plural(shown + data.more_highlights, "highlight")
    if data.more_highlights:
        highlights += f", the first {shown:,} drawn"
    parts.append(highlights)
    if data.moments:
        parts.append("key moments: " + ", ".join(f"{m.name} {_clock(m.at)}" for m in data.moments))
    outside = [
        ("more than " if data.count_cap and count > data.count_cap else "")
        + f"{_plural(min(count, data.count_cap or count), 'event')} {where}"
        for count, where in (
            (data.before, "before the picture"),
            (data.after, "after it"),
            (data.untimed, "without a time (not drawn)"),
        )
        if count
    ]
    return "; ".join(parts + outside) + "."


def tick_step(span: timedelta) -> timedelta:
    """The smallest round step that puts at most MAX_TICKS ticks on the span."""
    for step in _TICK_STEPS:
        if span / step <= MAX_TICKS:
            return step
    return _TICK_STEPS[-1] * math.ceil(span / _TICK_STEPS[-1] / MAX_TICKS)


def ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """The axis' ticks between start and end at a round step (aligned in UTC), each with its label."""
    start, end = _utc(start), _utc(end)
    step = tick_step(end - start)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    at = epoch + step * math.ceil((start - epoch) / step)
    if step >= timedelta(days=1):
        at = at.replace(hour=0, minute=0, second=0, microsecond=0)
        if at < start:
            at += timedelta(days=1)
    found: list[tuple[datetime, str]] = []
    while at <= end:
        if step >= timedelta(days=1):
            label = at.strftime("%Y-%m-%d")
        elif step >= timedelta(minutes=1):
            label = at.strftime("%H:%M")
        else:
            label = at.strftime("%H:%M:%S")
        if step < timedelta(days=1) and (not found or at.date() != found[-1][0].date()):
            label = at.strftime("%m-%d ") + label  # the day where it starts and changes
        found.append((at, label))
        at += step
    return found


@dataclass(frozen=True)
class _Frame:
    """Where the drawing puts a time: the span and the plot's x range."""

    start: datetime
    end: datetime
    left: float = LEFT
    right: float = WIDTH - RIGHT

    def x(self, at: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        share = min(1.0, max(0.0, (_utc(at) - self.start).total_seconds() / span))
        return self.left + share * (self.right - self.left)


def _lanes_shown(data: TimelinePicture) -> list[str]:
    used = {lane for lane, counts in data.counts.items() if any(counts)} | {e.lane for e in data.highlights}
    return [lane for lane in LANES if lane in used]


def _bars(lane: str, counts: Sequence[int], frame: _Frame, top: float) -> list[str]:
    """A lane's histogram: one bar per bucket with events, its height the share of the lane's fullest bucket on a
    log scale (one event still shows)."""
    fullest = max(counts, default=0)
    if not fullest:
        return []
    width = (frame.right - frame.left) / len(counts)
    room = LANE_HEIGHT - 8
    base = top + LANE_HEIGHT - 3
    parts = [f'<g class="bars" fill="{_LANE_FILL[lane]}" fill-opacity="0.35">']
    parts.append(f"<title>{escape(lane)}: {_plural(sum(counts), 'event')}</title>")
    for index, count in enumerate(counts):
        if count:
            height = 2 + (room - 2) * math.log1p(count) / math.log1p(fullest)
            x = frame.left + index * width
            parts.append(
                f'<rect x="{_number(x)}" y="{_number(base - height)}" width="{_number(max(width - 0.6, 0.6))}" '
                f'height="{_number(height)}"/>'
            )
    parts.append("</g>")
    return parts


def _mark(event: PictureEvent, frame: _Frame, middle: float, key: bool, link: str | None) -> str:
    """A highlight's mark: a diamond for a key moment's event, else a circle; its title and name the event."""
    x, label = frame.x(event.at), escape(event_label(event))
    fill = _LANE_FILL.get(event.lane, _LANE_FILL[OTHER_LANE])
    if key:
        shape = (
            f'<path d="M{_number(x)} {_number(middle - 7)}l7 7-7 7-7-7z" fill="{fill}" stroke="#1f2328" '
            'stroke-width="0.75"/>'
        )
    else:
        shape = (
            f'<circle cx="{_number(x)}" cy="{_number(middle)}" r="5" fill="{fill}" fill-opacity="0.8" '
            'stroke="#ffffff" stroke-width="0.5"/>'
        )
    inner = f"<title>{label}</title>{shape}"
    if link is not None:
        return f'<a class="mark" href="{escape(link)}" aria-label="{label}">{inner}</a>'
    return f'<g class="mark" tabindex="0" role="img" aria-label="{label}">{inner}</g>'


def _anchor(x: float, width: float, frame: _Frame) -> tuple[str, float, float]:
    """Where a label of this width at x goes: its text-anchor and its left and right ends (kept inside the plot)."""
    if x - width / 2 < frame.left:
        return "start", x, x + width
    if x + width / 2 > frame.right:
        return "end", x - width, x
    return "middle", x - width / 2, x + width / 2


def _moment_rows(moments: Sequence[PictureMoment], frame: _Frame) -> list[tuple[PictureMoment, int]]:
    """Each key moment in time order with the row of its label: the first row where it overlaps no other label (its
    width reckoned at a phone's larger font)."""
    ends: list[float] = []  # the right end of each row's last label
    found: list[tuple[PictureMoment, int]] = []
    for moment in sorted(moments, key=lambda m: _utc(m.at)):
        _, left, right = _anchor(frame.x(moment.at), len(moment.name) * LABEL_CHAR, frame)
        row = next((index for index, end in enumerate(ends) if end + 6 <= left), len(ends))
        if row == len(ends):
            ends.append(right)
        ends[row] = right
        found.append((moment, row))
    return found


def _moment(moment: PictureMoment, row: int, frame: _Frame, bottom: float) -> str:
    """A key moment: a dashed vertical line over the lanes, labelled above them in its row."""
    x = frame.x(moment.at)
    label = escape(moment_label(moment))
    anchor, _, _ = _anchor(x, len(moment.name) * LABEL_CHAR, frame)
    y = MOMENT_ROW * (row + 1)
    return (
        f'<g class="moment" tabindex="0" role="img" aria-label="{label}"><title>{label}</title>'
        f'<line x1="{_number(x)}" y1="{y + 4}" x2="{_number(x)}" y2="{_number(bottom)}" stroke="#7d4e00" '
        'stroke-width="1.5" stroke-dasharray="4 3"/>'
        f'<text x="{_number(x)}" y="{y}" text-anchor="{anchor}" fill="#7d4e00" font-weight="600">'
        f"{escape(moment.name)}</text></g>"
    )


def timeline_svg(data: TimelinePicture, *, link: Callable[[PictureEvent], str] | None = None) -> str:
    """The picture as one SVG element: lanes with their histograms, the highlights, the key moments and the time
    axis; `link` gives a highlight's mark a link (to the event on the page), else the mark is focusable alone."""
    text = escape(summary(data))
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg" class="timeline-picture" role="img" width="100%" '
        f'font-family="sans-serif" font-size="{FONT}" aria-labelledby="tp-title tp-desc" '
    )
    title = '<title id="tp-title">The incident\'s timeline</title>'
    desc = f'<desc id="tp-desc">{text}</desc>'
    if data.empty or data.start is None or data.end is None:
        return (
            f'{head}viewBox="0 0 {WIDTH} 40">{title}{desc}'
            f'<text x="{WIDTH // 2}" y="25" text-anchor="middle" fill="#59636e">{text}</text></svg>'
        )
    frame = _Frame(_utc(data.start), _utc(data.end))
    lanes = _lanes_shown(data) or [OTHER_LANE]
    rows = _moment_rows(data.moments, frame)
    top = MOMENT_ROW * (max((row for _, row in rows), default=-1) + 1) + 10  # below the key moments' labels
    bottom = top + LANE_HEIGHT * len(lanes)
    height = bottom + AXIS
    keyed = {m.event_id for m in data.moments if m.event_id is not None}
    parts = [f'{head}viewBox="0 0 {WIDTH} {height}">', title, desc]
    for index, lane in enumerate(lanes):
        y = top + index * LANE_HEIGHT
        shade = "#f6f8fa" if index % 2 == 0 else "#ffffff"
        parts.append(
            f'<rect x="0" y="{y}" width="{WIDTH}" height="{LANE_HEIGHT}" fill="{shade}"/>'
            f'<text x="6" y="{y + LANE_HEIGHT / 2 + FONT / 3:.0f}" fill="#1f2328">'
            f"{escape(LANE_LABELS.get(lane, lane))}</text>"
        )
    labels = [f'<text x="6" y="{bottom + 18}" fill="#59636e">UTC</text>']
    for at, label in ticks(frame.start, frame.end):
        x = frame.x(at)
        anchor = "start" if x < LEFT + 40 else "end" if x > WIDTH - RIGHT - 40 else "middle"
        parts.append(f'<line x1="{_number(x)}" y1="{top}" x2="{_number(x)}" y2="{bottom + 4}" stroke="#d1d9e0"/>')
        labels.append(
            f'<text x="{_number(x)}" y="{bottom + 18}" text-anchor="{anchor}" fill="#59636e">{escape(label)}</text>'
        )
    for index, lane in enumerate(lanes):
        parts.extend(_bars(lane, data.counts.get(lane, []), frame, top + index * LANE_HEIGHT))
    parts.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#afb8c1"/>')
    parts.extend(labels)
    for moment, row in rows:
        parts.append(_moment(moment, row, frame, bottom))
    for event in data.highlights:
        middle = top + (lanes.index(event.lane) if event.lane in lanes else 0) * LANE_HEIGHT + LANE_HEIGHT / 2
        parts.append(_mark(event, frame, middle, event.id in keyed, link(event) if link else None))
    parts.append("</svg>")
    return "".join(parts)
