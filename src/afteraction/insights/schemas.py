"""Domain objects of insights: the figures across post-mortems, similar incidents, recurrences and themes."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field

from afteraction.core.errors import InvalidInput


class Count(BaseModel):
    """How many of something carry one key (a month, severity, kind, service, team …)."""

    key: str
    count: int


class Spread(BaseModel):
    """A distribution summed up by its median and 90th percentile (never a bare mean), over n values."""

    key: str
    n: int
    median: float | None = None
    p90: float | None = None


class DurationFigures(BaseModel):
    """One time-to metric in seconds: overall, per month (of incidents with a known date) and per severity."""

    overall: Spread
    by_month: list[Spread] = Field(default_factory=list)
    by_severity: list[Spread] = Field(default_factory=list)


class IncidentFigures(BaseModel):
    """How many incidents, and how they split."""

    total: int
    by_month: list[Count] = Field(default_factory=list)
    # Incidents of no known date (an imported document that gives none): counted in `total`, in no month.
    date_unknown: int = 0
    by_severity: list[Count] = Field(default_factory=list)
    by_kind: list[Count] = Field(default_factory=list)
    by_service: list[Count] = Field(default_factory=list)
    by_team: list[Count] = Field(default_factory=list)


class PostmortemFigures(BaseModel):
    """Post-mortem completion for the resolved incidents that need one by policy."""

    needed: int
    done: int
    done_share: float | None = None
    with_due_date: int
    late: int
    late_share: float | None = None
    days_to_publish: Spread


class OwnerFigures(BaseModel):
    """Action items of one owner or team."""

    key: str
    total: int
    done: int
    open: int
    overdue: int
    completion_rate: float | None = None
    oldest_open_days: int | None = Field(default=None, description="Age in days of the oldest open item.")


class ActionFigures(BaseModel):
    """Action items: how many get done, how fast, and the overdue backlog."""

    total: int
    done: int
    wont_do: int
    open: int
    overdue: int
    completion_rate: float | None = None
    days_to_close: Spread
    overdue_by_month: list[Count] = Field(default_factory=list)
    by_owner: list[OwnerFigures] = Field(default_factory=list)
    by_team: list[OwnerFigures] = Field(default_factory=list)


class CategoryFigures(BaseModel):
    """A factor category: how many incidents it recurs in, and the services that appear most in them."""

    category: str
    name: str
    incidents: int
    services: list[Count] = Field(default_factory=list)
    by_month: list[Count] = Field(
        default_factory=list, description="Its incidents in each of the last 6 months of the range (months with any)."
    )


class ActionRef(BaseModel):
    """An action item named as evidence."""

    id: str
    title: str
    type: str | None = None
    status: str
    closed_at: datetime | None = None
    due: date | None = None


class Recurrence(BaseModel):
    """A later incident that resembles an earlier one, with the evidence and what became of the earlier fixes."""

    incident_id: str
    title: str
    started_at: datetime | None = None
    resembles: str
    resembles_title: str
    shared_categories: list[str] = Field(default_factory=list)
    shared_services: list[str] = Field(default_factory=list)
    score: float | None = None
    items: list[ActionRef] = Field(default_factory=list)
    message: str = ""


class InsightsReport(BaseModel):
    """Every figure of `afteraction insights` for one scope."""

    since: date | None = None
    until: date | None = None
    team: str | None = None
    service: str | None = None
    within: InsightsFilter = Field(default_factory=lambda: InsightsFilter(), description="The filter, as checked.")
    generated_at: datetime
    incidents: IncidentFigures
    durations: dict[str, DurationFigures]
    postmortems: PostmortemFigures
    actions: ActionFigures
    categories: list[CategoryFigures] = Field(default_factory=list)
    recurrences: list[Recurrence] = Field(default_factory=list)


class SimilarIncident(BaseModel):
    """A past post-mortem ranked by its relevance to a query."""

    id: str
    title: str
    score: float
    severity: str | None = None
    started_at: datetime | None = None
    postmortem_status: str | None = None


class ThemeIncident(BaseModel):
    """An incident of a theme, with the incidents that are the same event shown as it (its duplicates)."""

    id: str
    title: str
    duplicates: list[str] = Field(default_factory=list)


class Theme(BaseModel):
    """Incidents whose contributing factors share a phrase, with their services, categories and fixes."""

    title: str = Field(description="The phrase the theme's factors share, as a reader sees it.")
    category: str | None = Field(None, description="The category most of its factors carry; none when they spread.")
    category_name: str | None = None
    categories: list[Count] = Field(default_factory=list, description="Categories of its factors, most first.")
    terms: list[str] = Field(default_factory=list, description="The phrases its incidents share, the name first.")
    factors: list[str] = Field(default_factory=list)
    incidents: list[str] = Field(default_factory=list, description="Its incidents, each event once.")
    members: list[ThemeIncident] = Field(default_factory=list)
    duplicates: list[str] = Field(default_factory=list, description="Incidents shown as another (the same event).")
    services: list[Count] = Field(default_factory=list)
    actions_open: int = 0
    actions_done: int = 0
    actions_overdue: int = 0
    actions: list[ActionRef] = Field(default_factory=list)


class DuplicateIncident(BaseModel):
    """One side of a pair of duplicate incidents."""

    id: str
    title: str
    started_at: datetime | None = None


class DuplicatePairView(BaseModel):
    """Two incidents that are, or look like, the same event: `incident` is (or would be) a duplicate of `of`."""

    incident: DuplicateIncident
    of: DuplicateIncident
    score: float | None = Field(None, description="How alike their titles and summaries are, 0 to 1.")
    linked: bool = Field(False, description="Someone marked them as the same event.")
    linked_by: str | None = None
    linked_at: datetime | None = None


class DuplicateLinkIn(BaseModel):
    """The incident another one is a duplicate of."""

    model_config = ConfigDict(extra="forbid")

    of: str = Field(min_length=1, max_length=40, description="The original incident, e.g. INC-1.")


class CategoryView(BaseModel):
    """A category of the team's taxonomy."""

    slug: str
    name: str
    description: str = ""
    keywords: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)


