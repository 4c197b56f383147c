"""A person's inbox: the post-mortems awaiting their review, their open action items (overdue first), and the
post-mortems they author that are due. The dashboard, `GET /api/v1/me/inbox` and `afteraction inbox` show the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, joinedload

from afteraction.accounts.models import User
from afteraction.actions.models import ActionItem
from afteraction.actions.service import view_of
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import InvalidInput
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import OPEN_ACTION_STATUSES, ActionItemView
from afteraction.incidents.models import Incident
from afteraction.people.models import Person
from afteraction.people.service import find_person, person_of_actor
from afteraction.reviews.models import Postmortem, PostmortemPerson, ReviewEvent
from afteraction.reviews.workflow import current_approvals

DUE_WITHIN_DAYS = 7  # a post-mortem counts as due from a week before its due date


class ReviewWaiting(BaseModel):
    """A post-mortem waiting for this person's review."""

    id: str
    title: str
    severity: str | None = None
    requested_at: datetime | None = None
    requested_by: str | None = None
    approvals: list[str] = Field(default_factory=list)


class PostmortemDue(BaseModel):
    """A post-mortem this person authors that is due (or overdue) and not yet published."""

    id: str
    title: str
    status: str
    due_date: date
    overdue: bool


class Inbox(BaseModel):
    """What waits for one person (`person` is null when the signed-in account has no person yet)."""

    person: str | None = None
    reviews: list[ReviewWaiting] = Field(default_factory=list)
    actions: list[ActionItemView] = Field(default_factory=list)
    postmortems_due: list[PostmortemDue] = Field(default_factory=list)


def inbox(db: Database, *, actor: Actor, person: str | None = None, today: date | None = None) -> Inbox:
    """The inbox of `person` (a name, e-mail or handle; the command line's --as) or else of the actor, over the
    incidents the actor may see."""
    today = today or utcnow().date()
    with db.transaction() as session:
        who = find_person(session, person, add=False).person if person else person_of_actor(session, actor)
        if who is None:
            if actor.is_system:
                raise InvalidInput(f"'{actor.name}' matches nobody in the directory of people", field="as")
            return Inbox()
        visible = visible_clause(actor, Incident.id, Incident.private)
        return Inbox(
            person=who.name,
            reviews=_reviews(session, who, visible),
            actions=_actions(session, who, visible, today),
            postmortems_due=_due(session, who, visible, today),
        )


def _names_of(session: Session, person: Person) -> set[str]:
    """The names a person's approvals are recorded under: theirs and their account's, in lower case."""
    names = {person.name.lower()}
    if person.user_id is not None:
        user = session.get(User, person.user_id)
        if user is not None:
            names.add(user.name.lower())
    return names


def _reviews(session: Session, person: Person, visible: ColumnElement[bool]) -> list[ReviewWaiting]:
    names = _names_of(session, person)
    rows = session.scalars(
        select(Postmortem)
        .join(PostmortemPerson, PostmortemPerson.postmortem_id == Postmortem.id)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(
            PostmortemPerson.person_id == person.id,
            PostmortemPerson.role == "reviewer",
            Postmortem.status == "in-review",
            visible,
        )
        .options(joinedload(Postmortem.incident))
        .order_by(Incident.number)
    )
    waiting: list[ReviewWaiting] = []
    for pm in rows:
        approvals = current_approvals(session, pm)
        if names & {name.lower() for name in approvals}:
            continue
        request = session.scalars(
            select(ReviewEvent)
            .where(ReviewEvent.postmortem_id == pm.id, ReviewEvent.action == "request")
            .order_by(ReviewEvent.id.desc())
            .limit(1)
        ).first()
        waiting.append(
            ReviewWaiting(
                id=pm.incident.key,
                title=pm.incident.title,
                severity=pm.incident.severity,
                requested_at=request.at if request else None,
                requested_by=request.actor if request else None,
                approvals=approvals,
            )
        )
    return waiting


def _actions(session: Session, person: Person, visible: ColumnElement[bool], today: date) -> list[ActionItemView]:
    items = session.scalars(
        select(ActionItem)
        .join(Incident, ActionItem.incident_id == Incident.id)
        .where(ActionItem.owner_id == person.id, ActionItem.status.in_(OPEN_ACTION_STATUSES), visible)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
        .order_by(ActionItem.due_date.asc().nulls_last(), ActionItem.id)
    )
    views = [view_of(item, today=today) for item in items]
    return sorted(views, key=lambda view: not view.overdue)  # overdue first, each part by due date


def _due(session: Session, person: Person, visible: ColumnElement[bool], today: date) -> list[PostmortemDue]:
    rows = session.scalars(
        select(Postmortem)
        .join(PostmortemPerson, PostmortemPerson.postmortem_id == Postmortem.id)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(
            PostmortemPerson.person_id == person.id,
            PostmortemPerson.role == "author",
            Postmortem.status.in_(("draft", "in-review", "approved")),
            Postmortem.due_date.is_not(None),
            Postmortem.due_date <= today + timedelta(days=DUE_WITHIN_DAYS),
            visible,
        )
        .options(joinedload(Postmortem.incident))
        .order_by(Postmortem.due_date, Incident.number)
    )
    return [
        PostmortemDue(
            id=pm.incident.key,
            title=pm.incident.title,
            status=pm.status,
            due_date=pm.due_date,
            overdue=pm.due_date < today,
        )
        for pm in rows
        if pm.due_date is not None
    ]
