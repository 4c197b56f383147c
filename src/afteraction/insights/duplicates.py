"""Duplicate incidents: suspected ones (the same title and summary, near enough) and those someone linked as the same
event (`incident_links`, kind `duplicate`). Themes show a duplicate as the incident it is the same event as."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, delete, select
from sqlalchemy.orm import Session, aliased

from afteraction.analysis.duplicates import IncidentText, canonical, find_duplicates
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound, PermissionDenied
from afteraction.core.visibility import visible_clause
from afteraction.incidents.models import Incident
from afteraction.incidents.service import as_utc, load_incident
from afteraction.insights.models import IncidentLink
from afteraction.insights.schemas import DuplicateIncident, DuplicatePairView
from afteraction.reviews.models import Postmortem

DUPLICATE = "duplicate"
SUSPECT_SCORE = 0.6


def _visible_links(actor: Actor, *columns: Any) -> Select[Any]:
    """`columns` and both incidents of each duplicate link whose two incidents the actor may see."""
    first, second = aliased(Incident), aliased(Incident)
    return (
        select(*columns, first, second)
        .join(first, first.id == IncidentLink.incident_id)
        .join(second, second.id == IncidentLink.other_id)
        .where(
            IncidentLink.kind == DUPLICATE,
            visible_clause(actor, first.id, first.private),
            visible_clause(actor, second.id, second.private),
        )
    )


def linked_pairs(session: Session, *, actor: Actor, ids: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """The (duplicate, original) incident ids linked as the same event, both seen by the actor; only pairs touching
    `ids` when given."""
    query = _visible_links(actor, IncidentLink.incident_id, IncidentLink.other_id).order_by(IncidentLink.id)
    rows = [(int(a), int(b)) for a, b, *_sides in session.execute(query)]
    if ids is not None:
        wanted = set(ids)
        rows = [(a, b) for a, b in rows if a in wanted or b in wanted]
    return rows


def texts_of(session: Session, ids: Sequence[int]) -> list[IncidentText]:
    """Title, summary and date of incidents, for comparing them."""
    out: list[IncidentText] = []
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Incident.id, Incident.title, Postmortem.summary, Incident.happened_at)
            .outerjoin(Postmortem, Postmortem.incident_id == Incident.id)
            .where(Incident.id.in_(ids[start : start + 500]))
        )
        out.extend(IncidentText(int(i), title or "", summary or "", as_utc(when)) for i, title, summary, when in rows)
    return sorted(out, key=lambda t: t.incident)


def shown_as(session: Session, *, actor: Actor, ids: Sequence[int]) -> dict[int, int]:
    """Among some incidents, each duplicate mapped to the incident it is shown as: linked pairs first, then those
    alike enough to be suspected (a score of at least 0.6)."""
    linked = linked_pairs(session, actor=actor, ids=ids)
    suspected = [(p.incident, p.other) for p in find_duplicates(texts_of(session, ids), threshold=SUSPECT_SCORE)]
    return canonical(linked + suspected)


def list_duplicates(db: Database, *, actor: Actor, limit: int = 5000) -> list[DuplicatePairView]:
    """Linked duplicates, then suspected ones not linked yet (most alike first), over the most recent `limit`
    incidents the actor may see."""
    with db.transaction() as session:
        ids = [
            int(i)
            for i in session.scalars(
                select(Incident.id)
                .where(visible_clause(actor, Incident.id, Incident.private))
                .order_by(Incident.happened_at.desc().nulls_last(), Incident.id.desc())
                .limit(limit)
            )
        ]
        links = session.execute(
            _visible_links(actor, IncidentLink).order_by(IncidentLink.created_at, IncidentLink.id)
        ).all()
        texts = texts_of(session, ids)
        by_id = {t.incident: t for t in texts}
        out = [
            DuplicatePairView(
                incident=_side(a),
                of=_side(b),
                score=_score(by_id.get(a.id), by_id.get(b.id)),
                linked=True,
                linked_by=link.created_by,
                linked_at=as_utc(link.created_at),
            )
            for link, a, b in links
        ]
        done = {frozenset((link.incident_id, link.other_id)) for link, _a, _b in links}
        suspected = [
            p for p in find_duplicates(texts, threshold=SUSPECT_SCORE) if frozenset((p.incident, p.other)) not in done
        ]
        rows = {
            i.id: i
            for i in session.scalars(
                select(Incident).where(Incident.id.in_({x for p in suspected for x in (p.incident, p.other)}))
            )
        }
        out.extend(
            DuplicatePairView(incident=_side(rows[p.incident]), of=_side(rows[p.other]), score=p.score)
            for p in suspected
        )
        return out


def _side(incident: Incident) -> DuplicateIncident:
    return DuplicateIncident(id=f"INC-{incident.number}", title=incident.title, started_at=as_utc(incident.started_at))


def _score(a: IncidentText | None, b: IncidentText | None) -> float | None:
    if a is None or b is None:
        return None
    found = find_duplicates([a, b], threshold=0.0, max_days_apart=36500)
    return found[0].score if found else 0.0


def link_duplicate(db: Database, *, incident_id: str, of: str, actor: Actor) -> DuplicatePairView:
    """Mark `incident_id` as the same event as `of` (editors; both must be incidents the actor may see). Linking a
    pair again changes nothing; a link the other way round, or to itself, is refused."""
    if not actor.can("editor"):
        raise PermissionDenied("marking duplicates needs the editor role")
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor, for_update=True)
        original = load_incident(session, of, actor)
        if incident.id == original.id:
            raise InvalidInput(f"of: INC-{incident.number} cannot be a duplicate of itself")
        reverse = session.scalar(
            select(IncidentLink.id).where(
                IncidentLink.kind == DUPLICATE,
                IncidentLink.incident_id == original.id,
                IncidentLink.other_id == incident.id,
            )
        )
        if reverse is not None:
            raise InvalidInput(
                f"of: INC-{original.number} is already a duplicate of INC-{incident.number}; unlink it first"
            )
        link = session.scalar(
            select(IncidentLink).where(
                IncidentLink.kind == DUPLICATE,
                IncidentLink.incident_id == incident.id,
                IncidentLink.other_id == original.id,
            )
        )
        if link is None:
            link = IncidentLink(incident_id=incident.id, other_id=original.id, kind=DUPLICATE, created_by=actor.name)
            session.add(link)
            session.flush()
        texts = {t.incident: t for t in texts_of(session, [incident.id, original.id])}
        return DuplicatePairView(
            incident=_side(incident),
            of=_side(original),
            score=_score(texts.get(incident.id), texts.get(original.id)),
            linked=True,
            linked_by=link.created_by,
            linked_at=as_utc(link.created_at) if isinstance(link.created_at, datetime) else None,
        )


def unlink_duplicate(db: Database, *, incident_id: str, actor: Actor, of: str | None = None) -> int:
    """Remove the links saying `incident_id` is a duplicate (of `of` only, when given); how many were removed.
    NotFound when there is none (editors only)."""
    if not actor.can("editor"):
        raise PermissionDenied("marking duplicates needs the editor role")
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor, for_update=True)
        original = aliased(Incident)
        condition = and_(
            IncidentLink.kind == DUPLICATE,
            IncidentLink.incident_id == incident.id,
            # Only links to incidents the actor may see: one to a private incident is not theirs to remove.
            IncidentLink.other_id.in_(select(original.id).where(visible_clause(actor, original.id, original.private))),
        )
        if of is not None:
            condition = and_(condition, IncidentLink.other_id == load_incident(session, of, actor).id)
        removed = cast(CursorResult[Any], session.execute(delete(IncidentLink).where(condition))).rowcount
        if not removed:
            raise NotFound(f"INC-{incident.number} is not linked as a duplicate" + (f" of {of}" if of else ""))
        return int(removed)
