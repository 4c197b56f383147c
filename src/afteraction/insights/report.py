"""The insights report as one self-contained HTML file: inline CSS and SVG charts, readable offline."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from afteraction.domain.durations import format_duration
from afteraction.insights.schemas import Count, InsightsReport, Spread

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2430}
body{padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dde2ea;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .6rem;border-bottom:1px solid #eef1f5;text-align:left}
th{font-weight:600}.num{text-align:right}.grid{display:flex;flex-wrap:wrap;gap:1.5rem}.card{flex:1 1 320px}
.kpi{display:inline-block;margin-right:2rem}.kpi b{display:block;font-size:1.5rem}.muted{color:#667085}
svg text{font:11px system-ui,sans-serif;fill:#444}
"""
_COLOURS = ("#3b6fd8", "#e0883a", "#3aa17e", "#c2455e", "#8a63c9")


def _bars(counts: Sequence[Count], *, width: int = 480, bar: int = 18, label_width: int = 150) -> str:
    """A horizontal bar chart."""
    if not counts:
        return '<p class="muted">nothing yet</p>'
    top = max(c.count for c in counts) or 1
    height = len(counts) * (bar + 4) + 4
    rows = []
    for i, c in enumerate(counts):
        y = 2 + i * (bar + 4)
        w = (width - label_width - 50) * c.count / top
        rows.append(
            f'<text x="{label_width - 6}" y="{y + bar - 5}" text-anchor="end">{escape(c.key[:24])}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar}" fill="{_COLOURS[0]}"/>'
            f'<text x="{label_width + w + 4:.1f}" y="{y + bar - 5}">{c.count}</text>'
        )
    return f'<svg width="{width}" height="{height}" role="img">{"".join(rows)}</svg>'


