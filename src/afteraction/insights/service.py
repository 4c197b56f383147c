"""Use cases of insights across post-mortems: the figures of `afteraction insights`, and the recurrences among them.

Every figure is aggregated by the database (GROUP BY, window functions, percentile_cont); Python only shapes the
grouped rows. Durations use the key moments recorded on incidents (hand-set or saved from documents), not the ones
a timeline would derive, so that 100,000 incidents take one pass each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from afteraction.actions.models import ActionItem
from afteraction.analysis.categories import Category
from afteraction.analysis.insights import (
    DONE_POSTMORTEM,
    DURATION_METRICS,
    METRIC_MOMENTS,
    allowed_days,
    month_of,
    months_between,
    overdue_backlog,
    recurrence_message,
    share,
)
from afteraction.db import Database, utcnow
from afteraction.incidents.models import Incident, IncidentLabel, Person
from afteraction.incidents.schemas import KINDS
from afteraction.insights.schemas import (
    ActionFigures,
    ActionRef,
    CategoryFigures,
    Count,
    DurationFigures,
    IncidentFigures,
    InsightsReport,
    OwnerFigures,
    PostmortemFigures,
    Recurrence,
    Spread,
)
from afteraction.insights.sql import AnySelect, Dialect, category_slug, scope_conditions
from afteraction.reviews.models import ContributingFactor, Postmortem
from afteraction.reviews.policy import Policy

OPEN_ITEM = ("open", "in-progress")
TOP = 20


def _counts(session: Session, query: AnySelect) -> list[Count]:
    """(key, count) rows as Counts, biggest first."""
    rows = [Count(key="" if k is None else str(k), count=int(n)) for k, n in session.execute(query)]
    return sorted(rows, key=lambda c: (-c.count, c.key))


def _incident_figures(session: Session, sql: Dialect, scope: list[ColumnElement[bool]]) -> IncidentFigures:
    when = func.coalesce(Incident.started_at, Incident.created_at)
    month = sql.month(when)
    by_month = sorted(_counts(session, select(month, func.count()).where(*scope).group_by(month)), key=lambda c: c.key)
    severity = func.coalesce(Incident.severity, "none")
    by_label = {}
    for kind in ("service", "team"):
        query = (
            select(IncidentLabel.value, func.count(distinct(IncidentLabel.incident_id)))
            .join(Incident, Incident.id == IncidentLabel.incident_id)
            .where(IncidentLabel.kind == kind, *scope)
            .group_by(IncidentLabel.value)
        )
        by_label[kind] = _counts(session, query)[:TOP]
    return IncidentFigures(
        total=sum(c.count for c in by_month),
        by_month=by_month,
        by_severity=sorted(
            _counts(session, select(severity, func.count()).where(*scope).group_by(severity)), key=lambda c: c.key
        ),
        by_kind=_counts(session, select(Incident.kind, func.count()).where(*scope).group_by(Incident.kind)),
        by_service=by_label["service"],
        by_team=by_label["team"],
    )


def _duration_figures(session: Session, sql: Dialect, scope: list[ColumnElement[bool]]) -> dict[str, DurationFigures]:
    """Median and p90 of each time-to metric, per month and per severity, in one windowed pass per metric."""
    out: dict[str, DurationFigures] = {}
    month = sql.month(func.coalesce(Incident.started_at, Incident.created_at))
    severity = func.coalesce(Incident.severity, "none")
    for metric in DURATION_METRICS:
        start, end = (getattr(Incident, name) for name in METRIC_MOMENTS[metric])
        value = sql.seconds(start, end)
        base = and_(start.is_not(None), end.is_not(None), Incident.kind != "milestone", *scope)
        grouped = union_all(
            select(literal("all").label("grp"), value.label("value")).where(base),
            select(("m:" + month).label("grp"), value.label("value")).where(base),
            select(("s:" + severity).label("grp"), value.label("value")).where(base),
        )
        spreads = sql.percentiles(session, select(grouped.subquery()))
        overall = spreads.pop("all", Spread(key="all", n=0))

        def part(prefix: str, spreads: dict[str, Spread] = spreads) -> list[Spread]:
            items = [s.model_copy(update={"key": k[2:]}) for k, s in spreads.items() if k.startswith(prefix)]
            return sorted(items, key=lambda s: s.key)

        out[metric] = DurationFigures(overall=overall, by_month=part("m:"), by_severity=part("s:"))
    return out


def _policy_cases(
    sql: Dialect, policy: Policy, severities: Sequence[str], weekday: ColumnElement[int]
) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """SQL for whether an incident needs a post-mortem by policy, and the calendar days it has to publish one."""
    needs: list[ColumnElement[bool]] = []
    days: list[tuple[ColumnElement[bool], Any]] = []
    sevs: list[str | None] = [*severities, None]
    for kind in KINDS:
        for severity in sevs:
            match = and_(
                Incident.kind == kind,
                Incident.severity.is_(None) if severity is None else Incident.severity == severity,
            )
            if policy.needs_postmortem(kind=kind, severity=severity):
                needs.append(match)
            allowed = allowed_days(policy, kind=kind, severity=severity)
            if allowed is not None:
                by_day = case(*((weekday == d, n) for d, n in enumerate(allowed)), else_=allowed[1])
                days.append((match, by_day))
    return (or_(*needs) if needs else literal(False)), (case(*days, else_=None) if days else literal(None))


def _postmortem_figures(
    session: Session,
    sql: Dialect,
    scope: list[ColumnElement[bool]],
    policy: Policy,
    severities: Sequence[str],
    now: datetime,
) -> PostmortemFigures:
    """Done and late shares for resolved incidents that need a post-mortem, and the days resolution → publication."""
    needs, allowed = _policy_cases(sql, policy, severities, sql.weekday(Incident.resolved_at))
    done = Postmortem.status.in_(DONE_POSTMORTEM)
    finished = func.coalesce(Postmortem.published_at, literal(now, type_=Incident.resolved_at.type))
    taken = sql.day_number(finished) - sql.day_number(Incident.resolved_at)
    explicit_due = sql.day_number(Postmortem.due_date) - sql.day_number(Incident.resolved_at)
    budget = func.coalesce(explicit_due, allowed)
    late = and_(budget.is_not(None), taken > budget, or_(~done, Postmortem.published_at.is_not(None)))
    row = session.execute(
        select(
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((budget.is_not(None), 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
        )
        .select_from(Incident)
        .join(Postmortem, Postmortem.incident_id == Incident.id)
        .where(Incident.resolved_at.is_not(None), needs, *scope)
    ).one()
    needed, done_n, with_due, late_n = (int(x or 0) for x in row)
    days = sql.seconds(Incident.resolved_at, Postmortem.published_at) / 86400.0
    spread = sql.percentiles(
        session,
        select(literal("all").label("grp"), days.label("value"))
        .select_from(Incident)
        .join(Postmortem, Postmortem.incident_id == Incident.id)
        .where(Incident.resolved_at.is_not(None), Postmortem.published_at.is_not(None), *scope),
    ).get("all", Spread(key="all", n=0))
    return PostmortemFigures(
        needed=needed,
        done=done_n,
        done_share=share(done_n, needed),
        with_due_date=with_due,
        late=late_n,
        late_share=share(late_n, with_due),
        days_to_publish=spread,
    )


def _owner_rows(session: Session, key: Any, joins: Any, today: date) -> list[OwnerFigures]:
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
        )
    ).group_by(key)
    rows = []
    for name, total, done, open_, late, dropped in session.execute(query):
        rows.append(
            OwnerFigures(
                key=name or "(nobody)",
                total=int(total),
                done=int(done or 0),
                open=int(open_ or 0),
                overdue=int(late or 0),
                completion_rate=share(int(done or 0), int(total) - int(dropped or 0)),
            )
        )
    return sorted(rows, key=lambda r: (-r.overdue, -r.open, r.key))[:TOP]


def _action_figures(session: Session, sql: Dialect, scope: list[ColumnElement[bool]], today: date) -> ActionFigures:
    """Completion, days to close, the overdue backlog at each month's end, and the split by owner and team."""
    is_open = ActionItem.status.in_(OPEN_ITEM)
    scoped = select().select_from(ActionItem).join(Incident, Incident.id == ActionItem.incident_id).where(*scope)
    total, done, dropped, open_, late = (
        int(x or 0)
        for x in session.execute(
            scoped.add_columns(
                func.count(),
                func.sum(case((ActionItem.status == "done", 1), else_=0)),
                func.sum(case((ActionItem.status == "wont-do", 1), else_=0)),
                func.sum(case((is_open, 1), else_=0)),
                func.sum(case((and_(is_open, ActionItem.due_date < today), 1), else_=0)),
            )
        ).one()
    )
    days = sql.seconds(ActionItem.opened_at, ActionItem.closed_at) / 86400.0
    close = sql.percentiles(
        session,
        scoped.add_columns(literal("all").label("grp"), days.label("value")).where(ActionItem.status == "done"),
    ).get("all", Spread(key="all", n=0))

    entered_month = sql.date_month(sql.day_after(ActionItem.due_date))
    left_month = sql.date_month(sql.later_date(sql.day_after(ActionItem.due_date), ActionItem.closed_at))
    has_due = ActionItem.due_date < today  # not yet due items are in no backlog, this month's included
    entered = {
        c.key: c.count
        for c in _counts(
            session, scoped.add_columns(entered_month, func.count()).where(has_due).group_by(entered_month)
        )
    }
    closed = ActionItem.closed_at.is_not(None)
    left = {
        c.key: c.count
        for c in _counts(
            session, scoped.add_columns(left_month, func.count()).where(has_due, closed).group_by(left_month)
        )
    }
    backlog: list[Count] = []
    if entered:
        first = min(entered)
        last = max(month_of(today), first)
        backlog = [Count(key=m, count=n) for m, n in overdue_backlog(entered, left, months_between(first, last))]

    def by_owner(query: AnySelect) -> AnySelect:
        return (
            query.select_from(ActionItem)
            .join(Incident, Incident.id == ActionItem.incident_id)
            .outerjoin(Person, Person.id == ActionItem.owner_id)
            .where(*scope)
        )

    def by_team(query: AnySelect) -> AnySelect:
        return (
            query.select_from(ActionItem)
            .join(Incident, Incident.id == ActionItem.incident_id)
            .join(IncidentLabel, and_(IncidentLabel.incident_id == Incident.id, IncidentLabel.kind == "team"))
            .where(*scope)
        )

    return ActionFigures(
        total=total,
        done=done,
        wont_do=dropped,
        open=open_,
        overdue=late,
        completion_rate=share(done, total - dropped),
        days_to_close=close,
        overdue_by_month=backlog,
        by_owner=_owner_rows(session, Person.name, by_owner, today),
        by_team=_owner_rows(session, IncidentLabel.value, by_team, today),
    )


