"""Dialect-specific SQL expressions that the insights queries share: months, durations, days, percentiles.

Everything aggregates in the database; percentiles are percentile_cont on PostgreSQL and, on SQLite, the same linear
interpolation computed with ROW_NUMBER and COUNT window functions over each group.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeAlias

from sqlalchemy import Date, Float, Integer, Select, String, case, cast, func, literal, literal_column, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from afteraction.actions.models import ActionItem
from afteraction.analysis.categories import Category
from afteraction.core.actor import Actor
from afteraction.core.visibility import visible_clause
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.insights.models import InsightCategory
from afteraction.insights.schemas import Spread

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
_EPOCH_DAY = date(1970, 1, 1)


class Dialect:
    """SQL spellings of one database."""

    def __init__(self, session: Session) -> None:
        self.name = session.get_bind().dialect.name

    @property
    def sqlite(self) -> bool:
        """Whether this is SQLite (else PostgreSQL)."""
        return self.name == "sqlite"

    def month(self, column: Any) -> ColumnElement[str]:
        """`YYYY-MM` of a UTC time or a date."""
        if self.sqlite:
            return func.strftime("%Y-%m", column)
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")

    def incident_month(self) -> ColumnElement[str]:
        """`YYYY-MM` of when an incident happened, NULL when its date is unknown (on SQLite, the text that indexes
        hold)."""
        if self.sqlite:
            return literal_column(SQLITE_MONTH, String)
        return self.month(Incident.happened_at)

    def incident_severity(self) -> ColumnElement[str]:
        """An incident's severity, `none` for none (on SQLite, the text that indexes hold)."""
        if self.sqlite:
            return literal_column(SQLITE_SEVERITY, String)
        return func.coalesce(Incident.severity, "none")

    def late_close_month(self) -> ColumnElement[str]:
        """`YYYY-MM` of an action item's closing day when that is after its due date, else '' (on SQLite, the text
        that index ix_insights_left holds)."""
        if self.sqlite:
            return literal_column(SQLITE_LATE_CLOSE_MONTH, String)
        closed = self.date_of(ActionItem.closed_at)
        return case((closed > ActionItem.due_date, self.date_month(closed)), else_=literal(""))

    def date_month(self, column: Any) -> ColumnElement[str]:
        """`YYYY-MM` of a date column or date expression."""
        return func.strftime("%Y-%m", column) if self.sqlite else func.to_char(column, "YYYY-MM")

    def seconds(self, start: Any, end: Any) -> ColumnElement[float]:
        """end − start in seconds."""
        if self.sqlite:
            return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
        # date_part's double is several times cheaper than EXTRACT's numeric, but rounds twice for spans of a day or
        # more; rounding to the microsecond makes it the exact value again (spans under ~10 years).
        return cast(func.round(func.date_part("epoch", end - start) * 1e6) / 1e6, Float)

    def day_number(self, column: Any) -> ColumnElement[Any]:
        """A whole day count of a UTC time's date or of a date (only differences mean anything)."""
        if self.sqlite:
            return cast(func.julianday(func.substr(column, 1, 10)), Float)
        day = column if isinstance(column.type, Date) else cast(func.timezone("UTC", column), Date)
        return day - literal(_EPOCH_DAY, Date)

    def weekday(self, column: Any) -> ColumnElement[int]:
        """The weekday of a UTC time, Sunday 0 to Saturday 6."""
        if self.sqlite:
            return cast(func.strftime("%w", column), Integer)
        return cast(func.date_part("dow", func.timezone("UTC", column)), Integer)

    def day_after(self, column: Any) -> ColumnElement[Any]:
        """The date after a date column."""
        return func.date(column, "+1 day") if self.sqlite else cast(column + literal(1), Date)

    def later_date(self, a: Any, b: Any) -> ColumnElement[Any]:
        """The later of a date expression and the date of a UTC time (the date when the time is NULL)."""
        if self.sqlite:
            return func.max(a, func.coalesce(func.date(b), a))
        return func.greatest(a, func.coalesce(cast(func.timezone("UTC", b), Date), a))

    def date_of(self, column: Any) -> ColumnElement[Any]:
        """The UTC date of a time, as the dialect compares it with a date column."""
        return func.substr(column, 1, 10) if self.sqlite else cast(func.timezone("UTC", column), Date)

    def agg_text(self, column: Any) -> ColumnElement[str]:
        """Texts of a group joined by a unit separator."""
        return func.group_concat(column, "\x1f") if self.sqlite else func.string_agg(column, "\x1f")

    def percentiles(self, session: Session, values: AnySelect, qs: Sequence[float] = (0.5, 0.9)) -> dict[str, Spread]:
        """n, median and 90th percentile of `value` per `grp` of a SELECT with those two columns (NULLs dropped)."""
        sub = values.subquery()
        grp, value = sub.c.grp, sub.c.value
        if not self.sqlite:
            query = (
                select(grp, func.count(), *(func.percentile_cont(q).within_group(value) for q in qs))
                .where(value.is_not(None))
                .group_by(grp)
            )
        else:
            ranked = (
                select(
                    grp.label("grp"),
                    value.label("value"),
                    (func.row_number().over(partition_by=grp, order_by=value) - 1).label("i"),
                    func.count().over(partition_by=grp).label("n"),
                )
                .where(value.is_not(None))
                .subquery()
            )

            def interpolate(q: float) -> ColumnElement[Any]:
                pos = q * (ranked.c.n - 1)
                lo = cast(pos, Integer)
                frac = pos - lo
                return func.sum(
                    case(
                        (ranked.c.i == lo, ranked.c.value * (1 - frac)),
                        (ranked.c.i == lo + 1, ranked.c.value * frac),
                        else_=0.0,
                    )
                )

            query = select(ranked.c.grp, func.max(ranked.c.n), *(interpolate(q) for q in qs)).group_by(ranked.c.grp)
        out: dict[str, Spread] = {}
        for row in session.execute(query):
            key = "" if row[0] is None else str(row[0])
            out[key] = Spread(key=key, n=int(row[1]), median=_round(row[2]), p90=_round(row[3]))
        return out


