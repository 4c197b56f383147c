"""Who belongs to an incident: the members who may see it when it is private.

Everyone who may see an incident may list its members, by name and role; their e-mail addresses only admins see.
Only admins (and the system) and editors who are members of an incident may add or remove its members. Anyone else
is refused before the named user is looked up, so the answer is the same whether that user exists or not: nobody
learns the accounts of the server by trying names.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afteraction.accounts.models import User
from afteraction.accounts.service import find_user
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import NotFound, PermissionDenied
from afteraction.incidents.models import Incident, IncidentMember
from afteraction.incidents.service import load_incident


class MemberView(BaseModel):
    """A member of an incident: name, role and whether the account is active; the e-mail address for admins only
    (None for everyone else)."""

    name: str
    role: str
    active: bool = True
    email: str | None = None


def _member_view(user: User, actor: Actor) -> MemberView:
    """A member as `actor` may see them: the e-mail address only when the actor is an admin."""
    return MemberView(name=user.name, role=user.role, active=user.active, email=user.email if actor.is_admin else None)


def _may_manage_members(session: Session, actor: Actor, incident: Incident) -> bool:
    """Whether the actor may add and remove the incident's members: admins (and the system), and editors who are
    members of it."""
    if actor.is_admin:
        return True
    if not actor.can("editor") or actor.user_id is None:
        return False
    found = session.scalar(
        select(IncidentMember.id).where(
            IncidentMember.incident_id == incident.id, IncidentMember.user_id == actor.user_id
        )
    )
    return found is not None


def _check_may_manage(session: Session, actor: Actor, incident: Incident) -> None:
    # Before any user is looked up: the refusal must not depend on whether the named user exists.
    if not _may_manage_members(session, actor, incident):
        raise PermissionDenied(f"only admins and editors who are members of {incident.key} may change its members")


def list_members(db: Database, *, incident_id: str, actor: Actor) -> list[MemberView]:
    """The members of an incident (who may see it when it is private), with e-mail addresses for admins only."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        users = session.scalars(
            select(User)
            .join(IncidentMember, IncidentMember.user_id == User.id)
            .where(IncidentMember.incident_id == incident.id)
            .order_by(User.name)
        )
        return [_member_view(user, actor) for user in users]


def add_member(db: Database, *, incident_id: str, user: str, actor: Actor) -> MemberView:
    """Make a user a member of an incident; adding a member twice changes nothing. PermissionDenied unless the actor
    may manage its members (whether or not the user exists), then NotFound for a user who does not exist."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        _check_may_manage(session, actor, incident)
        member = find_user(session, user)
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
        return _member_view(member, actor)


def remove_member(db: Database, *, incident_id: str, user: str, actor: Actor) -> None:
    """Take a user off an incident's members. PermissionDenied unless the actor may manage its members, then
    NotFound when the user is not a member."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        _check_may_manage(session, actor, incident)
        row = session.scalar(
            select(IncidentMember)
            .join(User, IncidentMember.user_id == User.id)
            .where(IncidentMember.incident_id == incident.id, func.lower(User.name) == user.strip().lower())
        )
        if row is None:
            raise NotFound(f"{user!r} is not a member of {incident.key}")
        session.delete(row)