def _columns(counts: Sequence[Count], *, width: int = 1000, height: int = 180, colour: str = _COLOURS[0]) -> str:
    """A column chart over time (months), with the first, middle and last month labelled."""
    if not counts:
        return '<p class="muted">nothing yet</p>'
    top = max(c.count for c in counts) or 1
    step = (width - 40) / len(counts)
    cols = []
    for i, c in enumerate(counts):
        h = (height - 30) * c.count / top
        x = 30 + i * step
        cols.append(
            f'<rect x="{x:.1f}" y="{height - 20 - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{escape(c.key)}: {c.count}</title></rect>'
        )
    for i in sorted({0, len(counts) // 2, len(counts) - 1}):
        cols.append(f'<text x="{30 + i * step:.1f}" y="{height - 5}">{escape(counts[i].key)}</text>')
    cols.append(f'<text x="0" y="12">{top}</text>')
    return f'<svg width="{width}" height="{height}" role="img">{"".join(cols)}</svg>'


def _lines(series: dict[str, Sequence[Spread]], *, width: int = 1000, height: int = 200) -> str:
    """Median lines of several metrics per month, in hours."""
    months = sorted({s.key for values in series.values() for s in values})
    if not months:
        return '<p class="muted">no key moments recorded yet</p>'
    top = max((s.median or 0.0) for values in series.values() for s in values) / 3600 or 1.0
    step = (width - 60) / max(len(months) - 1, 1)
    out = []
    for n, (name, values) in enumerate(series.items()):
        colour = _COLOURS[n % len(_COLOURS)]
        points = [
            f"{40 + months.index(s.key) * step:.1f},{height - 25 - (height - 40) * (s.median or 0) / 3600 / top:.1f}"
            for s in values
            if s.median is not None
        ]
        if points:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>')
        out.append(f'<text x="{60 + n * 150}" y="12" style="fill:{colour}">■ {escape(name)}</text>')
    out.append(f'<text x="0" y="30">{top:.1f} h</text><text x="0" y="{height - 25}">0</text>')
    for i in sorted({0, len(months) // 2, len(months) - 1}):
        anchor = "end" if i == len(months) - 1 and i else "start"
        out.append(f'<text x="{40 + i * step:.1f}" y="{height - 5}" text-anchor="{anchor}">{escape(months[i])}</text>')
    return f'<svg width="{width}" height="{height}" role="img">{"".join(out)}</svg>'


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return '<p class="muted">nothing yet</p>'
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(str(c))}</td>' if isinstance(c, int | float) else f"<td>{escape(str(c))}</td>"
            for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{th}</tr>{body}</table>"


def render_html(report: InsightsReport) -> str:
    """The whole report: figures, charts and tables, in one HTML document with nothing to fetch."""
    scope = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("since", report.since),
            ("until", report.until),
            ("team", report.team),
            ("service", report.service),
        )
        if value
    )
    inc, pm, ai = report.incidents, report.postmortems, report.actions
    durations = [
        (metric.replace("_", " "), f.overall.n, format_duration(f.overall.median), format_duration(f.overall.p90))
        for metric, f in report.durations.items()
    ]
    by_severity = [
        (metric.replace("_", " "), s.key, s.n, format_duration(s.median), format_duration(s.p90))
        for metric, f in report.durations.items()
        for s in f.by_severity
    ]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>afteraction insights</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Insights across post-mortems</h1>",
        f'<p class="muted">{escape(scope or "all incidents")} · generated {report.generated_at:%Y-%m-%d %H:%M} UTC</p>',
        f'<div><span class="kpi"><b>{inc.total}</b>incidents</span>'
        f'<span class="kpi"><b>{_pct(pm.done_share)}</b>post-mortems done</span>'
        f'<span class="kpi"><b>{_pct(pm.late_share)}</b>post-mortems late</span>'
        f'<span class="kpi"><b>{_pct(ai.completion_rate)}</b>action items done</span>'
        f'<span class="kpi"><b>{ai.overdue}</b>overdue action items</span></div>',
        "<h2>Incidents by month</h2>",
        _columns(inc.by_month),
        f'<p class="muted">Date unknown: {inc.date_unknown} (documents that give no date; in no month)</p>'
        if inc.date_unknown
        else "",
        '<div class="grid">',
        f'<div class="card"><h2>By severity</h2>{_bars(inc.by_severity)}</div>',
        f'<div class="card"><h2>By kind</h2>{_bars(inc.by_kind)}</div>',
        f'<div class="card"><h2>By service</h2>{_bars(inc.by_service[:12])}</div>',
        f'<div class="card"><h2>By team</h2>{_bars(inc.by_team[:12])}</div>',
        "</div>",
        "<h2>Time to detect, acknowledge, mitigate and resolve</h2>",
        '<p class="muted">From each incident&#39;s effective key moments (hand-set, marked or derived from its '
        "timeline); median and 90th percentile, never a mean.</p>",
        _lines({k.replace("time_to_", ""): f.by_month for k, f in report.durations.items()}),
        _table(["Metric", "n", "Median", "p90"], durations),
        _table(["Metric", "Severity", "n", "Median", "p90"], by_severity),
        "<h2>Post-mortem completion</h2>",
        _table(
            [
                "Needed by policy",
                "Done",
                "Done share",
                "With a due date",
                "Late",
                "Late share",
                "Median days to publish",
            ],
            [
                (
                    pm.needed,
                    pm.done,
                    _pct(pm.done_share),
                    pm.with_due_date,
                    pm.late,
                    _pct(pm.late_share),
                    "—" if pm.days_to_publish.median is None else pm.days_to_publish.median,
                )
            ],
        ),
        "<h2>Action items</h2>",
        _table(
            ["Total", "Done", "Won't do", "Open", "Overdue", "Completion", "Median days to close"],
            [
                (
                    ai.total,
                    ai.done,
                    ai.wont_do,
                    ai.open,
                    ai.overdue,
                    _pct(ai.completion_rate),
                    "—" if ai.days_to_close.median is None else ai.days_to_close.median,
                )
            ],
        ),
        "<h3>Overdue backlog at each month's end</h3>",
        _columns(ai.overdue_by_month, colour=_COLOURS[3]),
        '<div class="grid"><div class="card"><h3>By owner</h3>',
        _table(
            ["Owner", "Total", "Done", "Open", "Overdue", "Completion"],
            [(o.key, o.total, o.done, o.open, o.overdue, _pct(o.completion_rate)) for o in ai.by_owner],
        ),
        '</div><div class="card"><h3>By team</h3>',
        _table(
            ["Team", "Total", "Done", "Open", "Overdue", "Completion"],
            [(o.key, o.total, o.done, o.open, o.overdue, _pct(o.completion_rate)) for o in ai.by_team],
        ),
        "</div></div>",
        "<h2>Recurring factor categories</h2>",
        _bars([Count(key=c.name, count=c.incidents) for c in report.categories]),
        _table(
            ["Category", "Incidents", "Services most in them"],
            [(c.name, c.incidents, ", ".join(f"{s.key} ({s.count})" for s in c.services)) for c in report.categories],
        ),
        "<h2>Recurrences</h2>",
        _table(
            ["Incident", "Title", "Evidence"],
            [(r.incident_id, r.title, r.message) for r in report.recurrences],
        ),
        "</body></html>",
    ]
    return "\n".join(parts)
