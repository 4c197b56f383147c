"""One truth for key moments: an incident's effective moments, where each came from and its four durations, stored on
the incident and recomputed by `refresh_moments` in the same transaction as every change to its timeline or moments.

Each moment is hand-set on the incident (origin `manual`), else marked on a timeline event (`marked`), else derived
from the timeline (`derived`): detected is the first alert or page, acknowledged the first acknowledgement at or after
detection, resolved the last resolve of a paging source, else the last resolve or recovery. Started and mitigated are
never derived. With them is stored when the incident happened (`happened_at`), by which lists, the dashboard and
insights count it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from afteraction.domain.incidents import KEY_MOMENTS, status_after_moments
from afteraction.domain.metrics import compute_metrics
from afteraction.incidents.models import Incident
from afteraction.timeline.highlights import highlight_moment_events
from afteraction.timeline.models import TimelineEvent

ALERT_KINDS: tuple[str, ...] = ("alert", "page")
PAGING_SOURCES: tuple[str, ...] = ("pagerduty", "opsgenie")
RECOVERY_KINDS: tuple[str, ...] = ("resolve", "recover")

Found = dict[str, tuple[datetime, str, int | None]]


def _first_event(session: Session, incident_id: int, at: datetime, condition: ColumnElement[bool]) -> int | None:
    """The id of the first event (by id) of the incident at that time that meets the condition."""
    return session.scalar(
        select(TimelineEvent.id)
        .where(TimelineEvent.incident_id == incident_id, TimelineEvent.sort_at == at, TimelineEvent.at == at, condition)
        .order_by(TimelineEvent.id)
        .limit(1)
    )


def effective_moments(session: Session, incident: Incident) -> Found:
    """Each key moment with its origin (manual, marked, derived) and the event behind it, read with one aggregate
    over the incident's events (plus one for acknowledged and one small indexed look-up per moment found)."""
    timed = (TimelineEvent.incident_id == incident.id, TimelineEvent.at.is_not(None))
    at = TimelineEvent.at

    def earliest(condition: ColumnElement[bool]) -> Any:
        return func.min(case((condition, at)))

    def latest(condition: ColumnElement[bool]) -> Any:
        return func.max(case((condition, at)))

    marked_conditions = {moment: TimelineEvent.key_moment == moment for moment in KEY_MOMENTS}
    derived_conditions = {
        "alert": TimelineEvent.kind.in_(ALERT_KINDS),
        "paged": and_(TimelineEvent.kind == "resolve", TimelineEvent.source.in_(PAGING_SOURCES)),
        "recovered": TimelineEvent.kind.in_(RECOVERY_KINDS),
    }
    row = session.execute(
        select(
            *(earliest(condition) for condition in marked_conditions.values()),
            earliest(derived_conditions["alert"]),
            latest(derived_conditions["paged"]),
            latest(derived_conditions["recovered"]),
        ).where(*timed)
    ).one()
    marked = dict(zip(KEY_MOMENTS, row[: len(KEY_MOMENTS)], strict=True))
    alert, paged, recovered = row[len(KEY_MOMENTS) :]
    found: Found = {}
    for moment in KEY_MOMENTS:
        manual = getattr(incident, f"{moment}_at")
        if manual is not None:
            found[moment] = (manual, "manual", None)
        elif marked[moment] is not None:
            when = marked[moment]
            found[moment] = (when, "marked", _first_event(session, incident.id, when, marked_conditions[moment]))
    if "detected" not in found and alert is not None:
        found["detected"] = (alert, "derived", _first_event(session, incident.id, alert, derived_conditions["alert"]))
    if "acknowledged" not in found:
        query = select(func.min(at)).where(*timed, TimelineEvent.kind == "acknowledge")
        if "detected" in found:
            query = query.where(at >= found["detected"][0])
        ack = session.scalar(query)
        if ack is not None:
            found["acknowledged"] = (
                ack,
                "derived",
                _first_event(session, incident.id, ack, TimelineEvent.kind == "acknowledge"),
            )
    if "resolved" not in found:
        last, condition = (
            (paged, derived_conditions["paged"]) if paged is not None else (recovered, derived_conditions["recovered"])
        )
        if last is not None:
            found["resolved"] = (last, "derived", _first_event(session, incident.id, last, condition))
    return found


