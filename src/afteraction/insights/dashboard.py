"""Use case of the web app's dashboard: open and overdue action items, post-mortems due or late by policy,
incidents this month (by when they happened; those of unknown date apart), and the monthly trend of time to detect
and to resolve."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from afteraction.actions.board import BoardItem, action_board, board_counts
from afteraction.analysis.insights import month_of, months_between
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.domain.policy import Policy
from afteraction.insights.schemas import Count, InsightsFilter, Spread
from afteraction.insights.service import compute_insights, count_date_unknown
from afteraction.reviews.workflow import PolicyFinding, policy_check

MONTHS = 12
LISTED = 10


@dataclass
class Dashboard:
    """The figures and short lists of the dashboard: counts, trends and lists of the incidents the actor may see."""

    today: date
    months: list[str]
    open_items: int
    overdue_items: int
    overdue: list[BoardItem] = field(default_factory=list)
    due_soon: list[BoardItem] = field(default_factory=list)
    postmortems: list[PolicyFinding] = field(default_factory=list)
    postmortems_missing: int = 0
    postmortems_late: int = 0
    incidents_this_month: int = 0
    incidents_date_unknown: int = 0  # in no month: imported documents that give no date
    incidents_by_month: list[Count] = field(default_factory=list)
    time_to_detect: list[Spread] = field(default_factory=list)
    time_to_resolve: list[Spread] = field(default_factory=list)


def _first_of_month_back(today: date, months: int) -> date:
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _by_month(months: Sequence[str], values: Sequence[Spread]) -> list[Spread]:
    found = {value.key: value for value in values}
    return [found.get(month, Spread(key=month, n=0)) for month in months]


def dashboard(
    db: Database,
    *,
    policy: Policy,
    severities: Sequence[str],
    now: datetime | None = None,
    actor: Actor,
) -> Dashboard:
    """The dashboard as of `now`: the last twelve months of trends and today's open work."""
    now = now or utcnow()
    today = now.date()
    since = _first_of_month_back(today, MONTHS)
    months = months_between(month_of(since), month_of(today))
    report = compute_insights(
        db,
        policy=policy,
        severities=severities,
        within=InsightsFilter(since=since),
        recurrences=0,
        now=now,
        actor=actor,
    )
    open_items, overdue_items = board_counts(db, today=today, actor=actor)
    items = action_board(db, today=today, actor=actor, limit=200)
    check = policy_check(db, actor=actor, policy=policy, today=today)
    postmortem_findings = [f for f in check.findings if f.kind != "overdue-action"]
    per_month = {count.key: count.count for count in report.incidents.by_month}
    durations = report.durations
    return Dashboard(
        today=today,
        months=months,
        open_items=open_items,
        overdue_items=overdue_items,
        overdue=[item for item in items if item.overdue][:LISTED],
        due_soon=[item for item in items if not item.overdue and item.due and (item.due - today).days <= 7][:LISTED],
        postmortems=sorted(postmortem_findings, key=lambda f: -f.days_late)[:LISTED],
        postmortems_missing=check.count("missing-postmortem"),
        postmortems_late=check.count("late-postmortem"),
        incidents_this_month=per_month.get(month_of(today), 0),
        incidents_date_unknown=count_date_unknown(db, actor=actor),
        incidents_by_month=[Count(key=month, count=per_month.get(month, 0)) for month in months],
        time_to_detect=_by_month(months, durations["time_to_detect"].by_month if "time_to_detect" in durations else []),
        time_to_resolve=_by_month(
            months, durations["time_to_resolve"].by_month if "time_to_resolve" in durations else []
        ),
    )