# SQLite expressions that migrations 0003_insights and 0006_insights_scans index (ix_insights_*): the text must stay
# identical to be used.
SQLITE_SECONDS = "((julianday({end}) - julianday({start})) * 86400.0)"
SQLITE_SEVERITY = "coalesce(severity, 'none')"
SQLITE_MONTH = "strftime('%Y-%m', happened_at)"
SQLITE_GROUPS = {"all": None, "sev": SQLITE_SEVERITY, "month": SQLITE_MONTH}
SQLITE_LATE_CLOSE_MONTH = "CASE WHEN substr(closed_at, 1, 10) > due_date THEN substr(closed_at, 1, 7) ELSE '' END"


def _interpolate(low: float, high: float | None, frac: float) -> float:
    return low if high is None or frac == 0 else low + (high - low) * frac


def _ranks(cursor: Any, walk: str, params: tuple[str, ...], n: int, lo: int) -> tuple[float, float | None]:
    """The values of rank lo and lo + 1 (None past the last) among the n that a walk orders, walked to from the nearer
    end: OFFSET steps through every row it skips."""

    def ranked(order: str, offset: int) -> list[float]:
        return [float(v) for (v,) in cursor.execute(f"{walk} {order} LIMIT 2 OFFSET ?", (*params, offset))]

    if lo < n // 2:
        rows = ranked("ASC", lo)
        return rows[0], rows[1] if len(rows) > 1 else None
    if lo + 1 < n:
        high, low = ranked("DESC", n - 2 - lo)
        return low, high
    return ranked("DESC", 0)[0], None