class CategorySuggestion(BaseModel):
    """A category proposed for an incident and the words that point to it."""

    slug: str
    name: str
    score: float
    evidence: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- the filter (insights/filters.py checks it)

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
FILTER_FIELDS: tuple[str, ...] = ("quarter", "since", "until", "team", "service", "severity", "kind", "category")


def quarter_range(text: str) -> tuple[date, date]:
    """The first and last day of a quarter written `2026-Q3` (or `2026Q3`)."""
    match = _QUARTER.match(text)
    if not match:
        raise InvalidInput(f"not a quarter: {text!r} (expected e.g. 2026-Q3)", field="quarter")
    year, number = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, after - timedelta(days=1)


class InsightsFilter(BaseModel):
    """The incidents a view of insights is over. A quarter, when given, sets the range (since and until)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quarter: str | None = None
    since: date | None = None
    until: date | None = None
    team: str | None = None
    service: str | None = None
    severity: str | None = None
    kind: str | None = None
    category: str | None = None

    @property
    def start(self) -> date | None:
        """The first day of the range (None: from the first incident)."""
        return quarter_range(self.quarter)[0] if self.quarter else self.since

    @property
    def end(self) -> date | None:
        """The last day of the range (None: up to now)."""
        return quarter_range(self.quarter)[1] if self.quarter else self.until

    def params(self, **changes: str | None) -> dict[str, str]:
        """The filter as address parameters (empty fields left out), with `changes` applied."""
        values = {name: getattr(self, name) for name in FILTER_FIELDS}
        values.update(changes)
        return {name: str(value) for name, value in values.items() if value not in (None, "")}

    def query(self, **changes: str | None) -> str:
        """The filter as an address's query string (`team=payments&quarter=2026-Q3`), with `changes` applied."""
        return urlencode(self.params(**changes))

    @property
    def active(self) -> bool:
        """Whether any field narrows the incidents."""
        return bool(self.params())
