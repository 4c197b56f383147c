"""Who belongs to an incident: the members who may see it when it is private."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from afteraction.accounts.models import User
from afteraction.accounts.schemas import UserView
from afteraction.accounts.service import view_of
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import NotFound
from afteraction.incidents.models import IncidentMember
from afteraction.incidents.service import load_incident


def list_members(db: Database, *, incident_id: str, actor: Actor) -> list[UserView]:
    """The members of an incident (who may see it when it is private)."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        users = session.scalars(
            select(User)
            .join(IncidentMember, IncidentMember.user_id == User.id)
            .where(IncidentMember.incident_id == incident.id)
            .order_by(User.name)
        )
        return [view_of(user) for user in users]


def add_member(db: Database, *, incident_id: str, user: str, actor: Actor) -> UserView:
    """Make a user a member of an incident; adding a member twice changes nothing."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        member = session.scalar(select(User).where(User.name == user))
        if member is None:
            raise NotFound(f"no user {user!r}")
        exists = session.scalar(
            select(IncidentMember.id).where(
                IncidentMember.incident_id == incident.id, IncidentMember.user_id == member.id
            )
        )
        if exists is None:
            try:
                with session.begin_nested():
                    session.add(IncidentMember(incident_id=incident.id, user_id=member.id))
            except IntegrityError:
                pass  # added by someone else at the same moment: the result is the same
        return view_of(member)


def remove_member(db: Database, *, incident_id: str, user: str, actor: Actor) -> None:
    """Take a user off an incident's members."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        row = session.scalar(
            select(IncidentMember)
            .join(User, IncidentMember.user_id == User.id)
            .where(IncidentMember.incident_id == incident.id, User.name == user)
        )
        if row is None:
            raise NotFound(f"{user!r} is not a member of {incident.key}")
        session.delete(row)
