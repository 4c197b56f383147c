"""Use cases of insights across post-mortems: the figures of `afteraction insights`, and the recurrences among them.

Every figure is aggregated by the database (GROUP BY, window functions, percentile_cont); Python only shapes the
grouped rows, except a filtered report's durations on SQLite, ranked here from one read of the scope's values.
Durations are the ones each incident stores from its effective key moments (hand-set, else marked, else derived from
its timeline: timeline.moments), and an incident counts in the month it happened (`happened_at`; none when its date
is unknown), so that 100,000 incidents take one pass each.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, literal_column, or_, select, text, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from afteraction.actions.models import ActionItem
from afteraction.analysis.categories import Category
from afteraction.analysis.insights import (
    DONE_POSTMORTEM,
    DURATION_METRICS,
    allowed_days,
    month_of,
    months_between,
    overdue_backlog,
    percentile,
    share,
)
from afteraction.core.actor import Actor
from afteraction.core.db import Database, refresh_statistics, utcnow
from afteraction.domain.incidents import KINDS
from afteraction.domain.policy import Policy
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.insights.filters import check_filter, filter_conditions
from afteraction.insights.models import InsightCategory
from afteraction.insights.recurrences import category_mapping, describe_recurrence, incident_categories
from afteraction.insights.schemas import (
    ActionFigures,
    CategoryFigures,
    Count,
    DurationFigures,
    IncidentFigures,
    InsightsFilter,
    InsightsReport,
    OwnerFigures,
    PostmortemFigures,
    Recurrence,
    Spread,
)
from afteraction.insights.sql import (
    SQLITE_GROUPS,
    SQLITE_SECONDS,
    AnySelect,
    Dialect,
    overall_spread,
    scope_conditions,
    spread_columns,
    spread_of,
    sqlite_ranked,
)
from afteraction.people.models import Person
from afteraction.reviews.models import Postmortem

OPEN_ITEM = ("open", "in-progress")
TOP = 20


def _counts(session: Session, query: AnySelect) -> list[Count]:
    """(key, count) rows as Counts, biggest first."""
    rows = [Count(key="" if k is None else str(k), count=int(n)) for k, n in session.execute(query)]
    return sorted(rows, key=lambda c: (-c.count, c.key))


def _incident_figures(session: Session, sql: Dialect, scope: list[ColumnElement[bool]]) -> IncidentFigures:
    month, severity = sql.incident_month(), sql.incident_severity()
    # One scan for three splits: the (month, severity, kind) groups are few, Python adds them up. SQLite reads them
    # in order from index ix_insights_groups.
    months: dict[str, int] = {}
    severities: dict[str, int] = {}
    kinds: dict[str, int] = {}
    undated = 0
    for m, sev, kind, n in session.execute(
        select(month, severity, Incident.kind, func.count()).where(*scope).group_by(month, severity, Incident.kind)
    ):
        for table, key in ((severities, sev), (kinds, kind)):
            table[str(key)] = table.get(str(key), 0) + int(n)
        if m:
            months[str(m)] = months.get(str(m), 0) + int(n)
        else:
            undated += int(n)
    by_label = {}
    for kind in ("service", "team"):
        # (incident, kind, value) is unique, so count(*) counts incidents.
        query = select(IncidentLabel.value, func.count()).where(IncidentLabel.kind == kind)
        if scope:
            query = query.join(Incident, Incident.id == IncidentLabel.incident_id).where(*scope)
        query = query.group_by(IncidentLabel.value)
        by_label[kind] = _counts(session, query)[:TOP]
    return IncidentFigures(
        total=sum(months.values()) + undated,
        by_month=[Count(key=k, count=n) for k, n in sorted(months.items())],
        date_unknown=undated,
        by_severity=[Count(key=k, count=n) for k, n in sorted(severities.items())],
        by_kind=sorted((Count(key=k, count=n) for k, n in kinds.items()), key=lambda c: (-c.count, c.key)),
        by_service=by_label["service"],
        by_team=by_label["team"],
    )


# Each metric's duration as refresh_moments stores it on the incident (from the effective key moments).
STORED_DURATIONS: dict[str, str] = {
    "time_to_detect": "ttd_seconds",
    "time_to_acknowledge": "tta_seconds",
    "time_to_mitigate": "ttm_seconds",
    "time_to_resolve": "ttr_seconds",
}


def _known_months(spreads: Iterable[Spread]) -> list[Spread]:
    """Spreads per month in order, without the group of incidents whose date is unknown."""
    return sorted((s for s in spreads if s.key), key=lambda s: s.key)


def _duration_figures(
    session: Session, sql: Dialect, scope: list[ColumnElement[bool]], metrics: Sequence[str] = DURATION_METRICS
) -> dict[str, DurationFigures]:
    """Median and p90 of each time-to metric (the durations stored on the incidents, from their effective moments:
    hand-set, marked or derived), overall, per month and per severity.

    On SQLite the whole history is ranked through the expression indexes of migration 0003 (no sort at all); a
    scoped report numbers the rows of its scope with window functions; PostgreSQL uses percentile_cont.
    """
    out: dict[str, DurationFigures] = {}
    month, severity = sql.incident_month(), sql.incident_severity()
    if not sql.sqlite:
        return _postgres_durations(session, sql, scope, metrics)
    for metric in metrics:
        column = STORED_DURATIONS[metric]
        if not scope:
            value_sql = column
            # INDEXED BY: the planner would otherwise count through another metric's index and read every row.
            index = "incidents INDEXED BY ix_insights_" + metric.removeprefix("time_to_") + "_{}"
            by_sev = sqlite_ranked(session, table=index.format("sev"), value=value_sql, group=SQLITE_GROUPS["sev"])
            ranked = {
                "sev": by_sev,
                "month": sqlite_ranked(
                    session, table=index.format("month"), value=value_sql, group=SQLITE_GROUPS["month"]
                ),
                "all": sqlite_ranked(
                    session,
                    table=index.format("all"),
                    value=value_sql,
                    counts={"all": sum(s.n for s in by_sev.values())},
                ),
            }
            out[metric] = DurationFigures(
                overall=ranked["all"].get("all", Spread(key="all", n=0)),
                by_month=_known_months(ranked["month"].values()),
                by_severity=sorted(ranked["sev"].values(), key=lambda s: s.key),
            )
            continue
        value = getattr(Incident, column)
        base = and_(value.is_not(None), *scope)
        overall = overall_spread(session, sql, select(value.label("value")).where(base))
        by_month = sql.percentiles(session, select(month.label("grp"), value.label("value")).where(base))
        by_sev = sql.percentiles(session, select(severity.label("grp"), value.label("value")).where(base))
        out[metric] = DurationFigures(
            overall=overall,
            by_month=_known_months(by_month.values()),
            by_severity=sorted(by_sev.values(), key=lambda s: s.key),
        )
    return out


def _postgres_durations(
    session: Session, sql: Dialect, scope: list[ColumnElement[bool]], metrics: Sequence[str]
) -> dict[str, DurationFigures]:
    """Every metric's percentile_cont overall, per month and per severity in one scan (GROUPING SETS).

    Each row's month and durations are worked out once, in a subquery, and the month is truncated, not formatted:
    grouping by a formatted text cost several times the scan.
    """
    values = (
        select(
            func.date_trunc(
                literal_column("'month'"), func.timezone(literal_column("'UTC'"), Incident.happened_at)
            ).label("month"),
            func.coalesce(Incident.severity, literal_column("'none'")).label("severity"),
            *(getattr(Incident, STORED_DURATIONS[m]).label(m) for m in metrics),
        )
        .where(*scope)
        .subquery()
    )
    month, severity = values.c.month, values.c.severity
    columns: list[Any] = []
    for metric in metrics:
        value = values.c[metric]
        columns += [
            func.count(value),
            func.percentile_cont(literal_column("0.5")).within_group(value),
            func.percentile_cont(literal_column("0.9")).within_group(value),
        ]
    query = select(month, severity, func.grouping(month), func.grouping(severity), *columns).group_by(
        func.grouping_sets(tuple_(month), tuple_(severity), tuple_())
    )
    found: dict[str, dict[str, list[Spread]]] = {m: {"all": [], "month": [], "sev": []} for m in metrics}
    for row in session.execute(query):
        m_key, s_key, no_month, no_severity = row[0], row[1], row[2], row[3]
        if no_month and no_severity:
            grouping, key = "all", "all"
        elif no_month:
            grouping, key = "sev", str(s_key)
        elif m_key is None:
            continue  # incidents of no known date: counted overall, in no month
        else:
            grouping, key = "month", m_key.strftime("%Y-%m")
        for i, metric in enumerate(metrics):
            n, median, p90 = row[4 + 3 * i : 7 + 3 * i]
            if n:
                found[metric][grouping].append(
                    Spread(key=key, n=int(n), median=round(float(median), 2), p90=round(float(p90), 2))
                )
    return {
        metric: DurationFigures(
            overall=(parts["all"] or [Spread(key="all", n=0)])[0],
            by_month=sorted(parts["month"], key=lambda s: s.key),
            by_severity=sorted(parts["sev"], key=lambda s: s.key),
        )
        for metric, parts in found.items()
    }


def _duration_part(
    session: Session, sql: Dialect, *, scope: list[ColumnElement[bool]], metrics: Sequence[str]
) -> dict[str, DurationFigures]:
    """The figures of some time-to metrics (a part of the report that runs on its own)."""
    if sql.sqlite and scope:
        return _scoped_durations(session, sql, scope, metrics)
    return _duration_figures(session, sql, scope, metrics)


def _spread(key: str, values: list[float]) -> Spread:
    median, p90 = percentile(values, 0.5), percentile(values, 0.9)
    return Spread(
        key=key,
        n=len(values),
        median=None if median is None else round(median, 2),
        p90=None if p90 is None else round(p90, 2),
    )


def _scoped_durations(
    session: Session, sql: Dialect, scope: list[ColumnElement[bool]], metrics: Sequence[str]
) -> dict[str, DurationFigures]:
    """Every metric's median and p90 over a scope's incidents on SQLite, from one read of their month, severity and
    stored durations (a scope is a part of the history: reading its values once and ranking them here costs less
    than numbering them with window functions once per metric and grouping). The same percentiles as
    percentile_cont (analysis/insights.py `percentile`)."""
    month, severity = sql.incident_month(), sql.incident_severity()
    columns = [getattr(Incident, STORED_DURATIONS[m]) for m in metrics]
    found: dict[str, dict[str, dict[str, list[float]]]] = {m: {"all": {}, "month": {}, "sev": {}} for m in metrics}
    for row in session.execute(select(month, severity, *columns).where(*scope)):
        for metric, value in zip(metrics, row[2:], strict=True):
            if value is None:
                continue
            groups = found[metric]
            groups["all"].setdefault("all", []).append(float(value))
            groups["sev"].setdefault(str(row[1]), []).append(float(value))
            if row[0]:
                groups["month"].setdefault(str(row[0]), []).append(float(value))
    return {
        metric: DurationFigures(
            overall=_spread("all", parts["all"].get("all", [])),
            by_month=[_spread(key, values) for key, values in sorted(parts["month"].items())],
            by_severity=[_spread(key, values) for key, values in sorted(parts["sev"].items())],
        )
        for metric, parts in found.items()
    }


def _incidents_of(pairs: Sequence[tuple[str, str | None]]) -> ColumnElement[bool]:
    """SQL for whether an incident's (kind, severity) is one of pairs (None: no severity), in few comparisons: the
    kinds that have the same severities are tested together."""
    by_kind: dict[str, set[str | None]] = {}
    for kind, severity in pairs:
        by_kind.setdefault(kind, set()).add(severity)
    kinds_of: dict[frozenset[str | None], list[str]] = {}
    for kind, kind_severities in by_kind.items():
        kinds_of.setdefault(frozenset(kind_severities), []).append(kind)
    tests = []
    for group, kinds in kinds_of.items():
        named = sorted(s for s in group if s is not None)
        severity_tests = [Incident.severity.in_(named)] if named else []
        if None in group:
            severity_tests.append(Incident.severity.is_(None))
        tests.append(and_(Incident.kind.in_(kinds), or_(*severity_tests)))
    return or_(*tests)


def _policy_cases(
    sql: Dialect, policy: Policy, severities: Sequence[str], weekday: ColumnElement[int]
) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """SQL for whether an incident needs a post-mortem by policy, and the calendar days it has to publish one.

    One test per distinct answer of the policy, not per (kind, severity): the database evaluates them on every row.
    """
    needs: list[tuple[str, str | None]] = []
    by_days: dict[tuple[int, ...], list[tuple[str, str | None]]] = {}
    for kind in KINDS:
        for severity in [*severities, None]:
            if policy.needs_postmortem(kind=kind, severity=severity):
                needs.append((kind, severity))
            allowed = allowed_days(policy, kind=kind, severity=severity)
            if allowed is not None:
                by_days.setdefault(allowed, []).append((kind, severity))
    days = [
        (
            _incidents_of(pairs),
            literal(allowed[0])
            if len(set(allowed)) == 1
            else case(dict(enumerate(allowed)), value=weekday, else_=allowed[1]),
        )
        for allowed, pairs in by_days.items()
    ]
    return (_incidents_of(needs) if needs else literal(False)), (case(*days, else_=None) if days else literal(None))


def _postmortem_figures(
    session: Session,
    sql: Dialect,
    scope: list[ColumnElement[bool]],
    policy: Policy,
    severities: Sequence[str],
    now: datetime,
) -> PostmortemFigures:
    """Done and late shares for resolved incidents that need a post-mortem, and the days resolution → publication."""
    needs, allowed = _policy_cases(sql, policy, severities, sql.weekday(Incident.effective_resolved_at))
    done = Postmortem.status.in_(DONE_POSTMORTEM)
    finished = func.coalesce(Postmortem.published_at, literal(now, type_=Incident.effective_resolved_at.type))
    taken = sql.day_number(finished) - sql.day_number(Incident.effective_resolved_at)
    explicit_due = sql.day_number(Postmortem.due_date) - sql.day_number(Incident.effective_resolved_at)
    budget = func.coalesce(explicit_due, allowed)
    late = and_(budget.is_not(None), taken > budget, or_(~done, Postmortem.published_at.is_not(None)))
    days = sql.seconds(Incident.effective_resolved_at, Postmortem.published_at) / 86400.0
    resolved = (
        select()
        .select_from(Incident)
        .join(Postmortem, Postmortem.incident_id == Incident.id)
        .where(Incident.effective_resolved_at.is_not(None), needs, *scope)
    )
    # PostgreSQL computes the days' percentiles in the same scan (NULL days, unpublished, are left out).
    row = session.execute(
        resolved.add_columns(
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((budget.is_not(None), 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(case((Postmortem.published_at.is_not(None), 1), else_=0)),
            *([] if sql.sqlite else spread_columns(days)),
        )
    ).one()
    needed, done_n, with_due, late_n, published = (int(x or 0) for x in row[:5])
    if sql.sqlite:
        spread = overall_spread(
            session,
            sql,
            resolved.add_columns(days.label("value")).where(Postmortem.published_at.is_not(None)),
            n=published,
        )
    else:
        spread = spread_of(row[5:])
    return PostmortemFigures(
        needed=needed,
        done=done_n,
        done_share=share(done_n, needed),
        with_due_date=with_due,
        late=late_n,
        late_share=share(late_n, with_due),
        days_to_publish=spread,
    )


def _owner_rows(session: Session, key: Any, joins: Any, today: date, top: int | None = TOP) -> list[OwnerFigures]:
    """Totals, done, open and overdue action items per owner or team."""
    is_open = ActionItem.status.in_(OPEN_ITEM)
    overdue = and_(is_open, ActionItem.due_date < today)
    query = joins(
        select(
            key,
            func.count(),
            func.sum(case((ActionItem.status == "done", 1), else_=0)),
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((ActionItem.status == "wont-do", 1), else_=0)),
            func.min(case((is_open, ActionItem.opened_at), else_=None)),
        )
    ).group_by(key)
    rows = []
    for name, total, done, open_, late, dropped, oldest in session.execute(query):
        rows.append(
            OwnerFigures(
                key="" if name is None else str(name) if top is None else str(name or "(nobody)"),
                total=int(total),
                done=int(done or 0),
                open=int(open_ or 0),
                overdue=int(late or 0),
                completion_rate=share(int(done or 0), int(total) - int(dropped or 0)),
                oldest_open_days=None if oldest is None else max((today - _as_date(oldest)).days, 0),
            )
        )
    ordered = sorted(rows, key=lambda r: (-r.overdue, -r.open, r.key))
    return ordered if top is None else ordered[:top]


def _scoped_items(query: AnySelect, scope: list[ColumnElement[bool]]) -> AnySelect:
    """Action items of the incidents in scope (no join at all for the whole history)."""
    query = query.select_from(ActionItem)
    return query.join(Incident, Incident.id == ActionItem.incident_id).where(*scope) if scope else query


def _backlog(
    session: Session, sql: Dialect, scope: list[ColumnElement[bool]], today: date, entered: dict[str, int]
) -> list[Count]:
    """Open overdue items at each month's end, from the counts per month of items becoming overdue (`entered`) and
    per-day counts of items leaving."""
    # An item leaves on the later of its closing day and the day after its due date: the month it closed in when it
    # closed late, else the month of the day after its due date.
    closed_late = sql.late_close_month()
    query = _scoped_items(select(ActionItem.due_date, closed_late, func.count()), scope)
    left: dict[str, int] = {}
    for day, late_month, n in session.execute(
        query.with_hint(ActionItem, "INDEXED BY ix_insights_left", "sqlite")
        .where(ActionItem.due_date < today, ActionItem.closed_at.is_not(None))
        .group_by(ActionItem.due_date, closed_late)
    ):
        key = late_month or month_of(_as_date(day) + timedelta(days=1))
        left[key] = left.get(key, 0) + int(n)
    if not entered:
        return []
    first = min(entered)
    months = months_between(first, max(month_of(today), first))
    return [Count(key=m, count=n) for m, n in overdue_backlog(entered, left, months)]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _action_figures(session: Session, sql: Dialect, scope: list[ColumnElement[bool]], today: date) -> ActionFigures:
    """Completion, days to close, the overdue backlog at each month's end, and the split by owner and team."""
    # Every count from one pass over (status, due date) pairs: few, and SQLite reads them in index order.
    pairs = [
        (str(status), None if due is None else _as_date(due), int(n))
        for status, due, n in session.execute(
            _scoped_items(select(ActionItem.status, ActionItem.due_date, func.count()), scope).group_by(
                ActionItem.status, ActionItem.due_date
            )
        )
    ]
    total = sum(n for _, _, n in pairs)
    done = sum(n for status, _, n in pairs if status == "done")
    dropped = sum(n for status, _, n in pairs if status == "wont-do")
    open_ = sum(n for status, _, n in pairs if status in OPEN_ITEM)
    late = sum(n for status, due, n in pairs if status in OPEN_ITEM and due is not None and due < today)
    entered: dict[str, int] = {}
    for _, due, n in pairs:
        if due is not None and due < today:
            key = month_of(due + timedelta(days=1))
            entered[key] = entered.get(key, 0) + n
    if sql.sqlite and not scope:
        value = SQLITE_SECONDS.format(start="opened_at", end="closed_at")
        table = "action_items INDEXED BY ix_insights_close"
        close = sqlite_ranked(session, table=table, value=value, where="status = 'done'").get(
            "all", Spread(key="all", n=0)
        )
        close = close.model_copy(
            update={
                "median": None if close.median is None else round(close.median / 86400.0, 2),
                "p90": None if close.p90 is None else round(close.p90 / 86400.0, 2),
            }
        )
    else:
        days = sql.seconds(ActionItem.opened_at, ActionItem.closed_at) / 86400.0
        close = overall_spread(
            session, sql, _scoped_items(select(days.label("value")), scope).where(ActionItem.status == "done")
        )

    return ActionFigures(
        total=total,
        done=done,
        wont_do=dropped,
        open=open_,
        overdue=late,
        completion_rate=share(done, total - dropped),
        days_to_close=close,
        overdue_by_month=_backlog(session, sql, scope, today, entered),
    )


