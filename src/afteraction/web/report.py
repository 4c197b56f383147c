"""The figures of insights as people read them: the Insights page and the report (`afteraction insights --html` and
`--pdf`, the page's downloads) render one template, `_insights_body.html`, from one `InsightsView`. The charts are
documents/charts.py's: drawn on the server, gaps where a month has no data, axes with their units."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from markupsafe import Markup

from afteraction.analysis.insights import month_of, months_between
from afteraction.core.config import Settings
from afteraction.documents import charts
from afteraction.insights.schemas import Count, DurationFigures, InsightsReport, Spread

CHART_MONTHS = 36  # a chart shows at most this many months (the latest); its table has every month
METRIC_NAMES: dict[str, str] = {
    "time_to_detect": "Time to detect",
    "time_to_acknowledge": "Time to acknowledge",
    "time_to_mitigate": "Time to mitigate",
    "time_to_resolve": "Time to resolve",
}


@dataclass(frozen=True, slots=True)
class MonthRow:
    """One month of the figures: its incidents, and each duration's spread (n, median, p90) in that month."""

    month: str
    label: str
    first: date
    last: date
    incidents: int
    durations: dict[str, Spread]


@dataclass
class InsightsView:
    """What the page and the report show: the report, every month of its range, the charts, and the month rows."""

    report: InsightsReport
    months: list[str]
    charted: list[str]
    rows: list[MonthRow] = field(default_factory=list)
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def metric_names(self) -> dict[str, str]:
        """The durations' names as people say them."""
        return METRIC_NAMES


def month_range(report: InsightsReport, today: date) -> list[str]:
    """Every month the figures cover: the filter's range when it has one (up to this month), else from the first to
    the last month with an incident."""
    known = [count.key for count in report.incidents.by_month]
    start, end = report.within.start, report.within.end
    first = month_of(start) if start else (known[0] if known else None)
    last = month_of(min(end, today)) if end else (known[-1] if known else None)
    if first is None or last is None or first > last:
        return []
    return months_between(first, last)


def _last_day(month: str) -> date:
    year, number = int(month[:4]), int(month[5:7])
    return (date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)) - timedelta(days=1)


def _spreads(figures: DurationFigures) -> dict[str, Spread]:
    return {spread.key: spread for spread in figures.by_month}


def insights_view(report: InsightsReport, *, today: date) -> InsightsView:
    """The view of a report: its months, the month rows and the charts (over the latest CHART_MONTHS months)."""
    months = month_range(report, today)
    charted = months[-CHART_MONTHS:]
    per_month = {count.key: count.count for count in report.incidents.by_month}
    spreads = {metric: _spreads(figures) for metric, figures in report.durations.items()}
    rows = [
        MonthRow(
            month=month,
            label=charts.month_label(month),
            first=date(int(month[:4]), int(month[5:7]), 1),
            last=_last_day(month),
            incidents=per_month.get(month, 0),
            durations={metric: found.get(month, Spread(key=month, n=0)) for metric, found in spreads.items()},
        )
        for month in months
    ]
    view = InsightsView(report=report, months=months, charted=charted, rows=rows)

    def medians(metric: str) -> list[float | None]:
        found = spreads.get(metric, {})
        return [found[m].median if m in found and found[m].n else None for m in charted]

    view.charts["durations"] = charts.duration_chart(
        "Median time to detect, acknowledge, mitigate and resolve, by month",
        charted,
        [charts.Series(METRIC_NAMES[metric], medians(metric)) for metric in METRIC_NAMES if metric in spreads],
    )
    view.charts["incidents"] = charts.count_chart(
        "Incidents per month", charted, [per_month.get(month, 0) for month in charted]
    )
    view.charts["categories"] = charts.bars(
        "Incidents per factor category", [(c.name, float(c.incidents)) for c in report.categories[:12]], "incidents"
    )
    view.charts["owners"] = charts.bars(
        "Open action items per owner",
        [(o.key or "no owner", float(o.open)) for o in report.actions.by_owner[:12] if o.open],
        "open items",
    )
    return view


def trend_of(counts: Sequence[Count], months: Sequence[str], last: int = 6) -> list[tuple[str, int]]:
    """A category's incidents in each of the last `last` months of the range (0 where none)."""
    found = {count.key: count.count for count in counts}
    return [(charts.month_label(month), found.get(month, 0)) for month in list(months)[-last:]]


def report_html(report: InsightsReport, *, settings: Settings, today: date | None = None) -> str:
    """The report as one self-contained HTML document (no script, nothing loaded): the page's figures and charts;
    numbers link to the incidents behind them when AFTERACTION_BASE_URL says where the web app is."""
    from afteraction.core.db import utcnow
    from afteraction.documents.render import with_export_csp
    from afteraction.web.pages.rendering import environment

    view = insights_view(report, today=today or utcnow().date())
    link_base = settings.base_url.rstrip("/") if settings.base_url else None
    template = environment().get_template("insights_report.html")
    return with_export_csp(template.render(view=view, report=report, within=report.within, link_base=link_base,
                                           trend_of=trend_of, in_report=True))  # fmt: skip


def report_pdf(report: InsightsReport, *, settings: Settings, today: date | None = None) -> bytes:
    """The report printed to PDF as post-mortems are (documents/pdf.py: headless Chromium, network closed)."""
    from afteraction.documents.pdf import Printer, html_to_pdf

    return html_to_pdf(report_html(report, settings=settings, today=today), printer=Printer.from_settings(settings))
