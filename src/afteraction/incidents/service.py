"""Incidents: record, find, change and delete them, their labels and people; the only place that writes incidents."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.orm import Session, selectinload

from afteraction.core.actor import Actor
from afteraction.core.db import MAX_INTEGER, Database, check_version, utcnow
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.core.validation import check_choice
from afteraction.core.visibility import can_see, visible_clause
from afteraction.domain.incidents import (
    INCIDENT_STATUSES,
    KINDS,
    LABEL_MAX,
    TITLE_MAX,
    IncidentChanges,
    IncidentSummary,
    NewIncident,
)
from afteraction.domain.reviews import PostmortemDocument
from afteraction.incidents.models import Incident, IncidentLabel, IncidentMember

LABEL_KINDS: tuple[str, ...] = ("service", "team", "tag", "category")
_KEY = re.compile(r"^(?:INC-)?(\d+)$", re.IGNORECASE)


def parse_incident_id(value: str) -> int:
    """The number of an incident id such as `INC-12` (or `12`)."""
    match = _KEY.match(value.strip())
    if not match:
        raise InvalidInput(f"not an incident id: {value!r} (expected INC-<number>)", field="incident_id")
    number = int(match.group(1))
    if number > MAX_INTEGER:
        raise NotFound(f"no incident INC-{number}")
    return number


# The key of the PostgreSQL advisory lock that serialises taking incident numbers (any constant, the same everywhere).
INCIDENT_NUMBER_LOCK = 0x1AC1DE


def serialise_writes(session: Session, *, advisory_lock: int | None = None) -> None:
    """Make the caller's transaction the only writer of what it reads next, until it ends.

    On SQLite the transaction becomes a write transaction at once (`BEGIN IMMEDIATE`), so no other connection writes
    between our reads and our writes (SQLite has one writer at a time; a deferred transaction would read first and
    clash later). On PostgreSQL it takes the transaction-scoped advisory lock `advisory_lock` when given (rows are
    locked by the caller with `SELECT … FOR UPDATE`).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw: Any = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif advisory_lock is not None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_lock})


def load_incident(session: Session, incident_id: str, actor: Actor, *, for_update: bool = False) -> Incident:
    """The incident row of an id, or NotFound (also when it is private and the actor may not see it).

    `for_update` locks the row for the rest of the transaction (SQLite: the whole database, see serialise_writes),
    so a version read here is still the current one when the transaction writes.
    """
    number = parse_incident_id(incident_id)
    query = select(Incident).where(Incident.number == number).options(selectinload(Incident.labels))
    if for_update:
        serialise_writes(session)
        query = query.with_for_update().execution_options(populate_existing=True)
    incident = session.scalar(query)
    if incident is None or not can_see(session, actor, incident.id, incident.private):
        raise NotFound(f"no incident INC-{number}")
    return incident


def next_number(session: Session) -> int:
    """The next free incident number, taken under a lock held until the transaction ends (an advisory lock on
    PostgreSQL, the write lock on SQLite), so concurrent creates get consecutive numbers and never clash."""
    serialise_writes(session, advisory_lock=INCIDENT_NUMBER_LOCK)
    return int(session.scalar(select(func.coalesce(func.max(Incident.number), 0))) or 0) + 1