def incident_categories(taxonomy: Sequence[Category]) -> AnySelect:
    """(incident_id, category slug) of every incident: its factors' categories and its category labels."""
    factor_slug = category_slug(ContributingFactor.category, taxonomy)
    label_slug = category_slug(IncidentLabel.value, taxonomy)
    union = union_all(
        select(Postmortem.incident_id.label("incident_id"), factor_slug.label("slug"))
        .join(ContributingFactor, ContributingFactor.postmortem_id == Postmortem.id)
        .where(ContributingFactor.category.is_not(None)),
        select(IncidentLabel.incident_id.label("incident_id"), label_slug.label("slug")).where(
            IncidentLabel.kind == "category"
        ),
    ).subquery()
    return select(union.c.incident_id, union.c.slug).where(union.c.slug.is_not(None)).distinct()


def _category_figures(
    session: Session, scope: list[ColumnElement[bool]], taxonomy: Sequence[Category]
) -> list[CategoryFigures]:
    """Categories by the number of incidents they recur in, each with its most frequent services."""
    cats = incident_categories(taxonomy).subquery()
    counts = session.execute(
        select(cats.c.slug, func.count())
        .join(Incident, Incident.id == cats.c.incident_id)
        .where(*scope)
        .group_by(cats.c.slug)
    ).all()
    services: dict[str, list[Count]] = {}
    for slug, value, n in session.execute(
        select(cats.c.slug, IncidentLabel.value, func.count())
        .join(Incident, Incident.id == cats.c.incident_id)
        .join(IncidentLabel, and_(IncidentLabel.incident_id == Incident.id, IncidentLabel.kind == "service"))
        .where(*scope)
        .group_by(cats.c.slug, IncidentLabel.value)
    ):
        services.setdefault(str(slug), []).append(Count(key=str(value), count=int(n)))
    names = {c.slug: c.name for c in taxonomy}
    out = [
        CategoryFigures(
            category=str(slug),
            name=names.get(str(slug), str(slug)),
            incidents=int(n),
            services=sorted(services.get(str(slug), []), key=lambda c: (-c.count, c.key))[:5],
        )
        for slug, n in counts
    ]
    return sorted(out, key=lambda c: (-c.incidents, c.category))