def _action_people(
    session: Session, scope: list[ColumnElement[bool]], today: date
) -> tuple[list[OwnerFigures], list[OwnerFigures]]:
    """Action items by owner and by team of their incident."""
    # Group by the owner's id and name the few owners afterwards (SQLite reads the groups from ix_insights_owner).
    owners = _owner_rows(session, ActionItem.owner_id, lambda query: _scoped_items(query, scope), today, top=None)
    ids = [int(o.key) if o.key else 0 for o in owners]
    names = {int(i): str(n) for i, n in session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))}
    by_owner = [o.model_copy(update={"key": names.get(i, "(nobody)")}) for o, i in zip(owners, ids, strict=True)]
    by_owner = sorted(by_owner, key=lambda r: (-r.overdue, -r.open, r.key))[:TOP]

    def by_team(query: AnySelect) -> AnySelect:
        return _scoped_items(query, scope).join(
            IncidentLabel, and_(IncidentLabel.incident_id == ActionItem.incident_id, IncidentLabel.kind == "team")
        )

    return by_owner, _owner_rows(session, IncidentLabel.value, by_team, today)


def _category_figures(
    session: Session,
    sql: Dialect,
    scope: list[ColumnElement[bool]],
    taxonomy: Sequence[Category],
    mapping: dict[str, str],
    trend_from: date,
) -> list[CategoryFigures]:
    """Categories by the number of incidents they recur in, each with its most frequent services and its incidents
    in each month from `trend_from` (its trend)."""
    cats = incident_categories(session, taxonomy, mapping).subquery()
    # Each (incident, stored value) is one row: only when two stored values mean one slug can an incident repeat.
    # Else a slug's rows are its value's: group by the stored value (no CASE per row, and SQLite reads the counts in
    # the order of its index) and name the slug here.
    collapses = len(set(mapping.values())) < len(mapping)
    incidents = func.count(distinct(cats.c.incident_id)) if collapses else func.count()
    key = cats.c.slug if collapses else cats.c.value
    slug_of: Callable[[Any], str] = str if collapses else lambda value: mapping[str(value)]

    def scoped(query: AnySelect) -> AnySelect:
        return query.join(Incident, Incident.id == cats.c.incident_id).where(*scope) if scope else query

    counts = [
        (slug_of(k), n) for k, n in session.execute(scoped(select(key, incidents).select_from(cats)).group_by(key))
    ]
    # The trend: each category's incidents in the last TREND_MONTHS months of the range (a date condition the
    # incidents' index answers, so the join reads those months only).
    trend: dict[str, dict[str, int]] = {}
    month = sql.incident_month()
    recent = Incident.happened_at >= datetime.combine(trend_from, time(), tzinfo=UTC)
    by_month = select(key, month, incidents).select_from(cats).join(Incident, Incident.id == cats.c.incident_id)
    for k, m, n in session.execute(by_month.where(*scope, recent).group_by(key, month)):
        if m:
            per_month = trend.setdefault(slug_of(k), {})
            per_month[str(m)] = per_month.get(str(m), 0) + int(n)
    services: dict[str, list[Count]] = {}
    for k, value, n in session.execute(
        scoped(
            select(key, IncidentLabel.value, incidents)
            .select_from(cats)
            .join(IncidentLabel, and_(IncidentLabel.incident_id == cats.c.incident_id, IncidentLabel.kind == "service"))
        ).group_by(key, IncidentLabel.value)
    ):
        services.setdefault(slug_of(k), []).append(Count(key=str(value), count=int(n)))
    names = {c.slug: c.name for c in taxonomy}
    out = [
        CategoryFigures(
            category=str(slug),
            name=names.get(str(slug), str(slug)),
            incidents=int(n),
            services=sorted(services.get(str(slug), []), key=lambda c: (-c.count, c.key))[:5],
            by_month=[Count(key=m, count=c) for m, c in sorted(trend.get(str(slug), {}).items())],
        )
        for slug, n in counts
    ]
    return sorted(out, key=lambda c: (-c.incidents, c.category))