def set_labels(incident: Incident, kind: str, values: Sequence[str]) -> bool:
    """Replace the labels of one kind (services, teams, tags, categories) keeping their order; whether they changed.

    A change bumps the incident's version (its row is marked updated), as any other change of the incident does.
    """
    before = labels_of(incident, kind)
    keep = [label for label in incident.labels if label.kind != kind]
    # Reuse rows whose value stays: the unit of work inserts before it deletes, so a new row would clash.
    existing = {label.value: label for label in incident.labels if label.kind == kind}
    wanted = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if wanted == before:
        return False
    for position, value in enumerate(wanted):
        label = existing.get(value) or IncidentLabel(kind=kind, value=value)
        label.position = position
        keep.append(label)
    incident.labels = keep
    if incident.id is not None:
        incident.updated_at = utcnow()  # the row changes, so its version moves on
    return True


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
        started_at=incident.effective_started_at,
        detected_at=incident.effective_detected_at,
        acknowledged_at=incident.effective_acknowledged_at,
        mitigated_at=incident.effective_mitigated_at,
        resolved_at=incident.effective_resolved_at,
        moment_origins={moment: str(value["origin"]) for moment, value in (incident.moment_origins or {}).items()},
        time_to_detect_s=incident.ttd_seconds,
        time_to_acknowledge_s=incident.tta_seconds,
        time_to_mitigate_s=incident.ttm_seconds,
        time_to_resolve_s=incident.ttr_seconds,
        status_set_by_hand=bool(incident.status_set_by_hand),
        happened_at=incident.happened_at,
        postmortem_status=postmortem_status,
        action_items_open=open_actions,
        extra=dict(incident.extra or {}),
        version=incident.version,
        created_at=incident.created_at,
    )


def as_utc(value: datetime | None) -> datetime | None:
    """A zone-aware time converted to UTC (None stays None)."""
    return value.astimezone(UTC) if value is not None else None


MOMENT_FIELDS: tuple[str, ...] = (
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
)


def check_title(title: str) -> str:
    """A title stripped, refused when empty or longer than the table keeps."""
    clean = title.strip()
    if not clean:
        raise InvalidInput("title must not be empty", field="title")
    if len(clean) > TITLE_MAX:
        raise InvalidInput(f"title is {len(clean)} characters long; at most {TITLE_MAX}", field="title")
    return clean


def check_labels(values: Sequence[str], field: str) -> list[str]:
    """Labels (services, teams, tags, categories) stripped, each refused when longer than the table keeps."""
    clean = [value.strip() for value in values if value.strip()]
    for value in clean:
        if len(value) > LABEL_MAX:
            raise InvalidInput(f"a {field} name is {len(value)} characters long; at most {LABEL_MAX}", field=field)
    return clean


def check_severity(severity: str | None, kind: str, allowed: Sequence[str]) -> str | None:
    """The severity as configured, required unless the kind is milestone (a retrospective has none)."""
    if severity is None or not severity.strip():
        if kind != "milestone":
            raise InvalidInput(
                f"severity is required unless the kind is milestone: one of {', '.join(allowed)}", field="severity"
            )
        return None
    return check_choice(severity.strip(), allowed, "severity")


def insert_incident(session: Session, *, actor: Actor, new: NewIncident, allowed_severities: Sequence[str]) -> Incident:
    """Record a new incident in the caller's transaction, its creator (a signed-in user) and `members` members.

    The number is the next one, taken under a lock (next_number): never a clash, never a retry.
    """
    kind = check_choice(new.kind, KINDS, "kind")
    severity = check_severity(new.severity, kind, allowed_severities)
    title = check_title(new.title)
    labels = {"service": new.services, "team": new.teams, "tag": new.tags}
    checked = {label_kind: check_labels(values, label_kind) for label_kind, values in labels.items()}
    members = [*new.members, *([actor.user_id] if actor.user_id is not None else [])]
    incident = Incident(
        number=next_number(session),
        title=title,
        kind=kind,
        severity=severity,
        private=new.private,
        started_at=as_utc(new.started_at),
        extra={},
        labels=[],
    )
    for label_kind, values in checked.items():
        set_labels(incident, label_kind, values)
    session.add(incident)
    session.flush()
    session.add_all(IncidentMember(incident_id=incident.id, user_id=uid) for uid in dict.fromkeys(members))
    session.flush()
    return incident


