"""Use cases of the action-item board of the web app: the open items across incidents with their tracker links."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from afteraction.actions.models import ActionItem
from afteraction.actions.service import view_of
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.validation import check_choice
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import OPEN_ACTION_STATUSES, ActionItemView
from afteraction.incidents.models import Incident
from afteraction.incidents.service import parse_incident_id
from afteraction.people.models import Person


class BoardItem(ActionItemView):
    """An action item on the board: its view, with the address of its tracker issue once synced."""

    tracker_url: str | None = None  # shown, unlike the view's
    days_overdue: int = 0


def action_board(
    db: Database,
    *,
    owner: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    incident_id: str | None = None,
    limit: int = 500,
    today: date | None = None,
    actor: Actor,
) -> list[BoardItem]:
    """Open (or in-progress) action items across the incidents the actor may see, soonest due first."""
    today = today or utcnow().date()
    query = (
        select(ActionItem)
        .join(Incident, ActionItem.incident_id == Incident.id)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
    )
    query = query.where(visible_clause(actor, Incident.id, Incident.private))
    statuses = (check_choice(status, OPEN_ACTION_STATUSES, "status"),) if status else OPEN_ACTION_STATUSES
    query = query.where(ActionItem.status.in_(statuses))
    if overdue:
        query = query.where(ActionItem.due_date < today)
    if owner:
        if owner == "-":
            query = query.where(ActionItem.owner_id.is_(None))
        else:
            query = query.join(Person, ActionItem.owner_id == Person.id).where(
                func.lower(Person.name) == owner.strip().lower()
            )
    if incident_id:
        query = query.where(Incident.number == parse_incident_id(incident_id))
    query = query.order_by(ActionItem.due_date.asc().nulls_last(), Incident.number, ActionItem.position).limit(limit)
    with db.transaction() as session:
        items = []
        for row in session.scalars(query):
            view = view_of(row, today=today)
            late = (today - row.due_date).days if view.overdue and row.due_date is not None else 0
            items.append(BoardItem(**view.model_dump(), tracker_url=view.tracker_url, days_overdue=late))
        return items


def board_owners(db: Database, *, actor: Actor) -> list[str]:
    """The owners of open action items the actor may see, for the board's filter."""
    query = (
        select(Person.name)
        .join(ActionItem, ActionItem.owner_id == Person.id)
        .join(Incident, ActionItem.incident_id == Incident.id)
        .where(ActionItem.status.in_(OPEN_ACTION_STATUSES))
        .distinct()
    )
    query = query.where(visible_clause(actor, Incident.id, Incident.private))
    with db.transaction() as session:
        return sorted(session.scalars(query), key=str.lower)


def board_counts(db: Database, *, today: date | None = None, actor: Actor) -> tuple[int, int]:
    """How many action items the actor may see are open, and how many of those are overdue (counted in SQL)."""
    today = today or utcnow().date()
    overdue = func.count().filter(ActionItem.due_date < today)
    query = (
        select(func.count(), overdue)
        .select_from(ActionItem)
        .join(Incident, ActionItem.incident_id == Incident.id)
        .where(ActionItem.status.in_(OPEN_ACTION_STATUSES))
    )
    query = query.where(visible_clause(actor, Incident.id, Incident.private))
    with db.transaction() as session:
        row = session.execute(query).one()
        return int(row[0] or 0), int(row[1] or 0)
