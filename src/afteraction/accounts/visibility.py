"""Who may see which incident: everyone sees public ones; private ones only their members and admins."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from afteraction.accounts.models import IncidentMember
from afteraction.accounts.schemas import Principal
from afteraction.incidents.models import Incident


def visible_clause(viewer: Principal | None) -> ColumnElement[bool] | None:
    """A WHERE condition on Incident that keeps what the viewer may see; None when it sees everything."""
    if viewer is None or viewer.is_admin:
        return None
    members = select(IncidentMember.incident_id).where(IncidentMember.user_id == viewer.user_id)
    return or_(Incident.private.is_(False), Incident.id.in_(members))


def can_see(session: Session, incident: Incident, viewer: Principal | None) -> bool:
    """Whether the viewer may see this incident (None is the local admin of the CLI: it sees everything)."""
    if viewer is None or viewer.is_admin or not incident.private:
        return True
    found = session.scalar(
        select(IncidentMember.id).where(
            IncidentMember.incident_id == incident.id, IncidentMember.user_id == viewer.user_id
        )
    )
    return found is not None