WORKERS = 4
TREND_MONTHS = 6  # a category's trend: its incidents in each of the last six months of the range


def trend_start(end: date) -> date:
    """The first day of the first of the TREND_MONTHS months that end with `end`'s month."""
    year, month = end.year, end.month - (TREND_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


SQLITE_MMAP = 1 << 30
POSTGRES_WORK_MEM = "64MB"
RECENT = 2000  # recurrences are looked for among this many latest incidents of the scope


def _recurrences(
    session: Session,
    scope: list[ColumnElement[bool]],
    taxonomy: Sequence[Category],
    limit: int,
    mapping: dict[str, str],
) -> list[Recurrence]:
    """The latest incidents whose service and factor category an earlier incident shared, among the RECENT latest.

    For each (service, category) the incidents are ordered by start and LAG() gives each one the incident before it:
    one sort of the pairs, not a comparison of every incident with every other.
    """
    if not mapping:
        return []
    recent = (
        select(Incident.id.label("id"), Incident.happened_at.label("started_at"))
        .where(Incident.happened_at.is_not(None), *scope)
        .order_by(Incident.happened_at.desc(), Incident.id.desc())
        .limit(RECENT)
        .subquery()
    )
    slug = case(mapping, value=InsightCategory.value, else_=None)
    partition = (IncidentLabel.value, slug)
    order = (recent.c.started_at, recent.c.id)
    pairs = (
        select(
            recent.c.id.label("later"),
            recent.c.started_at.label("started_at"),
            func.lag(recent.c.id).over(partition_by=partition, order_by=order).label("earlier"),
            func.lag(recent.c.started_at).over(partition_by=partition, order_by=order).label("earlier_at"),
        )
        .join(InsightCategory, InsightCategory.incident_id == recent.c.id)
        .join(IncidentLabel, and_(IncidentLabel.incident_id == recent.c.id, IncidentLabel.kind == "service"))
        .where(InsightCategory.value.in_(list(mapping)))
        .subquery()
    )
    best: dict[int, tuple[Any, Any, int]] = {}
    for later, started, earlier, earlier_at in session.execute(
        select(pairs.c.later, pairs.c.started_at, pairs.c.earlier, pairs.c.earlier_at).where(
            pairs.c.earlier.is_not(None)
        )
    ):
        current = best.get(int(later))
        if current is None or (earlier_at, earlier) > (current[1], current[2]):
            best[int(later)] = (started, earlier_at, int(earlier))
    chosen = sorted(best.items(), key=lambda kv: (kv[1][0], kv[0]), reverse=True)[:limit]
    if not chosen:
        return []
    wanted = {later for later, _ in chosen} | {earlier for _, (_, _, earlier) in chosen}
    incidents = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(wanted)))}
    return [
        describe_recurrence(session, incidents[later], incidents[earlier], taxonomy, mapping=mapping)
        for later, (_, _, earlier) in chosen
    ]


