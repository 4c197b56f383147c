"""Domain objects of insights: the figures across post-mortems, similar incidents, recurrences and themes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


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


class Theme(BaseModel):
    """A cluster of like contributing factors across post-mortems, with its incidents, services and fixes."""

    title: str
    category: str
    terms: list[str] = Field(default_factory=list)
    factors: list[str] = Field(default_factory=list)
    incidents: list[str] = Field(default_factory=list)
    services: list[Count] = Field(default_factory=list)
    actions_open: int = 0
    actions_done: int = 0
    actions_overdue: int = 0
    actions: list[ActionRef] = Field(default_factory=list)


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