def change_incident(
    session: Session,
    *,
    actor: Actor,
    incident_id: str,
    changes: IncidentChanges,
    allowed_severities: Sequence[str],
) -> Incident:
    """Apply changes to an incident in the caller's transaction (a hand-set key moment wins over derived ones).

    The row is locked first, so a write with `expected_version` is checked against the version that will be
    overwritten (Conflict when it moved on), and a write without one never clashes: it waits for the other writer
    and applies on top (last writer wins on each field it sets). Labels are replaced whole under the same lock.
    """
    incident = load_incident(session, incident_id, actor, for_update=True)
    check_version(incident.key, incident.version, changes.expected_version)
    values: dict[str, Any] = {}
    if changes.title is not None:
        values["title"] = check_title(changes.title)
    kind = check_choice(changes.kind, KINDS, "kind") if changes.kind is not None else incident.kind
    if changes.kind is not None:
        values["kind"] = kind
    if changes.severity is not None:
        values["severity"] = check_severity(changes.severity, kind, allowed_severities)
    if changes.status is not None:
        values["status"] = check_choice(changes.status, INCIDENT_STATUSES, "status")
        if values["status"] != incident.status:  # (forms send the status shown): a change by hand stays until changed
            values["status_set_by_hand"] = True  # by hand again; otherwise the status follows the key moments
    if changes.private is not None:
        values["private"] = changes.private
    for name, value in (changes.moments or {}).items():
        if name not in MOMENT_FIELDS:
            raise InvalidInput(f"unknown key moment {name!r}", field=name)
        values[name] = as_utc(value)
    for name, value in values.items():
        setattr(incident, name, value)
    for label_kind, given in (("service", changes.services), ("team", changes.teams), ("tag", changes.tags)):
        if given is not None:
            set_labels(incident, label_kind, check_labels(given, label_kind))
    session.flush()
    return incident


def record_document_incident(
    session: Session,
    *,
    doc: PostmortemDocument,
    found: Incident | None,
    wanted: int | None,
    external_ref: str | None,
    severities: Sequence[str],
) -> Incident:
    """Write the incident a document describes (imports): update `found`, else record a new one numbered `wanted`
    when that number is free, else the next."""
    incident = found
    if incident is None:
        serialise_writes(session, advisory_lock=INCIDENT_NUMBER_LOCK)
        taken = wanted is not None and session.scalar(select(Incident.id).where(Incident.number == wanted))
        number = wanted if wanted is not None and not taken else next_number(session)
        incident = Incident(number=number, labels=[], extra={}, imported=True)
        session.add(incident)
    incident.title = check_title(doc.title) if doc.title.strip() else "Untitled"
    incident.kind = check_choice(doc.kind, KINDS, "kind")
    incident.severity = check_choice(doc.severity, severities, "severity") if doc.severity else None
    incident.status = doc.incident_status
    incident.status_set_by_hand = doc.incident_status != "open"  # what a document states stays; open follows moments
    incident.private = doc.private
    incident.external_ref = external_ref
    incident.extra = dict(doc.extra)
    for name in MOMENT_FIELDS:
        setattr(incident, name, getattr(doc, name))
    for kind, values in (
        ("service", doc.services),
        ("team", doc.teams),
        ("tag", doc.tags),
        ("category", doc.categories),
    ):
        set_labels(incident, kind, check_labels(values, kind))
    session.flush()
    return incident


def current_version(db: Database, incident_id: str) -> int | None:
    """The stored version of an incident (for the Conflict of a write that lost a race)."""
    with db.transaction() as session:
        return session.scalar(select(Incident.version).where(Incident.number == parse_incident_id(incident_id)))


def incidents_query(
    *,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    service: str | None = None,
    actor: Actor,
) -> Select[Incident]:
    """The incidents an actor may see, filtered by kind, severity, status and service (labels loaded with them)."""
    query = (
        select(Incident)
        .options(selectinload(Incident.labels))
        .where(visible_clause(actor, Incident.id, Incident.private))
    )
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


def delete_incident(db: Database, *, incident_id: str, expected_version: int | None = None, actor: Actor) -> None:
    """Delete an incident with its post-mortem, timeline and action items."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        check_version(incident.key, incident.version, expected_version)
        # The database cascades to labels, events, post-mortem and action items: no rows loaded one by one.
        session.execute(delete(Incident).where(Incident.id == incident.id))