def _item_refs(session: Session, incident_ids: Sequence[int]) -> dict[int, list[ActionRef]]:
    """Action items of these incidents, prevent items first."""
    refs: dict[int, list[ActionRef]] = {}
    if not incident_ids:
        return refs
    rows = session.scalars(
        select(ActionItem).where(ActionItem.incident_id.in_(incident_ids)).order_by(ActionItem.position)
    )
    for item in rows:
        refs.setdefault(item.incident_id, []).append(
            ActionRef(
                id=f"AI-{item.id}",
                title=item.title,
                type=item.type,
                status=item.status,
                closed_at=item.closed_at,
                due=item.due_date,
            )
        )
    for items in refs.values():
        items.sort(key=lambda r: (r.type != "prevent", r.id))
    return refs


def evidence_items(items: Sequence[ActionRef]) -> list[ActionRef]:
    """The items that speak to a recurrence: the prevent items, else every item."""
    prevent = [i for i in items if i.type == "prevent"]
    return (prevent or list(items))[:3]


def describe_recurrence(
    session: Session,
    later: Incident,
    earlier: Incident,
    taxonomy: Sequence[Category],
    score: float | None = None,
) -> Recurrence:
    """The evidence that `later` resembles `earlier`: shared categories and services, the fate of earlier fixes."""
    cats = incident_categories(taxonomy).subquery()
    by_incident: dict[int, set[str]] = {}
    for incident_id, slug in session.execute(
        select(cats.c.incident_id, cats.c.slug).where(cats.c.incident_id.in_([later.id, earlier.id]))
    ):
        by_incident.setdefault(int(incident_id), set()).add(str(slug))
    labels: dict[int, set[str]] = {}
    for incident_id, value in session.execute(
        select(IncidentLabel.incident_id, IncidentLabel.value).where(
            IncidentLabel.incident_id.in_([later.id, earlier.id]), IncidentLabel.kind == "service"
        )
    ):
        labels.setdefault(int(incident_id), set()).add(str(value))
    shared = sorted(by_incident.get(later.id, set()) & by_incident.get(earlier.id, set()))
    services = sorted(labels.get(later.id, set()) & labels.get(earlier.id, set()))
    items = evidence_items(_item_refs(session, [earlier.id]).get(earlier.id, []))
    message = recurrence_message(
        earlier.key, shared + [f"service {s}" for s in services], [(i.id, i.type, i.status, i.closed_at) for i in items]
    )
    return Recurrence(
        incident_id=later.key,
        title=later.title,
        started_at=later.started_at,
        resembles=earlier.key,
        resembles_title=earlier.title,
        shared_categories=shared,
        shared_services=services,
        score=score,
        items=items,
        message=message,
    )


