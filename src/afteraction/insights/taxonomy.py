"""Use cases of the factor taxonomy: read it, edit it, and suggest categories for an incident from its text."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afteraction.analysis.categories import (
    DEFAULT_TAXONOMY,
    Category,
    CategoryModel,
    Lexicon,
    features,
    fit_suggester,
    suggest_categories,
    taxonomy_index,
)
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.core.visibility import visible_clause
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.incidents.service import load_incident
from afteraction.insights.models import FactorCategory, SearchDocument
from afteraction.insights.schemas import CategorySuggestion, CategoryView

MIN_TRAINING = 30  # labelled incidents needed before a learned model is used beside the lexicon


def load_taxonomy(session: Session) -> list[Category]:
    """The team's taxonomy, or the built-in one while the team has not edited it."""
    rows = session.scalars(select(FactorCategory).order_by(FactorCategory.position, FactorCategory.id)).all()
    if not rows:
        return list(DEFAULT_TAXONOMY)
    return [
        Category(r.slug, r.name, r.description or "", tuple(r.keywords or ()), tuple(r.aliases or ())) for r in rows
    ]


def _view(category: Category) -> CategoryView:
    return CategoryView(
        slug=category.slug,
        name=category.name,
        description=category.description,
        keywords=list(category.keywords),
        aliases=list(category.aliases),
    )


def list_categories(db: Database) -> list[CategoryView]:
    """The categories of the taxonomy, in order."""
    with db.transaction() as session:
        return [_view(c) for c in load_taxonomy(session)]


def _materialise(session: Session) -> None:
    """Copy the built-in taxonomy into the table on the first edit, so that edits start from it."""
    if session.scalar(select(func.count()).select_from(FactorCategory)):
        return
    for position, c in enumerate(DEFAULT_TAXONOMY):
        session.add(
            FactorCategory(
                slug=c.slug,
                name=c.name,
                description=c.description,
                keywords=list(c.keywords),
                aliases=list(c.aliases),
                position=position,
            )
        )
    session.flush()


def set_category(
    db: Database,
    *,
    slug: str,
    name: str | None = None,
    description: str | None = None,
    keywords: Sequence[str] | None = None,
    add_keywords: Sequence[str] = (),
    aliases: Sequence[str] | None = None,
) -> CategoryView:
    """Add a category or change one: its name, description, keywords (replace or add) and aliases."""
    clean = slug.strip().lower()
    if not clean or any(ch.isspace() for ch in clean):
        raise InvalidInput(f"invalid category slug {slug!r}: one word such as `config-change`", field="slug")
    with db.transaction() as session:
        _materialise(session)
        row = session.scalar(select(FactorCategory).where(FactorCategory.slug == clean))
        if row is None:
            position = session.scalar(select(func.coalesce(func.max(FactorCategory.position), -1) + 1)) or 0
            row = FactorCategory(slug=clean, name=name or clean, description="", keywords=[], aliases=[])
            row.position = position
            session.add(row)
        if name is not None:
            row.name = name.strip() or clean
        if description is not None:
            row.description = description.strip()
        words = list(row.keywords or []) if keywords is None else []
        words += [k.strip().lower() for k in (*(keywords or ()), *add_keywords) if k.strip()]
        row.keywords = list(dict.fromkeys(words))
        if aliases is not None:
            row.aliases = list(dict.fromkeys(a.strip().lower() for a in aliases if a.strip()))
        session.flush()
        return _view(Category(row.slug, row.name, row.description, tuple(row.keywords), tuple(row.aliases or ())))


def remove_category(db: Database, *, slug: str) -> None:
    """Take a category out of the taxonomy (factors keep their stored category text)."""
    with db.transaction() as session:
        _materialise(session)
        row = session.scalar(select(FactorCategory).where(FactorCategory.slug == slug.strip().lower()))
        if row is None:
            raise NotFound(f"no category {slug!r} in the taxonomy")
        session.delete(row)


def reset_taxonomy(db: Database) -> None:
    """Go back to the built-in taxonomy."""
    with db.transaction() as session:
        for row in session.scalars(select(FactorCategory)):
            session.delete(row)


def train_model(session: Session, taxonomy: Sequence[Category], *, actor: Actor) -> CategoryModel | None:
    """A model learned from the incidents the actor may see that carry categories, when there are enough of them."""
    index = taxonomy_index(taxonomy)
    labels: dict[int, set[str]] = {}
    for incident_id, value in session.execute(
        select(IncidentLabel.incident_id, IncidentLabel.value)
        .join(Incident, Incident.id == IncidentLabel.incident_id)
        .where(IncidentLabel.kind == "category", visible_clause(actor, Incident.id, Incident.private))
    ):
        slug = index.get(str(value).strip().lower())
        if slug:
            labels.setdefault(int(incident_id), set()).add(slug)
    if len(labels) < MIN_TRAINING:
        return None
    docs = session.execute(
        select(SearchDocument.incident_id, SearchDocument.title, SearchDocument.summary, SearchDocument.factors).where(
            SearchDocument.incident_id.in_(list(labels))
        )
    ).all()
    lexicon = Lexicon.of(taxonomy)
    samples, targets = [], []
    for incident_id, title, summary, factors in docs:
        text = f"{title}\n{summary}\n{factors}"
        samples.append(features(text, lexicon.hits(text)))
        targets.append(labels[int(incident_id)])
    seen = sorted({slug for ts in targets for slug in ts})
    return fit_suggester(samples, targets, seen) if len(samples) >= MIN_TRAINING else None


def suggest_for(
    db: Database, *, actor: Actor, incident_id: str | None = None, text: str | None = None, learn: bool = False
) -> list[CategorySuggestion]:
    """Categories proposed for an incident (from its post-mortem text) or for a text."""
    from afteraction.insights.search import refresh_search_index

    if not incident_id and not (text and text.strip()):
        raise InvalidInput("give an incident id or --text", field="text")
    with db.transaction() as session:
        taxonomy = load_taxonomy(session)
        if incident_id:
            incident = load_incident(session, incident_id, actor)
            refresh_search_index(session, [incident.id])
            doc = session.get(SearchDocument, incident.id)
            parts = [doc.title, doc.summary, doc.factors, doc.timeline] if doc else [incident.title]
            # The incident's own categories are what we are guessing: keep them out of the text.
            body = "\n".join(parts)
            for value in (label.value for label in incident.labels if label.kind == "category"):
                body = body.replace(value, " ")
        else:
            body = text or ""
        model = train_model(session, taxonomy, actor=actor) if learn else None
        found = suggest_categories(body, taxonomy, model=model)
        return [CategorySuggestion(slug=s.slug, name=s.name, score=s.score, evidence=list(s.evidence)) for s in found]
