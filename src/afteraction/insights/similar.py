"""Use cases of similarity: past post-mortems like an incident or a text, and the recurrences an author should see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, not_, select
from sqlalchemy.orm import Session

from afteraction.analysis.similarity import Scored, blend, expand_query, top_k
from afteraction.core.actor import Actor
from afteraction.core.db import Database, without_statement_limit
from afteraction.core.errors import InvalidInput
from afteraction.core.visibility import visible_clause
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident
from afteraction.insights.models import SearchDocument
from afteraction.insights.schemas import Recurrence, SimilarIncident
from afteraction.insights.search import (
    current_document_text,
    rebuild_search_index,
    refresh_search_index,
    search_index_for,
)
from afteraction.reviews.models import Postmortem

REFRESH_CHUNK = 500


def ensure_index(session: Session, *, changed_since: datetime | None = None, stale: bool = False) -> int:
    """Index the incidents that have no search document yet; with `stale`, also those whose incident or post-mortem
    row changed after their document was written (a title or a section edited), looking only at rows changed after
    `changed_since` when given. Returns how many. Run by upkeep (the server's background task, the CLI's search
    commands), never by a request's read."""
    missing: set[int] = set()
    # Cheap test first (two index lookups): when the newest incident has its document, the others have theirs
    # unless they were never indexed at all, which the counts then tell.
    newest = session.scalar(select(func.max(Incident.id)))
    if newest is None:
        return 0
    if session.get(SearchDocument, newest) is None:
        documents = search_index_for(session).document_count(session)
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
        if documents < incidents:
            missing.update(
                session.scalars(select(Incident.id).where(Incident.id.not_in(select(SearchDocument.incident_id))))
            )
    if stale:
        written = SearchDocument.updated_at
        for table, incident_id in ((Incident, Incident.id), (Postmortem, Postmortem.incident_id)):
            query = select(incident_id).join(SearchDocument, SearchDocument.incident_id == incident_id)
            query = query.where(written < table.updated_at)
            if changed_since is not None:
                query = query.where(table.updated_at >= changed_since)
            missing.update(session.scalars(query))
    ids = sorted(missing)
    for start in range(0, len(ids), REFRESH_CHUNK):
        refresh_search_index(session, ids[start : start + REFRESH_CHUNK])
    return len(ids)


def reindex(db: Database, *, actor: Actor) -> int:
    """Rebuild the whole search index (every incident, for whoever may search it); returns how many of the documents
    indexed are of incidents the actor may see."""
    with db.transaction() as session:
        without_statement_limit(session)  # every document in one go: may take longer than a request may
        rebuild_search_index(session)
        return int(
            session.scalar(
                select(func.count())
                .select_from(SearchDocument)
                .join(Incident, Incident.id == SearchDocument.incident_id)
                .where(visible_clause(actor, Incident.id, Incident.private))
            )
            or 0
        )


def document_text(session: Session, incident: Incident) -> str:
    """The searchable text of an incident: title, factors, summary and timeline."""
    doc = session.get(SearchDocument, incident.id)
    if doc is None:  # not indexed yet: read it as it is (a read writes nothing)
        return current_document_text(session, incident.id) or incident.title
    return "\n".join((doc.title, doc.factors, doc.summary, doc.timeline))


def _semantic_scores(session: Session, query: str, candidates: Sequence[int]) -> list[Scored]:
    """Embedding similarity of the candidates to the query, when the semantic extra is installed."""
    from afteraction.insights.semantic import semantic_scores

    if not candidates:
        return []
    docs = session.execute(
        select(SearchDocument.incident_id, SearchDocument.title, SearchDocument.factors, SearchDocument.summary).where(
            SearchDocument.incident_id.in_(list(candidates))
        )
    ).all()
    texts = {int(i): f"{t}\n{f}\n{s}" for i, t, f, s in docs}
    return semantic_scores(query, texts)