def refresh_moments(session: Session, incident: Incident, *, schema_of_0009: bool = False) -> None:
    """Recompute and store an incident's effective key moments, their origins and its four durations, and its status
    when nobody set it by hand; every writer of a timeline or of hand-set moments calls this in its transaction.

    Written with one UPDATE that leaves the version alone: these values follow from the timeline and the hand-set
    fields, and a change of those is what bumps (or not) the incident's version. The events behind the moments become
    highlights, and a stored picture of the timeline is marked stale (not with `schema_of_0009`: migration 0009 runs
    this on a schema without them).
    """
    session.flush()  # the events and fields written so far in this transaction count
    found: Found = {} if incident.kind == "milestone" else effective_moments(session, incident)
    if not schema_of_0009:
        highlight_moment_events(session, (value[2] for value in found.values()))
    metrics = compute_metrics(incident.key, {m: v[0] for m, v in found.items()}, {m: v[1] for m, v in found.items()})
    values: dict[str, Any] = {
        f"effective_{moment}_at": found[moment][0] if moment in found else None for moment in KEY_MOMENTS
    }
    values["moment_origins"] = {moment: {"origin": value[1], "event_id": value[2]} for moment, value in found.items()}
    values["ttd_seconds"] = metrics.time_to_detect_s
    values["tta_seconds"] = metrics.time_to_acknowledge_s
    values["ttm_seconds"] = metrics.time_to_mitigate_s
    values["ttr_seconds"] = metrics.time_to_resolve_s
    values["happened_at"] = happened_at(session, incident, found)
    if not incident.status_set_by_hand:
        values["status"] = status_after_moments(incident.status, "mitigated" in found, "resolved" in found)
    if not schema_of_0009 and incident.timeline_picture and not incident.timeline_picture.get("stale"):
        values["timeline_picture"] = {"stale": True}  # counted again by timeline.picture.refresh_picture
    if all(getattr(incident, name) == value for name, value in values.items()):
        return
    session.execute(
        # updated_at kept: the column's onupdate would otherwise stamp it, as it leaves the version alone
        update(Incident).where(Incident.id == incident.id).values(**values, updated_at=Incident.updated_at),
        execution_options={"synchronize_session": False},
    )
    for name, value in values.items():
        set_committed_value(incident, name, value)


def happened_at(session: Session, incident: Incident, found: Found) -> datetime | None:
    """When an incident happened, to count it by month: its effective start, else its earliest key moment, else its
    first timed event, else when it was recorded in the tool; None ("date unknown") for an incident imported from a
    document that gives no date, whose row's creation says nothing of when it happened."""
    if "started" in found:
        return found["started"][0]
    if incident.started_at is not None:  # a milestone's start (its moments are not read)
        return incident.started_at
    if found:
        return min(at for at, _, _ in found.values())
    first = session.scalar(
        select(func.min(TimelineEvent.at)).where(
            TimelineEvent.incident_id == incident.id, TimelineEvent.at.is_not(None)
        )
    )
    if first is not None:
        return first
    return None if incident.imported else incident.created_at


def refresh_moments_of(session: Session, incident_id: int) -> None:
    """refresh_moments for an incident row id."""
    incident = session.get(Incident, incident_id)
    if incident is not None:
        refresh_moments(session, incident)


def stored_moments(incident: Incident) -> Found:
    """The effective key moments stored on an incident, each with its origin and the event behind it."""
    origins = incident.moment_origins or {}
    found: Found = {}
    for moment in KEY_MOMENTS:
        at = getattr(incident, f"effective_{moment}_at")
        if at is not None:
            origin = origins.get(moment) or {}
            event_id = origin.get("event_id")
            found[moment] = (at, str(origin.get("origin") or "manual"), int(event_id) if event_id is not None else None)
    return found
