"""The one visibility rule: everyone sees public incidents; private ones only their members, admins and the system.

It is written once as a query clause (for every list, search and aggregate) and once as a check (for one loaded
incident). It names the membership table by name rather than importing the incidents area, so that every layer
above core can use it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, column, exists, or_, select, table, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLCoreOperations

from afteraction.core.actor import Actor

_MEMBERS = table("incident_members", column("incident_id"), column("user_id"))


def visible_clause(
    actor: Actor, incident_id: SQLCoreOperations[int], private: SQLCoreOperations[bool]
) -> ColumnElement[bool]:
    """A WHERE condition keeping the incidents the actor may see, given the columns of the incident's id and flag."""
    if actor.is_admin:
        return true()
    # A correlated EXISTS reads one index entry per private incident, where IN (subquery) would list every
    # membership of the user for each one.
    member = exists().where(_MEMBERS.c.incident_id == incident_id, _MEMBERS.c.user_id == actor.user_id)
    return or_(private.is_(False), member)


def can_see(session: Session, actor: Actor, incident_id: int, private: bool) -> bool:
    """Whether the actor may see one incident, given its id and private flag."""
    if actor.is_admin or not private:
        return True
    found = session.execute(
        select(_MEMBERS.c.incident_id).where(_MEMBERS.c.incident_id == incident_id, _MEMBERS.c.user_id == actor.user_id)
    ).first()
    return found is not None
