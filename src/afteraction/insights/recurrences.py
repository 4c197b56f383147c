"""Recurrences: which categories incidents share, and the evidence that a later incident repeats an earlier one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from afteraction.actions.models import ActionItem
from afteraction.analysis.categories import Category, taxonomy_index
from afteraction.analysis.insights import (
    recurrence_message,
)
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.insights.models import InsightCategory
from afteraction.insights.schemas import (
    ActionRef,
    Recurrence,
)
from afteraction.insights.sql import (
    AnySelect,
)


def category_mapping(session: Session, taxonomy: Sequence[Category]) -> dict[str, str]:
    """The stored category values (few) that the taxonomy knows, each with its slug.

    The values are found by skipping through the (value, incident_id) index, one seek per value (a recursive query),
    not by reading the categories of every incident.
    """
    index = taxonomy_index(taxonomy)
    found = select(func.min(InsightCategory.value).label("value")).cte("found", recursive=True)
    following = select(func.min(InsightCategory.value)).where(InsightCategory.value > found.c.value)
    found = found.union_all(select(following.scalar_subquery()).where(found.c.value.is_not(None)))
    present = session.scalars(select(found.c.value).where(found.c.value.is_not(None))).all()
    return {value: index[value] for value in present if value in index}


def incident_categories(
    session: Session, taxonomy: Sequence[Category], mapping: dict[str, str] | None = None
) -> AnySelect:
    """(incident_id, slug, value) of every incident's categories that the taxonomy knows (by slug, name or alias).

    The stored values are few, so they are mapped to slugs here and the database gets a short CASE over them.
    """
    mapping = category_mapping(session, taxonomy) if mapping is None else mapping
    slug: ColumnElement[Any] = (
        case(mapping, value=InsightCategory.value, else_=None) if mapping else literal(None, type_=String)
    )
    return select(
        InsightCategory.incident_id.label("incident_id"), slug.label("slug"), InsightCategory.value.label("value")
    ).where(InsightCategory.value.in_(list(mapping) or [""]))


def item_refs(session: Session, incident_ids: Sequence[int]) -> dict[int, list[ActionRef]]:
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
    mapping: dict[str, str] | None = None,
) -> Recurrence:
    """The evidence that `later` resembles `earlier`: shared categories and services, the fate of earlier fixes."""
    cats = incident_categories(session, taxonomy, mapping).subquery()
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
    items = evidence_items(item_refs(session, [earlier.id]).get(earlier.id, []))
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
