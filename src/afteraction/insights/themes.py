"""Use case of themes: cluster the contributing factors of the post-mortems in a scope, with their incidents,
services and the state of the action items that address them."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from afteraction.actions.models import ActionItem
from afteraction.analysis.categories import Lexicon, lexicon_score, normalise_category
from afteraction.analysis.themes import FactorText, cluster_factors
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.domain.actions import OPEN_ACTION_STATUSES
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.insights.schemas import ActionRef, Count, Theme
from afteraction.insights.sql import scope_conditions
from afteraction.insights.taxonomy import load_taxonomy
from afteraction.reviews.models import ContributingFactor, Postmortem

_SENTENCE = re.compile(r"(?<=[.!?])\s")


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
    """Themes across the factors of the most recent `limit` post-mortems of a scope, biggest first.

    A post-mortem without a Contributing Factors section takes part with the first sentence of its summary. Action
    items address a theme when they name one of its factors; items of its incidents that name no factor count too.
    """
    today = today or utcnow().date()
    scope = scope_conditions(actor=actor, since=since, until=until, team=team, service=service)
    with db.transaction() as session:
        taxonomy = load_taxonomy(session)
        names = {c.slug: c.name for c in taxonomy}
        recent = session.execute(
            select(Incident.id, Postmortem.id, Postmortem.summary, Incident.number)
            .join(Postmortem, Postmortem.incident_id == Incident.id)
            .where(*scope)
            .order_by(Incident.happened_at.desc().nulls_last(), Incident.id.desc())
            .limit(limit)
        ).all()
        by_pm = {int(pm): (int(iid), summary or "", int(number)) for iid, pm, summary, number in recent}
        keys = {iid: f"INC-{number}" for iid, _summary, number in by_pm.values()}
        factors: list[FactorText] = []
        with_factors: set[int] = set()
        pm_ids = list(by_pm)
        for start in range(0, len(pm_ids), 500):
            rows = session.execute(
                select(ContributingFactor.id, ContributingFactor.postmortem_id, ContributingFactor.text,
                       ContributingFactor.category)
                .where(ContributingFactor.postmortem_id.in_(pm_ids[start : start + 500]))
                .order_by(ContributingFactor.postmortem_id, ContributingFactor.position)
            )  # fmt: skip
            for fid, pm, text, category in rows:
                with_factors.add(int(pm))
                factors.append(FactorText(int(fid), by_pm[int(pm)][0], text, normalise_category(category, taxonomy)))
        stand_ins = {pm: iid for pm, (iid, summary, _n) in by_pm.items() if pm not in with_factors and summary.strip()}
        labelled: dict[int, list[str]] = {}
        ids = list(stand_ins.values())
        for start in range(0, len(ids), 500):
            for iid, value in session.execute(
                select(IncidentLabel.incident_id, IncidentLabel.value)
                .where(IncidentLabel.incident_id.in_(ids[start : start + 500]), IncidentLabel.kind == "category")
                .order_by(IncidentLabel.incident_id, IncidentLabel.position)
            ):
                slug = normalise_category(value, taxonomy)
                if slug:
                    labelled.setdefault(int(iid), []).append(slug)
        lexicon = Lexicon.of(taxonomy)
        for pm, iid in stand_ins.items():
            # A summary stands in for missing factors, under the one of the incident's own categories that its words
            # point to most (else the one the words point to, else its first).
            first = _SENTENCE.split(by_pm[pm][1].strip(), maxsplit=1)[0][:400]
            own = labelled.get(iid, [])
            scores = {slug: lexicon_score(h) for slug, h in lexicon.hits(first).items() if h}
            chosen = max(own, key=lambda slug: scores.get(slug, 0.0)) if own else None
            if chosen is None or not scores.get(chosen):
                chosen = max(scores, key=lambda slug: (scores[slug], slug)) if scores else (own[0] if own else None)
            factors.append(FactorText(-pm, iid, first, chosen))
        clusters = cluster_factors(factors, taxonomy)
        incident_ids = sorted({i for c in clusters for i in c.incidents})
        services: dict[int, list[str]] = {}
        items: dict[int, list[ActionItem]] = {}
        for start in range(0, len(incident_ids), 500):
            chunk = incident_ids[start : start + 500]
            for iid, value in session.execute(
                select(IncidentLabel.incident_id, IncidentLabel.value).where(
                    IncidentLabel.incident_id.in_(chunk), IncidentLabel.kind == "service"
                )
            ):
                services.setdefault(int(iid), []).append(str(value))
            for item in session.scalars(select(ActionItem).where(ActionItem.incident_id.in_(chunk))):
                items.setdefault(item.incident_id, []).append(item)
        themes = []
        for cluster in clusters:
            factor_ids = {m.key for m in cluster.members}
            addressing = [
                item
                for iid in cluster.incidents
                for item in items.get(iid, [])
                if item.factor_id in factor_ids or item.factor_id is None
            ]
            counts: dict[str, int] = {}
            for iid in cluster.incidents:
                for name in services.get(iid, []):
                    counts[name] = counts.get(name, 0) + 1
            open_items = [i for i in addressing if i.status in OPEN_ACTION_STATUSES]
            themes.append(
                Theme(
                    title=f"{names.get(cluster.category, 'Other')}: {', '.join(cluster.top_terms[:3])}",
                    category=cluster.category,
                    terms=cluster.top_terms,
                    factors=[m.text for m in cluster.members][:20],
                    incidents=[keys[i] for i in cluster.incidents],
                    services=sorted(
                        (Count(key=k, count=n) for k, n in counts.items()), key=lambda c: (-c.count, c.key)
                    ),
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
