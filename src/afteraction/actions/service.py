"""Use cases of action items: add, update, list (open, overdue, by owner)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from afteraction.accounts.schemas import Principal
from afteraction.accounts.visibility import can_see, visible_clause
from afteraction.actions.models import ActionItem
from afteraction.actions.schemas import (
    ACTION_STATUSES,
    ACTION_TYPES,
    CLOSED_ACTION_STATUSES,
    OPEN_ACTION_STATUSES,
    PRIORITIES,
    ActionItemView,
)
from afteraction.db import Database, utcnow
from afteraction.errors import Conflict, InvalidInput, NotFound
from afteraction.incidents.models import Incident, Person
from afteraction.incidents.service import check_choice, get_or_create_person, load_incident, parse_incident_id
from afteraction.reviews.models import Postmortem
from afteraction.reviews.policy import Policy
from afteraction.reviews.workflow_service import settle_closures

_ACTION_KEY = re.compile(r"^(?:AI-)?(\d+)$", re.IGNORECASE)


def parse_action_id(value: str) -> int:
    """The number of an action item id such as `AI-7` (or `7`)."""
    match = _ACTION_KEY.match(value.strip())
    if not match:
        raise InvalidInput(f"not an action item id: {value!r} (expected AI-<number>)", field="action_id")
    return int(match.group(1))


def view_of(item: ActionItem, *, today: date | None = None) -> ActionItemView:
    """The domain view of an action item row."""
    today = today or utcnow().date()
    return ActionItemView(
        id=f"AI-{item.id}",
        incident_id=item.incident.key,
        incident_title=item.incident.title,
        title=item.title,
        type=item.type,
        owner=item.owner.name if item.owner else None,
        due=item.due_date,
        priority=item.priority,
        status=item.status,
        status_reason=item.status_reason,
        tracker=item.tracker_key,
        tracker_url=item.tracker_url,
        opened_at=item.opened_at,
        closed_at=item.closed_at,
        overdue=item.status in OPEN_ACTION_STATUSES and item.due_date is not None and item.due_date < today,
        version=item.version,
    )


def _load(session: Session, action_id: str, viewer: Principal | None = None) -> ActionItem:
    number = parse_action_id(action_id)
    item = session.scalar(
        select(ActionItem)
        .where(ActionItem.id == number)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
    )
    if item is None or not can_see(session, item.incident, viewer):
        raise NotFound(f"no action item AI-{number}")
    return item


def get_action(db: Database, *, action_id: str, viewer: Principal | None = None) -> ActionItemView:
    """One action item by id."""
    with db.transaction() as session:
        return view_of(_load(session, action_id, viewer))


def add_action(
    db: Database,
    *,
    incident_id: str,
    title: str,
    owner: str | None = None,
    due: date | None = None,
    type: str | None = None,
    priority: str | None = None,
    policy: Policy | None = None,
    viewer: Principal | None = None,
) -> ActionItemView:
    """Add an action item to an incident's post-mortem; without a due date it gets the policy's for its priority."""
    if not title.strip():
        raise InvalidInput("the action item title must not be empty", field="title")
    type = check_choice(type, ACTION_TYPES, "type") if type else None
    priority = check_choice(priority, PRIORITIES, "priority") if priority else None
    if due is None and policy is not None:
        due = policy.action_due_date(priority=priority, opened=utcnow().date())
    with db.transaction() as session:
        incident = load_incident(session, incident_id, viewer)
        position = session.scalar(
            select(func.coalesce(func.max(ActionItem.position), -1) + 1).where(ActionItem.incident_id == incident.id)
        )
        item = ActionItem(
            incident=incident,
            title=title.strip(),
            owner=get_or_create_person(session, owner) if owner and owner.strip() else None,
            due_date=due,
            type=type,
            priority=priority,
            status="open",
            position=position or 0,
        )
        session.add(item)
        session.flush()
        return view_of(item)


def update_action(
    db: Database,
    *,
    action_id: str,
    status: str | None = None,
    owner: str | None = None,
    due: date | None = None,
    title: str | None = None,
    type: str | None = None,
    priority: str | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    viewer: Principal | None = None,
    actor: str | None = None,
) -> ActionItemView:
    """Change an action item; closing it stamps the time, wont-do needs a reason, a finished post-mortem closes."""
    # The post-mortem's close (or reopen) is recorded in its history as done by the actor, else the viewer.
    who = (actor or "").strip() or (viewer.name if viewer else "") or "afteraction"
    try:
        return _update_action(
            db, action_id, status, owner, due, title, type, priority, reason, expected_version, viewer, who
        )
    except StaleDataError:
        # Another writer committed between our read and our versioned UPDATE.
        with db.transaction() as session:
            current = session.scalar(select(ActionItem.version).where(ActionItem.id == parse_action_id(action_id)))
        raise Conflict(
            f"AI-{parse_action_id(action_id)} was changed meanwhile (version {current}, yours {expected_version})",
            current_version=current,
        ) from None


def _update_action(
    db: Database,
    action_id: str,
    status: str | None,
    owner: str | None,
    due: date | None,
    title: str | None,
    type: str | None,
    priority: str | None,
    reason: str | None,
    expected_version: int | None,
    viewer: Principal | None,
    actor: str,
) -> ActionItemView:
    with db.transaction() as session:
        item = _load(session, action_id, viewer)
        if expected_version is not None and item.version != expected_version:
            raise Conflict(
                f"AI-{item.id} was changed meanwhile (version {item.version}, yours {expected_version})",
                current_version=item.version,
            )
        if title is not None:
            if not title.strip():
                raise InvalidInput("the action item title must not be empty", field="title")
            item.title = title.strip()
        if owner is not None:
            item.owner = get_or_create_person(session, owner) if owner.strip() else None
        if due is not None:
            item.due_date = due
        if type is not None:
            item.type = check_choice(type, ACTION_TYPES, "type")
        if priority is not None:
            item.priority = check_choice(priority, PRIORITIES, "priority")
        if reason is not None:
            item.status_reason = reason.strip() or None
        if status is not None:
            status = check_choice(status, ACTION_STATUSES, "status")
            if status == "wont-do" and not item.status_reason:
                raise InvalidInput("marking an action item wont-do needs a reason (--reason)", field="reason")
            changed = status != item.status
            if changed:
                item.closed_at = utcnow() if status in CLOSED_ACTION_STATUSES else None
            item.status = status
            session.flush()
            if changed:
                postmortem = session.scalar(select(Postmortem.id).where(Postmortem.incident_id == item.incident_id))
                if postmortem is not None:
                    settle_closures(session, actor=actor, postmortem_ids=[postmortem])
        session.flush()
        return view_of(item)


def list_actions(
    db: Database,
    *,
    incident_id: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
    owner: str | None = None,
    today: date | None = None,
    viewer: Principal | None = None,
) -> list[ActionItemView]:
    """Action items across incidents, soonest due first; filters combine; private incidents' only for members.

    An incident that does not exist (or that the viewer may not see) is NotFound, not an empty list.
    """
    today = today or utcnow().date()
    query = select(ActionItem).options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
    visible = visible_clause(viewer)
    if incident_id or visible is not None:
        query = query.join(Incident, ActionItem.incident_id == Incident.id)
    if incident_id:
        query = query.where(Incident.number == parse_incident_id(incident_id))
    if visible is not None:
        query = query.where(visible)
    if open_only or overdue:
        query = query.where(ActionItem.status.in_(OPEN_ACTION_STATUSES))
    if overdue:
        query = query.where(ActionItem.due_date < today)
    if owner:
        query = query.join(Person, ActionItem.owner_id == Person.id).where(
            func.lower(Person.name) == owner.strip().lower()
        )
    query = query.order_by(ActionItem.due_date.asc().nulls_last(), ActionItem.incident_id, ActionItem.position)
    with db.transaction() as session:
        if incident_id:
            load_incident(session, incident_id, viewer)
        return [view_of(item, today=today) for item in session.scalars(query)]
