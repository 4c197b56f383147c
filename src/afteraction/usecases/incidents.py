"""Incidents as every face shows them: with their post-mortem's status and open action items; recording one starts
its post-mortem."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from afteraction.actions.models import ActionItem
from afteraction.actions.service import open_counts
from afteraction.core.actor import Actor
from afteraction.core.cursors import cursor_int, decode_cursor, encode_cursor
from afteraction.core.db import Database, changed_meanwhile
from afteraction.core.errors import InvalidInput
from afteraction.core.validation import check_choice
from afteraction.core.visibility import visible_clause
from afteraction.domain.incidents import IncidentChanges, IncidentSummary, NewIncident
from afteraction.incidents import service as incidents
from afteraction.incidents.models import Incident
from afteraction.insights.search import refresh_search_index
from afteraction.people.models import Person
from afteraction.people.service import PersonView, list_people
from afteraction.reviews.models import Postmortem, PostmortemPerson
from afteraction.reviews.workflow import start_postmortem, statuses_of
from afteraction.timeline.moments import refresh_moments


def summaries(session: Session, rows: Sequence[Incident]) -> list[IncidentSummary]:
    """Incident rows as faces show them, with post-mortem status and open action counts in two grouped queries."""
    ids = [row.id for row in rows]
    statuses, counts = statuses_of(session, ids), open_counts(session, ids)
    return [
        incidents.summarise(row, postmortem_status=statuses.get(row.id), open_actions=counts.get(row.id, 0))
        for row in rows
    ]


def create_incident(
    db: Database, *, actor: Actor, new: NewIncident, allowed_severities: Sequence[str]
) -> IncidentSummary:
    """Record an incident with an empty draft post-mortem; a signed-in creator becomes its member and author."""
    with db.transaction() as session:
        row = incidents.insert_incident(session, actor=actor, new=new, allowed_severities=allowed_severities)
        refresh_moments(session, row)
        start_postmortem(session, row, authors=[] if actor.is_system else [actor.name])
        refresh_search_index(session, [row.id])  # searchable at once: reads never index
        return summaries(session, [row])[0]


def get_incident(db: Database, *, actor: Actor, incident_id: str) -> IncidentSummary:
    """One incident the actor may see (NotFound otherwise)."""
    with db.transaction() as session:
        return summaries(session, [incidents.load_incident(session, incident_id, actor)])[0]


_WHAT = "this list of incidents"
MAX_PAGE = 500  # incidents per page at most (the API's ?limit=)
DEFAULT_PAGE = 100


def _listed(
    *,
    actor: Actor,
    kind: str | None,
    severity: str | None,
    status: str | None,
    service: str | None,
    allowed_severities: Sequence[str] | None,
) -> Select[Incident]:
    """The incidents the actor may see that pass the filters, newest first (by number, along its unique index)."""
    if severity and allowed_severities:  # kind and status are checked by incidents_query
        severity = check_choice(severity, allowed_severities, "severity")
    query = incidents.incidents_query(kind=kind, severity=severity, status=status, service=service, actor=actor)
    return query.order_by(Incident.number.desc())


def list_incidents(
    db: Database,
    *,
    actor: Actor,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    service: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    allowed_severities: Sequence[str] | None = None,
) -> list[IncidentSummary]:
    """Incidents the actor may see, newest first, filtered by kind, severity, status or service.

    A filter value that no incident could have (an unknown kind, status or severity) is an error, not an empty list.
    """
    query = _listed(
        actor=actor, kind=kind, severity=severity, status=status, service=service, allowed_severities=allowed_severities
    ).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with db.transaction() as session:
        return summaries(session, list(session.scalars(query)))


def page_incidents(
    db: Database,
    *,
    actor: Actor,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    service: str | None = None,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
    offset: int = 0,
    allowed_severities: Sequence[str] | None = None,
) -> tuple[list[IncidentSummary], str | None]:
    """A page of the incidents list_incidents lists: up to `limit` (1 to MAX_PAGE) after `cursor` (None: from the
    newest), and the cursor of the next page (None on the last). Pages are keyset pages (number below the cursor's),
    so a deep page costs what the first does; `offset` (deprecated: for clients that page by offset) skips that many
    first instead, and may not come with a cursor."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: between 1 and {MAX_PAGE} incidents per page", field="limit")
    query = _listed(
        actor=actor, kind=kind, severity=severity, status=status, service=service, allowed_severities=allowed_severities
    )
    if cursor is not None:
        if offset:
            raise InvalidInput("cursor: give either a cursor or an offset, not both", field="cursor")
        _, number = decode_cursor(cursor, _WHAT, ("i",), 2)
        query = query.where(Incident.number < cursor_int(number, _WHAT))
    with db.transaction() as session:
        rows = list(session.scalars((query.offset(offset) if offset else query).limit(limit + 1)))
        more, rows = len(rows) > limit, rows[:limit]
        next_cursor = encode_cursor(["i", rows[-1].number]) if more else None
        return summaries(session, rows), next_cursor


def update_incident(
    db: Database, *, actor: Actor, incident_id: str, changes: IncidentChanges, allowed_severities: Sequence[str]
) -> IncidentSummary:
    """Change an incident; Conflict when it moved past `changes.expected_version` (also by a concurrent writer)."""
    label = f"INC-{incidents.parse_incident_id(incident_id)}"
    stale = changed_meanwhile(label, changes.expected_version, lambda: incidents.current_version(db, incident_id))
    with stale, db.transaction() as session:
        row = incidents.change_incident(
            session, actor=actor, incident_id=incident_id, changes=changes, allowed_severities=allowed_severities
        )
        refresh_moments(session, row)
        refresh_search_index(session, [row.id])
        return summaries(session, [row])[0]


def _people_of(visible: ColumnElement[bool]) -> Select[tuple[int | None]]:
    """The ids of the people (authors, reviewers, action item owners) of the incidents that `visible` keeps."""
    on_postmortems = (
        select(PostmortemPerson.person_id)
        .join(Postmortem, Postmortem.id == PostmortemPerson.postmortem_id)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(visible)
    )
    owners = select(ActionItem.owner_id).join(Incident, Incident.id == ActionItem.incident_id).where(visible)
    return on_postmortems.union(owners)  # type: ignore[return-value]


def person_names(db: Database, *, actor: Actor) -> list[str]:
    """The names of the people (authors, reviewers, action item owners) of the incidents the actor may see, for the
    blame rules: a private incident's people are not known to those who may not see it."""
    visible = visible_clause(actor, Incident.id, Incident.private)
    query = select(Person.name).where(Person.id.in_(_people_of(visible))).order_by(Person.name)
    with db.transaction() as session:
        return list(session.scalars(query))


def directory(db: Database, *, team: str | None = None, query: str | None = None, actor: Actor) -> list[PersonView]:
    """The directory of people as an actor may read it: everyone with a sign-in, everyone named on an incident they
    may see, and everyone named on none (added by hand); the people known only from a private incident the actor
    may not see are left out, as that incident is."""
    found = list_people(db, team=team, query=query)
    if actor.is_admin:
        return found
    visible = visible_clause(actor, Incident.id, Incident.private)
    hidden_only = select(Person.id).where(
        Person.user_id.is_(None),
        Person.id.in_(_people_of(~visible)),
        Person.id.not_in(_people_of(visible)),
    )
    with db.transaction() as session:
        hidden = set(session.scalars(hidden_only))
    return [person for person in found if person.id not in hidden]
