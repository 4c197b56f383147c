"""Use case of themes: group the incidents of a scope by the phrases their contributing factors and root causes
share, each event once (duplicates shown as the incident they repeat), with their services, categories and the state
of the action items that address them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from afteraction.actions.models import ActionItem
from afteraction.analysis.categories import Category, Lexicon, lexicon_score, normalise_category
from afteraction.analysis.themes import FactorText, cluster_factors
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.domain.actions import OPEN_ACTION_STATUSES
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.insights.duplicates import shown_as
from afteraction.insights.schemas import ActionRef, Count, Theme, ThemeIncident
from afteraction.insights.sql import scope_conditions
from afteraction.insights.taxonomy import load_taxonomy
from afteraction.reviews.models import ContributingFactor, Postmortem, WhyNode

_SENTENCE = re.compile(r"(?<=[.!?])\s")
_CHUNK = 500


def compute_themes(
    db: Database,
    *,
    since: date | None = None,
    until: date | None = None,
    team: str | None = None,
    service: str | None = None,
    limit: int = 2000,
    today: date | None = None,
    actor: Actor,
) -> list[Theme]:
    """Themes across the most recent `limit` post-mortems of a scope, biggest first.

    An incident speaks through its contributing factors and its root causes (why-nodes marked as such); one with
    neither speaks through its title and the first two sentences of its summary. A duplicate (linked, or alike enough
    to be suspected) is shown as the incident it repeats and counted once. Action items address a theme when they name
    one of its factors; items of its incidents that name no factor count too.
    """
    today = today or utcnow().date()
    scope = scope_conditions(actor=actor, since=since, until=until, team=team, service=service)
    with db.transaction() as session:
        taxonomy = load_taxonomy(session)
        names = {c.slug: c.name for c in taxonomy}
        recent = session.execute(
            select(Incident.id, Postmortem.id, Postmortem.summary, Incident.number, Incident.title, Incident.extra)
            .join(Postmortem, Postmortem.incident_id == Incident.id)
            .where(*scope)
            .order_by(Incident.happened_at.desc().nulls_last(), Incident.id.desc())
            .limit(limit)
        ).all()
        by_pm = {int(pm): (int(iid), summary or "", title or "") for iid, pm, summary, _n, title, _x in recent}
        keys = {int(iid): f"INC-{number}" for iid, _pm, _s, number, _t, _x in recent}
        titles = {int(iid): title for iid, _pm, _s, _n, title, _x in recent}
        ignore = {int(iid): _company_words(extra) for iid, _pm, _s, _n, _t, extra in recent if _company_words(extra)}
        duplicate_of = {d: o for d, o in shown_as(session, actor=actor, ids=list(keys)).items() if o in keys}
        factors: list[FactorText] = []
        spoken: set[int] = set()
        pm_ids = [pm for pm, (iid, _s, _t) in by_pm.items()]
        for start in range(0, len(pm_ids), _CHUNK):
            chunk = pm_ids[start : start + _CHUNK]
            rows = session.execute(
                select(ContributingFactor.id, ContributingFactor.postmortem_id, ContributingFactor.text,
                       ContributingFactor.category)
                .where(ContributingFactor.postmortem_id.in_(chunk))
                .order_by(ContributingFactor.postmortem_id, ContributingFactor.position)
            )  # fmt: skip
            for pm in chunk:
                # The title says in a few words what happened; factors and root causes say why.
                if by_pm[pm][2]:
                    factors.append(FactorText(-pm - 2_000_000_000, by_pm[pm][0], by_pm[pm][2], None, title=True))
            for fid, pm, text, category in rows:
                spoken.add(int(pm))
                factors.append(FactorText(int(fid), by_pm[int(pm)][0], text, normalise_category(category, taxonomy)))
            for wid, pm, text in session.execute(
                select(WhyNode.id, WhyNode.postmortem_id, WhyNode.text)
                .where(WhyNode.postmortem_id.in_(chunk), WhyNode.is_root_cause.is_(True))
                .order_by(WhyNode.postmortem_id, WhyNode.position)
            ):
                spoken.add(int(pm))
                factors.append(FactorText(-int(wid) - 1_000_000_000, by_pm[int(pm)][0], text, None))
        stand_ins = {pm: iid for pm, (iid, summary, title) in by_pm.items() if pm not in spoken and (summary or title)}
        labelled = _categories_of(session, list(stand_ins.values()), taxonomy)
        lexicon = Lexicon.of(taxonomy)
        for pm, iid in stand_ins.items():
            _iid, summary, title = by_pm[pm]
            text = " ".join(_SENTENCE.split(summary.strip(), maxsplit=2)[:2])[:600]
            factors.append(
                FactorText(-pm, iid, f"{title}. {text}", _stand_in_category(text, labelled.get(iid, []), lexicon))
            )
        # A duplicate speaks as the incident it repeats: its words join the original's, and it is counted once.
        factors = [
            FactorText(f.key, duplicate_of.get(f.incident, f.incident), f.text, f.category, f.title) for f in factors
        ]
        clusters = cluster_factors(factors, ignore=ignore)
        incident_ids = sorted({i for c in clusters for i in c.incidents} | {d for d, o in duplicate_of.items()})
        services: dict[int, list[str]] = {}
        items: dict[int, list[ActionItem]] = {}
        for start in range(0, len(incident_ids), _CHUNK):
            chunk = incident_ids[start : start + _CHUNK]
            for iid, value in session.execute(
                select(IncidentLabel.incident_id, IncidentLabel.value).where(
                    IncidentLabel.incident_id.in_(chunk), IncidentLabel.kind == "service"
                )
            ):
                services.setdefault(int(iid), []).append(str(value))
            for item in session.scalars(select(ActionItem).where(ActionItem.incident_id.in_(chunk))):
                items.setdefault(item.incident_id, []).append(item)
        copies: dict[int, list[int]] = {}
        for duplicate, original in sorted(duplicate_of.items()):
            copies.setdefault(original, []).append(duplicate)
        themes = []
        for cluster in clusters:
            factor_ids = {m.key for m in cluster.members}
            every = [i for iid in cluster.incidents for i in [iid, *copies.get(iid, [])]]
            addressing = [
                item
                for iid in every
                for item in items.get(iid, [])
                if item.factor_id in factor_ids or item.factor_id is None
            ]
            counts: dict[str, int] = {}
            for iid in cluster.incidents:
                for name in dict.fromkeys(s for i in [iid, *copies.get(iid, [])] for s in services.get(i, [])):
                    counts[name] = counts.get(name, 0) + 1
            open_items = [i for i in addressing if i.status in OPEN_ACTION_STATUSES]
            themes.append(
                Theme(
                    title=cluster.phrase[:1].upper() + cluster.phrase[1:],
                    category=cluster.category,
                    category_name=names.get(cluster.category) if cluster.category else None,
                    categories=_counts(cluster.categories),
                    terms=cluster.phrases,
                    factors=list(dict.fromkeys(m.text for m in cluster.members if not m.title))[:20],
                    incidents=[keys[i] for i in cluster.incidents],
                    members=[
                        ThemeIncident(id=keys[i], title=titles[i], duplicates=[keys[d] for d in copies.get(i, [])])
                        for i in cluster.incidents
                    ],
                    duplicates=[keys[d] for i in cluster.incidents for d in copies.get(i, [])],
                    services=_counts(counts),
                    actions_open=len(open_items),
                    actions_done=sum(1 for i in addressing if i.status == "done"),
                    actions_overdue=sum(1 for i in open_items if i.due_date is not None and i.due_date < today),
                    actions=[
                        ActionRef(
                            id=f"AI-{i.id}",
                            title=i.title,
                            type=i.type,
                            status=i.status,
                            closed_at=i.closed_at,
                            due=i.due_date,
                        )
                        for i in addressing[:20]
                    ],
                )
            )
        return themes


def _counts(counts: dict[str, int]) -> list[Count]:
    return sorted((Count(key=k, count=n) for k, n in counts.items()), key=lambda c: (-c.count, c.key))


def _company_words(extra: object) -> set[str]:
    """The words of the company an imported write-up is about: a theme is not named after who had the incident."""
    company = extra.get("company") if isinstance(extra, dict) else None
    return set(str(company).lower().replace(".", " ").split()) if company else set()


def _categories_of(session: Session, ids: list[int], taxonomy: Sequence[Category]) -> dict[int, list[str]]:
    """The taxonomy categories stored on incidents."""
    labelled: dict[int, list[str]] = {}
    for start in range(0, len(ids), _CHUNK):
        for iid, value in session.execute(
            select(IncidentLabel.incident_id, IncidentLabel.value)
            .where(IncidentLabel.incident_id.in_(ids[start : start + _CHUNK]), IncidentLabel.kind == "category")
            .order_by(IncidentLabel.incident_id, IncidentLabel.position)
        ):
            slug = normalise_category(value, taxonomy)
            if slug:
                labelled.setdefault(int(iid), []).append(slug)
    return labelled


def _stand_in_category(text: str, own: list[str], lexicon: Lexicon) -> str | None:
    """The one of the incident's own categories that a summary's words point to most (else the one the words point
    to, else its first)."""
    scores = {slug: lexicon_score(h) for slug, h in lexicon.hits(text).items() if h}
    chosen = max(own, key=lambda slug: scores.get(slug, 0.0)) if own else None
    if chosen is None or not scores.get(chosen):
        chosen = max(scores, key=lambda slug: (scores[slug], slug)) if scores else (own[0] if own else None)
    return chosen