def rank(
    session: Session,
    query: str,
    *,
    actor: Actor,
    top: int,
    exclude: Sequence[int] = (),
    semantic: bool = False,
    semantic_weight: float = 0.5,
    pool: int = 30,
    expand: bool = False,
) -> list[Scored]:
    """Incidents ranked for a query: BM25 (with SRE synonyms when asked), blended with embeddings of the BM25 pool."""
    wanted = max(top, pool if semantic else top)
    searched = expand_query(query) if expand else query
    hits = search_index_for(session).search(session, searched, limit=wanted + 10, exclude=exclude)
    # Drop the hits the actor may not see (reading only the hits, not every incident).
    hidden = set(
        session.scalars(
            select(Incident.id).where(
                Incident.id.in_([h.incident_id for h in hits]),
                not_(visible_clause(actor, Incident.id, Incident.private)),
            )
        )
    )
    hits = [h for h in hits if h.incident_id not in hidden][:wanted]
    if semantic:
        hits = blend(hits, _semantic_scores(session, query, [h.incident_id for h in hits]), weight=semantic_weight)
    return top_k(hits, top)


def _views(session: Session, scored: Sequence[Scored]) -> list[SimilarIncident]:
    ids = [s.incident_id for s in scored]
    rows = {
        i.id: (i, status)
        for i, status in session.execute(
            select(Incident, Postmortem.status)
            .outerjoin(Postmortem, Postmortem.incident_id == Incident.id)
            .where(Incident.id.in_(ids))
        )
    }
    out = []
    for s in scored:
        incident, status = rows[s.incident_id]
        out.append(
            SimilarIncident(
                id=incident.key,
                title=incident.title,
                score=round(s.score, 4),
                severity=incident.severity,
                started_at=incident.started_at,
                postmortem_status=status,
            )
        )
    return out


def similar_incidents(
    db: Database,
    *,
    incident_id: str | None = None,
    text: str | None = None,
    top: int = 5,
    semantic: bool = False,
    semantic_weight: float = 0.5,
    actor: Actor,
) -> list[SimilarIncident]:
    """Past post-mortems ranked by relevance of title, summary, factors and timeline to an incident or a text."""
    if (incident_id is None) == (not text or not text.strip()):
        raise InvalidInput("give either an incident id or --text, not both", field="text")
    if top < 1:
        raise InvalidInput("--top must be at least 1", field="top")
    with db.transaction() as session:
        exclude: list[int] = []
        if incident_id is not None:
            incident = load_incident(session, incident_id, actor)
            query = document_text(session, incident)
            exclude.append(incident.id)
        else:
            query = text or ""
        # A text is a few words, which may not be the post-mortem's own: synonyms widen it. A whole post-mortem (ID)
        # has words enough.
        scored = rank(
            session,
            query,
            actor=actor,
            top=top,
            exclude=exclude,
            semantic=semantic,
            semantic_weight=semantic_weight,
            expand=incident_id is None,
        )
        return _views(session, scored)


def find_recurrences(
    db: Database, *, incident_id: str, actor: Actor, top: int = 3, min_share: float = 0.5
) -> list[Recurrence]:
    """Earlier incidents that the given one resembles (text and shared factors), with what became of their fixes.

    What the post-mortem editor shows while the author writes: the best text matches among earlier incidents whose
    score is at least min_share of the best one.
    """
    from afteraction.insights.recurrences import describe_recurrence
    from afteraction.insights.taxonomy import load_taxonomy

    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        # The text as the author has it now, not as last indexed (reading, not writing, its search document).
        now_text = current_document_text(session, incident.id) or incident.title
        pool = rank(session, now_text, actor=actor, top=top + 50, exclude=[incident.id])
        starts: dict[int, datetime | None] = {
            int(row_id): at
            for row_id, at in session.execute(
                select(Incident.id, Incident.happened_at).where(Incident.id.in_([h.incident_id for h in pool]))
            )
        }
        mine = incident.happened_at

        def before_mine(hit: Scored) -> bool:
            theirs = starts.get(hit.incident_id)
            return mine is None or theirs is None or theirs < mine

        hits = [h for h in pool if before_mine(h)][:top]
        if not hits:
            return []
        best = hits[0].score
        taxonomy = load_taxonomy(session)
        out = []
        for hit in hits:
            if best > 0 and hit.score < min_share * best:
                continue
            earlier = session.get(Incident, hit.incident_id)
            if earlier is not None:
                out.append(describe_recurrence(session, incident, earlier, taxonomy, score=round(hit.score, 4)))
        return out