def count_date_unknown(db: Database, *, actor: Actor) -> int:
    """How many incidents the actor may see have no known date (imported documents that give none)."""
    scope = scope_conditions(actor=actor, since=None, until=None, team=None, service=None)
    with db.transaction() as session:
        query = select(func.count()).select_from(Incident).where(Incident.happened_at.is_(None), *scope)
        return int(session.scalar(query) or 0)


def compute_insights(
    db: Database,
    *,
    policy: Policy,
    severities: Sequence[str],
    taxonomy: Sequence[Category] | None = None,
    within: InsightsFilter | None = None,
    recurrences: int = 10,
    now: datetime | None = None,
    actor: Actor,
) -> InsightsReport:
    """Every figure across the post-mortems of a filter's incidents (a range of start dates or a quarter, a team, a
    service, a severity, a kind, a category) that the actor may see; InvalidInput for a filter's unknown word."""
    from afteraction.insights.taxonomy import load_taxonomy

    now = now or utcnow()
    with db.transaction() as session:
        categories = list(taxonomy) if taxonomy is not None else load_taxonomy(session)
        mapping = category_mapping(session, categories)
        within = check_filter(within or InsightsFilter(), severities=severities, taxonomy=categories)
        scope = filter_conditions(session, within, actor=actor, taxonomy=categories, mapping=mapping)

    # On SQLite one part per metric (each ranks through its own indexes); on PostgreSQL one scan computes them all.
    # (With a scope, SQLite reads the scope's durations once: see _scoped_durations.)
    one_by_one = db.engine.dialect.name == "sqlite" and not scope
    metric_groups = [(m,) for m in DURATION_METRICS] if one_by_one else [DURATION_METRICS]
    parts: dict[str, Callable[[Session, Dialect], Any]] = {
        **{
            f"durations:{','.join(group)}": functools.partial(_duration_part, scope=scope, metrics=group)
            for group in metric_groups
        },
        "actions": lambda session, sql: _action_figures(session, sql, scope, now.date()),
        "people": lambda session, sql: _action_people(session, scope, now.date()),
        "categories": lambda session, sql: (
            _category_figures(session, sql, scope, categories, mapping, trend_start(within.end or now.date())),
            _recurrences(session, scope, categories, recurrences, mapping) if recurrences else [],
        ),
        "incidents": lambda session, sql: (
            _incident_figures(session, sql, scope),
            _postmortem_figures(session, sql, scope, policy, severities, now),
        ),
    }

    # The parts read independent figures, each in a transaction of its own, side by side: PostgreSQL runs them in
    # separate server processes, SQLite releases the GIL while it steps a statement.
    def run(part: Callable[[Session, Dialect], Any]) -> Any:
        with db.transaction() as session:
            sql = Dialect(session)
            if sql.sqlite:
                # Read the file through a memory map: a fresh connection's page cache is small and cold, and these
                # queries read most of several tables once.
                session.execute(text(f"PRAGMA mmap_size={SQLITE_MMAP}"))
            else:
                # Sort in memory: with the default 4 MB, sorting 100,000 incidents by month spills to disk.
                session.execute(text(f"SET LOCAL work_mem = '{POSTGRES_WORK_MEM}'"))
                # No parallel workers: the parts already keep a server process each busy, so workers only add their
                # start-up and hand-over to every scan (~55 ms of the report's wall time on 2 cores).
                session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            return part(session, sql)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(run, part) for name, part in parts.items()}
        done = {name: future.result() for name, future in futures.items()}
    incident_figures, postmortem_figures = done["incidents"]
    category_figures, recurrence_list = done["categories"]
    by_owner, by_team = done["people"]
    return InsightsReport(
        since=within.start,
        until=within.end,
        team=within.team,
        service=within.service,
        within=within,
        generated_at=now,
        incidents=incident_figures,
        durations={m: done[f"durations:{','.join(group)}"][m] for group in metric_groups for m in group},
        postmortems=postmortem_figures,
        actions=done["actions"].model_copy(update={"by_owner": by_owner, "by_team": by_team}),
        categories=category_figures,
        recurrences=recurrence_list,
    )


