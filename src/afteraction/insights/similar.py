"""Use cases of similarity: past post-mortems like an incident or a text, and the recurrences an author should see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import case, func, not_, select
from sqlalchemy.orm import Session

from afteraction.actions.models import ActionItem
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
from afteraction.reviews.models import ContributingFactor, Postmortem, WhyNode

REFRESH_CHUNK = 500
RECURRENCES_LOOKED_AT = 3  # the best earlier matches find_recurrences weighs by default


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
    db: Database, *, incident_id: str, actor: Actor, top: int = RECURRENCES_LOOKED_AT, min_share: float = 0.5
) -> list[Recurrence]:
    """Earlier incidents that the given one resembles (text and shared factors), with what became of their fixes.

    What the post-mortem editor shows while the author writes: the best text matches among earlier incidents whose
    score is at least min_share of the best one.
    """
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pool = rank(session, _text_now(session, incident), actor=actor, top=top + 50, exclude=[incident.id])
        return _recurrences(session, incident, _earlier(session, incident, pool)[:top], min_share=min_share)


def _text_now(session: Session, incident: Incident) -> str:
    """The text as the author has it now: its search document while that is current (two lookups by key), else read
    afresh from the post-mortem (reading, not writing, its search document) when the incident or its post-mortem
    changed after the document was written, as upkeep's `ensure_index(stale=True)` sees it."""
    doc = session.get(SearchDocument, incident.id)
    if doc is not None and doc.updated_at >= incident.updated_at:
        changed = session.scalar(select(Postmortem.updated_at).where(Postmortem.incident_id == incident.id))
        if changed is None or doc.updated_at >= changed:
            return "\n".join((doc.title, doc.factors, doc.summary, doc.timeline))
    return current_document_text(session, incident.id) or incident.title


def _earlier(session: Session, incident: Incident, pool: Sequence[Scored]) -> list[Scored]:
    """The hits that happened before the incident (or whose time, or the incident's, is unknown), best first."""
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

    return [h for h in pool if before_mine(h)]


def _recurrences(session: Session, incident: Incident, hits: Sequence[Scored], *, min_share: float) -> list[Recurrence]:
    """The rule of a recurrence: of the best earlier matches, those scoring at least min_share of the best one, each
    with the evidence (shared categories and services, the fate of its fixes)."""
    from afteraction.insights.recurrences import describe_recurrence
    from afteraction.insights.taxonomy import load_taxonomy

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


# ---------------------------------------------------------------- the editor's panel

PANEL_SIZE = 5  # similar past incidents the post-mortem editor shows
FOUND_SHOWN = 2  # of each, the factors (else root causes) shown
FOUND_CHARS = 140  # each shortened to this many characters


class PastIncident(BaseModel):
    """A similar past incident as the editor's panel shows it: what it found and how far its action items got."""

    id: str
    title: str
    happened_at: datetime | None = None
    found: list[str] = Field(default_factory=list)  # its factors, else its root causes, shortened
    found_more: int = 0  # how many more it has
    items_done: int = 0
    items_total: int = 0  # action items, not counting those dropped (won't do)


class SimilarPanel(BaseModel):
    """Beside the factors of a post-mortem: the similar past incidents, and the recurrence whose fix was done."""

    incidents: list[PastIncident] = Field(default_factory=list)
    recurrence: Recurrence | None = None  # the incident this one looks like a recurrence of, its fix marked done
    warning: str = ""  # what the page says about it


def _shorten(text: str, limit: int = FOUND_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _findings_of(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each incident's contributing factors, or its root causes when it names no factor, in order."""
    found: dict[int, list[str]] = {}
    for incident_id, text in session.execute(
        select(Postmortem.incident_id, ContributingFactor.text)
        .join(ContributingFactor, ContributingFactor.postmortem_id == Postmortem.id)
        .where(Postmortem.incident_id.in_(ids))
        .order_by(Postmortem.incident_id, ContributingFactor.position)
    ):
        found.setdefault(int(incident_id), []).append(str(text))
    rest = [i for i in ids if i not in found]
    if rest:
        for incident_id, text in session.execute(
            select(Postmortem.incident_id, WhyNode.text)
            .join(WhyNode, WhyNode.postmortem_id == Postmortem.id)
            .where(Postmortem.incident_id.in_(rest), WhyNode.is_root_cause)
            .order_by(Postmortem.incident_id, WhyNode.position, WhyNode.id)
        ):
            found.setdefault(int(incident_id), []).append(str(text))
    return found


def _item_counts(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(done, all but those dropped) action items of each incident."""
    done = func.sum(case((ActionItem.status == "done", 1), else_=0))
    return {
        int(incident_id): (int(d or 0), int(total or 0))
        for incident_id, d, total in session.execute(
            select(ActionItem.incident_id, done, func.count())
            .where(ActionItem.incident_id.in_(ids), ActionItem.status != "wont-do")
            .group_by(ActionItem.incident_id)
        )
    }


def fix_done_warning(recurrence: Recurrence, happened_at: datetime | None) -> str:
    """What the editor says when the incident looks like a recurrence of one whose fix was marked done, or "" when
    the fix is not all done (no items, or some open: its prevent items, else all its items, not those dropped) or
    when the two share words only (no factor category and no service)."""
    items = [item for item in recurrence.items if item.status != "wont-do"]
    if not items or any(item.status != "done" for item in items):
        return ""
    if not (recurrence.shared_categories or recurrence.shared_services):
        return ""
    when = f" ({happened_at:%B %Y})" if happened_at else ""
    which = "prevent items" if any(item.type == "prevent" for item in items) else "action items"
    return f"This looks like {recurrence.resembles}{when}, whose {which} were all done: did the fix work?"


def similar_panel(
    db: Database, *, incident_id: str, actor: Actor, top: int = PANEL_SIZE, min_share: float = 0.5
) -> SimilarPanel:
    """The post-mortem editor's panel: the past incidents most like this one that the actor may see (what they found,
    their action items done), and a warning when it looks like a recurrence (find_recurrences' rule) of an incident
    whose fix was marked done. One search serves both."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pool = rank(session, _text_now(session, incident), actor=actor, top=top + 50, exclude=[incident.id])
        earlier = _earlier(session, incident, pool)
        shown = earlier[:top]
        ids = [hit.incident_id for hit in shown]
        rows = {row.id: row for row in session.scalars(select(Incident).where(Incident.id.in_(ids)))}
        found = _findings_of(session, ids)
        counts = _item_counts(session, ids)
        panel = SimilarPanel()
        for incident_id_ in ids:
            row = rows[incident_id_]
            texts = found.get(incident_id_, [])
            done, total = counts.get(incident_id_, (0, 0))
            panel.incidents.append(
                PastIncident(
                    id=row.key,
                    title=row.title,
                    happened_at=row.happened_at,
                    found=[_shorten(t) for t in texts[:FOUND_SHOWN]],
                    found_more=max(0, len(texts) - FOUND_SHOWN),
                    items_done=done,
                    items_total=total,
                )
            )
        looked_at = earlier[:RECURRENCES_LOOKED_AT]
        when = {
            f"INC-{number}": at
            for number, at in session.execute(
                select(Incident.number, Incident.happened_at).where(
                    Incident.id.in_([hit.incident_id for hit in looked_at])
                )
            )
        }
        for recurrence in _recurrences(session, incident, looked_at, min_share=min_share):
            warning = fix_done_warning(recurrence, when.get(recurrence.resembles))
            if warning:
                panel.recurrence, panel.warning = recurrence, warning
                break
        return panel
