"""Use cases of incidents: create, find, list, update key moments; the only place that writes incidents."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Select, Table, bindparam, delete, exists, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from afteraction.accounts.models import IncidentMember
from afteraction.accounts.schemas import Principal
from afteraction.accounts.visibility import can_see, visible_clause
from afteraction.actions.models import ActionItem
from afteraction.actions.schemas import OPEN_ACTION_STATUSES
from afteraction.db import Database, FastRead, json_rows
from afteraction.errors import Conflict, InvalidInput, NotFound
from afteraction.incidents.models import Incident, IncidentLabel, Person
from afteraction.incidents.schemas import INCIDENT_STATUSES, KINDS, IncidentSummary
from afteraction.reviews.models import Postmortem

LABEL_KINDS: tuple[str, ...] = ("service", "team", "tag", "category")
_KEY = re.compile(r"^(?:INC-)?(\d+)$", re.IGNORECASE)


def parse_incident_id(value: str) -> int:
    """The number of an incident id such as `INC-12` (or `12`)."""
    match = _KEY.match(value.strip())
    if not match:
        raise InvalidInput(f"not an incident id: {value!r} (expected INC-<number>)", field="incident_id")
    return int(match.group(1))


def check_choice(value: str, allowed: Sequence[str], field: str) -> str:
    """Return value if it is one of allowed (case-insensitively matched), else raise InvalidInput."""
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    raise InvalidInput(f"invalid {field} {value!r}: expected one of {', '.join(allowed)}", field=field)


def get_or_create_person(session: Session, name: str) -> Person:
    """The person of that name, created on first mention."""
    clean = name.strip()
    person = session.scalar(select(Person).where(Person.name == clean))
    if person is None:
        person = Person(name=clean)
        session.add(person)
        session.flush()
    return person


def load_incident(session: Session, incident_id: str, viewer: Principal | None = None) -> Incident:
    """The incident row of an id, or NotFound (also when it is private and the viewer may not see it)."""
    number = parse_incident_id(incident_id)
    incident = session.scalar(select(Incident).where(Incident.number == number).options(selectinload(Incident.labels)))
    if incident is None or not can_see(session, incident, viewer):
        raise NotFound(f"no incident INC-{number}")
    return incident


def next_number(session: Session) -> int:
    """The next free incident number."""
    return int(session.scalar(select(func.coalesce(func.max(Incident.number), 0))) or 0) + 1


def set_labels(incident: Incident, kind: str, values: Sequence[str]) -> None:
    """Replace the labels of one kind (services, teams, tags, categories) keeping their order."""
    keep = [label for label in incident.labels if label.kind != kind]
    # Reuse rows whose value stays: the unit of work inserts before it deletes, so a new row would clash.
    existing = {label.value: label for label in incident.labels if label.kind == kind}
    for position, value in enumerate(dict.fromkeys(v.strip() for v in values if v.strip())):
        label = existing.get(value) or IncidentLabel(kind=kind, value=value)
        label.position = position
        keep.append(label)
    incident.labels = keep


def labels_of(incident: Incident, kind: str) -> list[str]:
    """The labels of one kind, in order."""
    return [label.value for label in sorted(incident.labels, key=lambda x: x.position) if label.kind == kind]


def summarise(incident: Incident, *, postmortem_status: str | None = None, open_actions: int = 0) -> IncidentSummary:
    """The domain view of an incident row."""
    return IncidentSummary(
        id=incident.key,
        title=incident.title,
        kind=incident.kind,
        severity=incident.severity,
        status=incident.status,
        private=incident.private,
        services=labels_of(incident, "service"),
        teams=labels_of(incident, "team"),
        tags=labels_of(incident, "tag"),
        categories=labels_of(incident, "category"),
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        postmortem_status=postmortem_status,
        action_items_open=open_actions,
        extra=dict(incident.extra or {}),
        version=incident.version,
        created_at=incident.created_at,
    )


def as_utc(value: datetime | None) -> datetime | None:
    """A zone-aware time converted to UTC (None stays None)."""
    return value.astimezone(UTC) if value is not None else None


def create_incident(
    db: Database,
    *,
    title: str,
    severity: str | None,
    allowed_severities: Sequence[str],
    kind: str = "incident",
    started_at: datetime | None = None,
    services: Sequence[str] = (),
    teams: Sequence[str] = (),
    tags: Sequence[str] = (),
    private: bool = False,
    members: Sequence[int] = (),
) -> IncidentSummary:
    """Record a new incident (with an empty draft post-mortem) and return it; `members` are user ids."""
    if not title.strip():
        raise InvalidInput("title must not be empty", field="title")
    kind = check_choice(kind, KINDS, "kind")
    if severity is not None:
        severity = check_choice(severity, allowed_severities, "severity")
    for attempt in range(3):
        try:
            with db.transaction() as session:
                incident = Incident(
                    number=next_number(session),
                    title=title.strip(),
                    kind=kind,
                    severity=severity,
                    private=private,
                    started_at=as_utc(started_at),
                    extra={},
                    labels=[],
                )
                set_labels(incident, "service", services)
                set_labels(incident, "team", teams)
                set_labels(incident, "tag", tags)
                session.add(incident)
                session.flush()
                session.add(Postmortem(incident_id=incident.id))
                session.add_all(IncidentMember(incident_id=incident.id, user_id=uid) for uid in dict.fromkeys(members))
                return summarise(incident, postmortem_status="draft")
        except IntegrityError:
            # Two writers took the same number at once: take the next one.
            if attempt == 2:
                raise Conflict("could not allocate an incident number; try again") from None
    raise AssertionError("unreachable")


def _summaries(session: Session, incidents: Sequence[Incident]) -> list[IncidentSummary]:
    """Summaries with post-mortem status and open action counts, in two grouped queries."""
    ids = [incident.id for incident in incidents]
    statuses: dict[int, str] = dict(
        session.execute(select(Postmortem.incident_id, Postmortem.status).where(Postmortem.incident_id.in_(ids))).all()
    )
    counts: dict[int, int] = dict(
        session.execute(
            select(ActionItem.incident_id, func.count())
            .where(ActionItem.incident_id.in_(ids), ActionItem.status.in_(OPEN_ACTION_STATUSES))
            .group_by(ActionItem.incident_id)
        ).all()
    )
    return [summarise(i, postmortem_status=statuses.get(i.id), open_actions=counts.get(i.id, 0)) for i in incidents]


MOMENT_FIELDS: tuple[str, ...] = (
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
)

_INCIDENTS = cast(Table, Incident.__table__)
_SUMMARY_COLUMNS = ("id", "title", "kind", "severity", "status", "private", "extra", "version", "created_at")
_LABELS = cast(Table, IncidentLabel.__table__)
_MEMBERS = cast(Table, IncidentMember.__table__)
_POSTMORTEMS = cast(Table, Postmortem.__table__)
_ACTIONS = cast(Table, ActionItem.__table__)
# The hot path of the API (GET /incidents/{id}): one statement (labels aggregated into it), compiled once and run on
# a DB-API cursor (db.FastRead).
_ONE_INCIDENT = FastRead(
    select(
        *(_INCIDENTS.c[name] for name in (*_SUMMARY_COLUMNS, *MOMENT_FIELDS)),
        select(_POSTMORTEMS.c.status)
        .where(_POSTMORTEMS.c.incident_id == _INCIDENTS.c.id)
        .scalar_subquery()
        .label("postmortem_status"),
        select(func.count())
        .where(
            _ACTIONS.c.incident_id == _INCIDENTS.c.id,
            # Our own constants, inlined so the statement has no list parameter to expand on every run.
            _ACTIONS.c.status.in_([literal_column(f"'{status}'") for status in OPEN_ACTION_STATUSES]),
        )
        .scalar_subquery()
        .label("action_items_open"),
        exists()
        .where(_MEMBERS.c.incident_id == _INCIDENTS.c.id, _MEMBERS.c.user_id == bindparam("user_id"))
        .label("is_member"),
        select(json_rows(_LABELS.c.position, _LABELS.c.id, _LABELS.c.kind, _LABELS.c.value))
        .where(_LABELS.c.incident_id == _INCIDENTS.c.id)
        .scalar_subquery()
        .label("labels"),
    ).where(_INCIDENTS.c.number == bindparam("number"))
)
_ONE_INCIDENT_KEYS = tuple(_ONE_INCIDENT.statement.selected_columns.keys())


def get_incident(db: Database, *, incident_id: str, viewer: Principal | None = None) -> IncidentSummary:
    """One incident by id."""
    number = parse_incident_id(incident_id)
    with db.fast_reads() as reader:
        row = reader.first(_ONE_INCIDENT, number=number, user_id=viewer.user_id if viewer else 0)
    if row is None:
        raise NotFound(f"no incident INC-{number}")
    data = dict(zip(_ONE_INCIDENT_KEYS, row, strict=True))
    if viewer is not None and not viewer.is_admin and data["private"] and not data["is_member"]:
        raise NotFound(f"no incident INC-{number}")
    labels: dict[str, list[str]] = {kind: [] for kind in LABEL_KINDS}
    found = data["labels"]  # JSON text on SQLite, already parsed on PostgreSQL; null without labels there
    for _, _, kind, value in sorted(orjson.loads(found) if isinstance(found, str) else found or []):
        labels.setdefault(kind, []).append(value)
    return IncidentSummary(
        id=f"INC-{number}",
        title=data["title"],
        kind=data["kind"],
        severity=data["severity"],
        status=data["status"],
        private=data["private"],
        services=labels["service"],
        teams=labels["team"],
        tags=labels["tag"],
        categories=labels["category"],
        started_at=data["started_at"],
        detected_at=data["detected_at"],
        acknowledged_at=data["acknowledged_at"],
        mitigated_at=data["mitigated_at"],
        resolved_at=data["resolved_at"],
        postmortem_status=data["postmortem_status"],
        action_items_open=data["action_items_open"] or 0,
        extra=dict(data["extra"] or {}),
        version=data["version"],
        created_at=data["created_at"],
    )


def incidents_query(
    *,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    service: str | None = None,
    viewer: Principal | None = None,
) -> Select[Incident]:
    """The incidents a viewer may see, filtered by kind, severity, status and service (labels loaded with them)."""
    query = select(Incident).options(selectinload(Incident.labels))
    visible = visible_clause(viewer)
    if visible is not None:
        query = query.where(visible)
    if kind:
        query = query.where(Incident.kind == check_choice(kind, KINDS, "kind"))
    if severity:
        query = query.where(func.upper(Incident.severity) == severity.upper())
    if status:
        query = query.where(Incident.status == check_choice(status, INCIDENT_STATUSES, "status"))
    if service:
        query = query.where(
            Incident.id.in_(
                select(IncidentLabel.incident_id).where(IncidentLabel.kind == "service", IncidentLabel.value == service)
            )
        )
    return query


def list_incidents(
    db: Database,
    *,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    service: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    viewer: Principal | None = None,
    allowed_severities: Sequence[str] | None = None,
) -> list[IncidentSummary]:
    """Incidents, newest first, filtered by kind, severity, status or service; private ones only for their members.

    A filter value that no incident could have (an unknown kind, status or severity) is an error, not an empty list.
    """
    kind = check_choice(kind, KINDS, "kind") if kind else kind
    status = check_choice(status, INCIDENT_STATUSES, "status") if status else status
    if severity and allowed_severities:
        severity = check_choice(severity, allowed_severities, "severity")
    query = incidents_query(kind=kind, severity=severity, status=status, service=service, viewer=viewer)
    query = query.order_by(Incident.number.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with db.transaction() as session:
        return _summaries(session, list(session.scalars(query)))


def update_incident(
    db: Database,
    *,
    incident_id: str,
    allowed_severities: Sequence[str],
    expected_version: int | None = None,
    title: str | None = None,
    severity: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    private: bool | None = None,
    services: Sequence[str] | None = None,
    teams: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    moments: dict[str, datetime | None] | None = None,
    viewer: Principal | None = None,
) -> IncidentSummary:
    """Change an incident's fields or set its key moments by hand (a hand-set moment wins over derived ones)."""
    changes: dict[str, Any] = {}
    if title is not None:
        if not title.strip():
            raise InvalidInput("title must not be empty", field="title")
        changes["title"] = title.strip()
    if severity is not None:
        changes["severity"] = check_choice(severity, allowed_severities, "severity")
    if kind is not None:
        changes["kind"] = check_choice(kind, KINDS, "kind")
    if status is not None:
        changes["status"] = check_choice(status, INCIDENT_STATUSES, "status")
    if private is not None:
        changes["private"] = private
    for name, value in (moments or {}).items():
        if name not in MOMENT_FIELDS:
            raise InvalidInput(f"unknown key moment {name!r}", field=name)
        changes[name] = as_utc(value)
    try:
        with db.transaction() as session:
            incident = load_incident(session, incident_id, viewer)
            if expected_version is not None and incident.version != expected_version:
                raise Conflict(
                    f"{incident.key} was changed meanwhile (version {incident.version}, yours {expected_version})",
                    current_version=incident.version,
                )
            for name, value in changes.items():
                setattr(incident, name, value)
            for label_kind, values in (("service", services), ("team", teams), ("tag", tags)):
                if values is not None:
                    set_labels(incident, label_kind, values)
            session.flush()
            return _summaries(session, [incident])[0]
    except StaleDataError:
        # Another writer committed between our read and our versioned UPDATE.
        raise stale_incident(db, incident_id, expected_version) from None


def stale_incident(db: Database, incident_id: str, expected_version: int | None) -> Conflict:
    """The Conflict for an incident a concurrent writer changed first, with its version now."""
    with db.transaction() as session:
        current = session.scalar(select(Incident.version).where(Incident.number == parse_incident_id(incident_id)))
    return Conflict(
        f"INC-{parse_incident_id(incident_id)} was changed meanwhile (version {current}, yours {expected_version})",
        current_version=current,
    )


def delete_incident(
    db: Database, *, incident_id: str, expected_version: int | None = None, viewer: Principal | None = None
) -> None:
    """Delete an incident with its post-mortem, timeline and action items."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, viewer)
        if expected_version is not None and incident.version != expected_version:
            raise Conflict(
                f"{incident.key} was changed meanwhile (version {incident.version}, yours {expected_version})",
                current_version=incident.version,
            )
        # The database cascades to labels, events, post-mortem and action items: no rows loaded one by one.
        session.execute(delete(Incident).where(Incident.id == incident.id))


def person_names(db: Database) -> list[str]:
    """The names of every person the database knows (authors, reviewers, owners), for the blame rules."""
    with db.transaction() as session:
        return list(session.scalars(select(Person.name).order_by(Person.name)))
