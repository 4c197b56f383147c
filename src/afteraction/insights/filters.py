"""Which incidents insights are over: a time range (dates, or a quarter), a team, a service, a severity, a kind and a
category. One filter for every face: the insights page keeps it in its address (so a view can be shared), the API
and `afteraction insights` take the same fields, and each number links to the incidents behind it with it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from afteraction.analysis.categories import Category, taxonomy_index
from afteraction.core.actor import Actor
from afteraction.core.errors import InvalidInput
from afteraction.domain.incidents import KINDS
from afteraction.incidents.models import Incident
from afteraction.insights.recurrences import category_mapping
from afteraction.insights.schemas import InsightsFilter, quarter_range
from afteraction.insights.sql import hidden_incidents, scope_conditions


def quarter_of(day: date) -> str:
    """The quarter a day is in, as `2026-Q3`."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def check_filter(raw: InsightsFilter, *, severities: Sequence[str], taxonomy: Sequence[Category]) -> InsightsFilter:
    """The filter (insights/schemas.py) with its words checked and spelled as stored: a kind of KINDS, a severity of
    the configured ones, a category by its slug, name or alias (as its slug); a quarter with dates, or a range that
    ends before it starts, refused. Each refusal is an InvalidInput naming its field and the choices."""
    values = {name: _clean(value) if isinstance(value, str) else value for name, value in raw.model_dump().items()}
    if values["quarter"]:
        values["quarter"] = quarter_of(quarter_range(values["quarter"])[0])
        if values["since"] or values["until"]:
            raise InvalidInput("give a quarter or a range of dates (since, until), not both", field="quarter")
    if values["since"] and values["until"] and values["until"] < values["since"]:
        raise InvalidInput(f"the range ends ({values['until']}) before it starts ({values['since']})", field="until")
    if values["kind"]:
        if values["kind"].lower() not in KINDS:
            raise InvalidInput(f"unknown kind {values['kind']!r}: one of {', '.join(KINDS)}", field="kind")
        values["kind"] = values["kind"].lower()
    if values["severity"]:
        known = {severity.upper(): severity for severity in severities}
        if values["severity"].upper() not in known:
            raise InvalidInput(
                f"unknown severity {values['severity']!r}: one of {', '.join(severities)}", field="severity"
            )
        values["severity"] = known[values["severity"].upper()]
    if values["category"]:
        slug = taxonomy_index(taxonomy).get(values["category"].lower())
        if slug is None:
            names = ", ".join(category.slug for category in taxonomy)
            raise InvalidInput(f"unknown category {values['category']!r}: one of {names}", field="category")
        values["category"] = slug
    return InsightsFilter(**values)


def filter_conditions(
    session: Session,
    scope: InsightsFilter,
    *,
    actor: Actor,
    taxonomy: Sequence[Category],
    mapping: dict[str, str] | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions on incidents of a (checked) filter, for the actor: only incidents they may see."""
    values: list[str] | None = None
    if scope.category:
        mapping = category_mapping(session, taxonomy) if mapping is None else mapping
        values = [value for value, slug in mapping.items() if slug == scope.category]
    hidden = hidden_incidents(session, actor)
    narrowing = scope_conditions(
        actor=Actor.system(), since=scope.start, until=scope.end, team=scope.team, service=scope.service,
        severity=scope.severity, kind=scope.kind, category_values=values,
    )  # fmt: skip
    visible = scope_conditions(actor=actor, since=None, until=None, team=None, service=None, hidden=hidden)
    if not narrowing:
        return visible
    # The filter as one set of incident ids, computed once per query: each figure's query keeps the plan it has
    # without a filter (its index order) and tests each incident against the set. A filter that keeps most
    # incidents ("kind incident") is the complement of the few it leaves out: a smaller set, and none at all when
    # it leaves out nothing.
    kept = select(Incident.id).where(*narrowing)
    matched = session.scalar(select(func.count()).select_from(kept.subquery())) or 0
    total = session.scalar(select(func.count(Incident.id))) or 0
    if matched >= total:
        return visible
    if matched * 2 <= total:
        return [*visible, Incident.id.in_(kept.scalar_subquery())]
    left_out = select(Incident.id).except_(kept).subquery()
    return [*visible, Incident.id.not_in(select(left_out.c.id).scalar_subquery())]