def _recurrences(
    session: Session, scope: list[ColumnElement[bool]], taxonomy: Sequence[Category], limit: int
) -> list[Recurrence]:
    """The latest incidents in scope whose service and factor category an earlier incident shared.

    For each (service, category) the incidents are ordered by start, and LAG() gives each one the incident before it:
    one sort of the pairs, not a comparison of every incident with every other.
    """
    cats = incident_categories(taxonomy).subquery()
    pairs = (
        select(
            Incident.id.label("later"),
            Incident.started_at.label("started_at"),
            func.lag(Incident.id)
            .over(partition_by=(IncidentLabel.value, cats.c.slug), order_by=(Incident.started_at, Incident.id))
            .label("earlier"),
        )
        .join(cats, cats.c.incident_id == Incident.id)
        .join(IncidentLabel, and_(IncidentLabel.incident_id == Incident.id, IncidentLabel.kind == "service"))
        .where(Incident.started_at.is_not(None), Incident.private.is_(False))
        .subquery()
    )
    scoped_ids = select(Incident.id).where(*scope)
    rows = session.execute(
        select(pairs.c.later, func.max(pairs.c.earlier))
        .where(pairs.c.earlier.is_not(None), pairs.c.later.in_(scoped_ids))
        .group_by(pairs.c.later, pairs.c.started_at)
        .order_by(pairs.c.started_at.desc(), pairs.c.later.desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    wanted = {int(a) for a, _ in rows} | {int(b) for _, b in rows}
    incidents = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(wanted)))}
    return [describe_recurrence(session, incidents[int(a)], incidents[int(b)], taxonomy) for a, b in rows]


def compute_insights(
    db: Database,
    *,
    policy: Policy,
    severities: Sequence[str],
    taxonomy: Sequence[Category] | None = None,
    since: date | None = None,
    until: date | None = None,
    team: str | None = None,
    service: str | None = None,
    recurrences: int = 10,
    now: datetime | None = None,
) -> InsightsReport:
    """Every figure across the post-mortems of a scope (dates of start, a team, a service)."""
    from afteraction.insights.taxonomy import load_taxonomy

    now = now or utcnow()
    scope = scope_conditions(since=since, until=until, team=team, service=service)
    with db.transaction() as session:
        sql = Dialect(session)
        categories = list(taxonomy) if taxonomy is not None else load_taxonomy(session)
        return InsightsReport(
            since=since,
            until=until,
            team=team,
            service=service,
            generated_at=now,
            incidents=_incident_figures(session, sql, scope),
            durations=_duration_figures(session, sql, scope),
            postmortems=_postmortem_figures(session, sql, scope, policy, severities, now),
            actions=_action_figures(session, sql, scope, now.date()),
            categories=_category_figures(session, scope, categories),
            recurrences=_recurrences(session, scope, categories, recurrences) if recurrences else [],
        )