def sqlite_ranked(
    session: Session,
    *,
    table: str,
    value: str,
    where: str = "",
    group: str | None = None,
    counts: dict[str, int] | None = None,
    qs: Sequence[float] = (0.5, 0.9),
) -> dict[str, Spread]:
    """Percentiles per group by walking to the k-th value (ORDER BY … LIMIT 2 OFFSET k), which an index on
    (group, value) answers without sorting. Many small statements: they go straight to the sqlite3 cursor."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cond = f"{value} IS NOT NULL" + (f" AND {where}" if where else "")
    if counts is None:
        if group is None:
            counts = {"all": int(cursor.execute(f"SELECT count(*) FROM {table} WHERE {cond}").fetchone()[0])}
        else:
            sql = f"SELECT {group}, count(*) FROM {table} WHERE {cond} GROUP BY 1"
            counts = {str(k): int(n) for k, n in cursor.execute(sql).fetchall()}
    walk = f"SELECT {value} FROM {table} WHERE {cond if group is None else f'{group} = ? AND {cond}'} ORDER BY {value}"
    out: dict[str, Spread] = {}
    for key, n in counts.items():
        if n == 0:
            continue
        values: list[float] = []
        for q in qs:
            pos = q * (n - 1)
            lo = int(pos)
            values.append(_interpolate(*_ranks(cursor, walk, () if group is None else (key,), n, lo), pos - lo))
        out[key] = Spread(key=key, n=n, median=_round(values[0]), p90=_round(values[1]))
    cursor.close()
    return out


def overall_spread(
    session: Session, dialect: Dialect, values: AnySelect, qs: Sequence[float] = (0.5, 0.9), n: int | None = None
) -> Spread:
    """Median and p90 of the `value` column of a SELECT, as one group: percentile_cont, or on SQLite a walk to the
    k-th value of the sorted values (one sort each, cheaper than numbering every row)."""
    sub = values.subquery()
    value = sub.c.value
    if not dialect.sqlite:
        return spread_of(session.execute(select(*spread_columns(value, qs))).one())
    if n is None:
        n = int(session.scalar(select(func.count()).where(value.is_not(None))) or 0)
    if n == 0:
        return Spread(key="all", n=0)
    # One sort: read the sorted values from the lowest needed rank to the highest, and pick the ranks.
    positions = [q * (n - 1) for q in qs]
    first = int(min(positions))
    last = min(int(max(positions)) + 1, n - 1)
    rows = [
        float(v)
        for (v,) in session.execute(
            select(value).where(value.is_not(None)).order_by(value).limit(last - first + 1).offset(first)
        )
    ]
    found = []
    for pos in positions:
        lo = int(pos) - first
        found.append(_interpolate(rows[lo], rows[lo + 1] if lo + 1 < len(rows) else None, pos - int(pos)))
    return Spread(key="all", n=n, median=_round(found[0]), p90=_round(found[1]))


def spread_columns(value: Any, qs: Sequence[float] = (0.5, 0.9)) -> list[ColumnElement[Any]]:
    """PostgreSQL aggregates of one group's n, median and p90 of a value (NULLs ignored): they can join the other
    aggregates of a SELECT, so that one scan computes both."""
    return [func.count(value), *(func.percentile_cont(q).within_group(value) for q in qs)]


def spread_of(row: Sequence[Any]) -> Spread:
    """The Spread of the columns of spread_columns()."""
    return Spread(key="all", n=int(row[0]), median=_round(row[1]), p90=_round(row[2]))


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


HIDDEN_LISTED = 500  # up to this many incidents hidden from an actor are excluded by id (see hidden_incidents)


def hidden_incidents(session: Session, actor: Actor) -> list[int] | None:
    """The ids of the private incidents the actor may not see, when there are at most HIDDEN_LISTED of them (None
    when more): excluding a few ids lets every query keep its index order, where the visibility rule itself
    (`visible_clause`, of which this is the complement) would be tested on every row."""
    if actor.is_admin:
        return []
    found = session.scalars(
        select(Incident.id).where(~visible_clause(actor, Incident.id, Incident.private)).limit(HIDDEN_LISTED + 1)
    ).all()
    return None if len(found) > HIDDEN_LISTED else list(found)


def scope_conditions(
    *,
    actor: Actor,
    since: date | None,
    until: date | None,
    team: str | None,
    service: str | None,
    severity: str | None = None,
    kind: str | None = None,
    category_values: Sequence[str] | None = None,
    hidden: Sequence[int] | None = None,
) -> list[ColumnElement[bool]]:
    """Conditions on incidents: those the actor may see, in a date range (by when they happened: an incident whose
    date is unknown is in no range), of a team or service label, of a severity and kind, and carrying one of the
    stored category values (those that mean a category of the taxonomy: insights/filters.py finds them).

    `hidden` (from `hidden_incidents`, the same rule) lists the incidents the actor may not see, to be left out by
    id; without it the visibility rule is a condition of its own. Labels and categories are each one set of ids,
    computed once per query (not a subquery per incident)."""
    when = Incident.happened_at
    conditions: list[ColumnElement[bool]] = []
    if hidden is not None:
        if hidden:
            conditions.append(Incident.id.not_in(list(hidden)))
    elif not actor.is_admin:
        conditions.append(visible_clause(actor, Incident.id, Incident.private))
    if since is not None:
        conditions.append(when >= datetime.combine(since, time(), tzinfo=UTC))
    if until is not None:
        conditions.append(when < datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC))
    for label_kind, value in (("team", team), ("service", service)):
        if value:
            # An alias, so that queries which join incident_labels themselves keep their own.
            label = aliased(IncidentLabel)
            conditions.append(
                Incident.id.in_(
                    select(label.incident_id).where(
                        label.kind == label_kind, func.lower(label.value) == value.strip().lower()
                    )
                )
            )
    # Severity and kind are tested on each incident the other conditions keep (through an expression, which no
    # index serves): "incident" or "SEV2" is most incidents, so reading them through an index costs a lookup each.
    if severity:
        conditions.append(func.upper(Incident.severity) == severity.strip().upper())
    if kind:
        conditions.append(func.lower(Incident.kind) == kind)
    if category_values is not None:
        carried = aliased(InsightCategory)
        conditions.append(
            Incident.id.in_(select(carried.incident_id).where(carried.value.in_(list(category_values) or [""])))
        )
    return conditions


def category_slug(column: Any, taxonomy: Sequence[Category]) -> ColumnElement[str | None]:
    """A stored category value mapped to its taxonomy slug (by slug, name or alias), NULL when it names none."""
    from afteraction.analysis.categories import taxonomy_index

    index = taxonomy_index(taxonomy)
    if not index:
        return literal(None)
    return case(*((func.lower(func.trim(column)) == key, literal(slug)) for key, slug in index.items()), else_=None)