# How often a server process runs upkeep() by itself (seconds), so that reads seldom find one due.
UPKEEP_EVERY = 60.0
# How long upkeep waits for a lock on PostgreSQL (milliseconds); on SQLite it does not wait at all.
UPKEEP_LOCK_WAIT_MS = 50


def upkeep(db: Database, *, stale: bool = False, changed_since: datetime | None = None) -> bool:
    """The read side's upkeep, in a short transaction of its own: index the incidents that have no search document
    yet (with `stale`, also those edited since theirs was written, looking at rows changed after `changed_since` when
    given), count again the stored pictures of large timelines an edit made stale (timeline.picture), and gather the
    planner statistics of tables that have grown (SQLite). Returns whether it ran.

    Neither changes an answer much (an incident missing from search for a while, a slower plan), so upkeep never
    waits for another writer: while one holds the lock (a long import) it is skipped, to be done by a later call.
    When nothing is due it only reads. No request's read runs it: the server runs it every UPKEEP_EVERY seconds in
    the background (stale documents included), the CLI's insights and similar commands before they read; creating,
    changing and importing incidents index them in their own transaction.
    """
    from afteraction.insights.similar import ensure_index
    from afteraction.timeline.picture import refresh_stale_pictures

    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            busy_ms = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()) if sqlite else 0
            try:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA busy_timeout=0")
                else:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {UPKEEP_LOCK_WAIT_MS}")
                with Session(bind=conn) as session:
                    ensure_index(session, stale=stale, changed_since=changed_since)
                    refresh_stale_pictures(session)
                    refresh_statistics(session)
                    session.flush()
                conn.commit()
            except OperationalError:
                conn.rollback()
                return False
            finally:
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
    except OperationalError:
        return False  # the database did not answer: the read that follows says so
    return True
