"""Category suggestions where the author writes: one category proposed for each contributing factor that has none,
accepted (the factor takes it, through the factors' own edit path) or rejected by the author, never applied
without them. Both answers are kept (`category_decisions`) and counted; a rejected one is not proposed again for
that factor's text."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import case, func, select

from afteraction.analysis.categories import suggest_categories
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import Conflict, InvalidInput
from afteraction.core.visibility import visible_clause
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import FactorData
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident
from afteraction.insights.models import CategoryDecision
from afteraction.insights.taxonomy import load_taxonomy
from afteraction.reviews import sections

# A factor is a sentence: one keyword of a category is enough to propose it (a whole post-mortem needs two).
FACTOR_MIN_SCORE = 1.0


class FactorSuggestion(BaseModel):
    """The category proposed for one factor (by its place in the list and its text), and the words behind it."""

    index: int
    text: str
    slug: str
    name: str
    evidence: list[str] = Field(default_factory=list)


class CategoryAcceptance(BaseModel):
    """How the authors answered the suggestions of one category (or of all, under `total`)."""

    category: str
    accepted: int = 0
    rejected: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        """The share accepted, or None before any answer."""
        answered = self.accepted + self.rejected
        return self.accepted / answered if answered else None


class SuggestionCounts(BaseModel):
    """Accepted and rejected suggestions, per category and in all."""

    categories: list[CategoryAcceptance] = Field(default_factory=list)
    total: CategoryAcceptance = Field(default_factory=lambda: CategoryAcceptance(category="all"))


def factor_suggestions(
    db: Database, *, incident_id: str, factors: Sequence[FactorData], actor: Actor
) -> dict[int, FactorSuggestion]:
    """For each factor without a category (by its index), the best category its text suggests that the authors have
    not rejected for that text already; factors with a category, or with nothing to suggest, are left out."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        open_factors = [(i, f) for i, f in enumerate(factors) if not (f.category or "").strip() and f.text.strip()]
        if not open_factors:
            return {}
        taxonomy = load_taxonomy(session)
        rejected = {
            (str(text), str(slug))
            for text, slug in session.execute(
                select(CategoryDecision.factor_text, CategoryDecision.category).where(
                    CategoryDecision.incident_id == incident.id, CategoryDecision.accepted.is_(False)
                )
            )
        }
    out: dict[int, FactorSuggestion] = {}
    for index, factor in open_factors:
        text = factor.text.strip()
        for found in suggest_categories(text, taxonomy, min_score=FACTOR_MIN_SCORE, limit=len(taxonomy)):
            if (text, found.slug) not in rejected:
                out[index] = FactorSuggestion(
                    index=index, text=text, slug=found.slug, name=found.name, evidence=list(found.evidence)
                )
                break
    return out


def decide_suggestion(
    db: Database,
    *,
    incident_id: str,
    index: int,
    factor_text: str,
    category: str,
    accept: bool,
    expected_version: int,
    actor: Actor,
    policy: Policy | None = None,
) -> str:
    """The author's answer to the category suggested for factor `index` (whose text they saw): accepted, the factor
    takes the category's name through the factors' edit path (a new version, amendments, comments kept); rejected, it
    is not proposed again for that text. Conflict when the factors changed meanwhile. Returns what the page says."""
    text = factor_text.strip()
    if not text:
        raise InvalidInput("the factor's text is missing", field="text")
    with db.transaction() as session:
        load_incident(session, incident_id, actor)
        names = {c.slug: c.name for c in load_taxonomy(session)}
    slug = category.strip().lower()
    if slug not in names:
        raise InvalidInput(f"no category {category!r} in the taxonomy", field="category")
    current = sections.get_factors(db, incident_id=incident_id, actor=actor)
    if current.version != expected_version or index >= len(current.items) or current.items[index].text != text:
        raise Conflict("stale", current_version=current.version)
    label = f"F{index + 1}"
    if accept:
        items = list(current.items)
        items[index] = FactorData(text=text, category=names[slug])
        sections.replace_factors(
            db, incident_id=incident_id, items=items, expected_version=expected_version, actor=actor, policy=policy
        )
    # Recorded once the factor carries its category: a factor edit refused (stale) records nothing.
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        session.add(
            CategoryDecision(
                incident_id=incident.id,
                factor_text=text,
                category=slug,
                accepted=accept,
                decided_by=actor.name,
                decided_at=utcnow(),
            )
        )
    if accept:
        return f"{label} is now in the category {names[slug]}."
    return f"{names[slug]} will not be suggested for {label} again."


def suggestion_counts(db: Database, *, actor: Actor) -> SuggestionCounts:
    """How many suggestions the authors accepted and rejected, per category (most answered first) and in all, over
    the incidents the actor may see."""
    accepted = func.sum(case((CategoryDecision.accepted.is_(True), 1), else_=0))
    rejected = func.sum(case((CategoryDecision.accepted.is_(True), 0), else_=1))
    with db.transaction() as session:
        rows = session.execute(
            select(CategoryDecision.category, accepted, rejected)
            .join(Incident, Incident.id == CategoryDecision.incident_id)
            .where(visible_clause(actor, Incident.id, Incident.private))
            .group_by(CategoryDecision.category)
        ).all()
    per = [CategoryAcceptance(category=str(c), accepted=int(a or 0), rejected=int(r or 0)) for c, a, r in rows]
    per.sort(key=lambda c: (-(c.accepted + c.rejected), c.category))
    total = CategoryAcceptance(
        category="all", accepted=sum(c.accepted for c in per), rejected=sum(c.rejected for c in per)
    )
    return SuggestionCounts(categories=per, total=total)
