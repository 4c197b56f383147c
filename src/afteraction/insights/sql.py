"""Dialect-specific SQL expressions that the insights queries share: months, durations, days, percentiles.

Everything aggregates in the database; percentiles are percentile_cont on PostgreSQL and, on SQLite, the same linear
interpolation computed with ROW_NUMBER and COUNT window functions over each group.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeAlias

from sqlalchemy import Date, Float, Integer, Select, case, cast, exists, func, literal, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from afteraction.analysis.categories import Category
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.insights.schemas import Spread

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"


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

    def date_month(self, column: Any) -> ColumnElement[str]:
        """`YYYY-MM` of a date column or date expression."""
        return func.strftime("%Y-%m", column) if self.sqlite else func.to_char(column, "YYYY-MM")

    def seconds(self, start: Any, end: Any) -> ColumnElement[float]:
        """end − start in seconds."""
        if self.sqlite:
            return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
        return cast(func.extract("epoch", end - start), Float)

    def day_number(self, column: Any) -> ColumnElement[float]:
        """A whole day count of a UTC time's date (only differences mean anything)."""
        if self.sqlite:
            return cast(func.julianday(func.date(column)), Float)
        return cast(func.floor(func.extract("epoch", column) / 86400.0), Float)

    def weekday(self, column: Any) -> ColumnElement[int]:
        """The weekday of a UTC time, Sunday 0 to Saturday 6."""
        if self.sqlite:
            return cast(func.strftime("%w", column), Integer)
        return cast(func.extract("dow", func.timezone("UTC", column)), Integer)

    def day_after(self, column: Any) -> ColumnElement[Any]:
        """The date after a date column."""
        return func.date(column, "+1 day") if self.sqlite else cast(column + literal(1), Date)

    def later_date(self, a: Any, b: Any) -> ColumnElement[Any]:
        """The later of a date expression and the date of a UTC time (the date when the time is NULL)."""
        if self.sqlite:
            return func.max(a, func.coalesce(func.date(b), a))
        return func.greatest(a, func.coalesce(cast(func.timezone("UTC", b), Date), a))

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


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def scope_conditions(
    *, since: date | None, until: date | None, team: str | None, service: str | None
) -> list[ColumnElement[bool]]:
    """Conditions on incidents for a date range (by start, else creation) and a team or service label."""
    when = func.coalesce(Incident.started_at, Incident.created_at)
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(when >= datetime.combine(since, time(), tzinfo=UTC))
    if until is not None:
        conditions.append(when < datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC))
    for kind, value in (("team", team), ("service", service)):
        if value:
            # An alias, so that queries which join incident_labels themselves keep their own.
            label = aliased(IncidentLabel)
            conditions.append(
                exists()
                .where(
                    label.incident_id == Incident.id,
                    label.kind == kind,
                    func.lower(label.value) == value.strip().lower(),
                )
                .correlate(Incident)
            )
    return conditions


def category_slug(column: Any, taxonomy: Sequence[Category]) -> ColumnElement[str | None]:
    """A stored category value mapped to its taxonomy slug (by slug, name or alias), NULL when it names none."""
    from afteraction.analysis.categories import taxonomy_index

    index = taxonomy_index(taxonomy)
    if not index:
        return literal(None)
    return case(*((func.lower(func.trim(column)) == key, literal(slug)) for key, slug in index.items()), else_=None)
