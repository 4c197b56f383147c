"""Themes: incidents grouped by the noun phrases their contributing factors and root causes share, each named by
the phrase most of its incidents use. Pure, no database."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from afteraction.analysis.categories import Lexicon, lexicon_score
from afteraction.analysis.phrases import GENERIC, noun_phrases, spell


@dataclass(frozen=True, slots=True)
class FactorText:
    """A contributing factor (or a root cause, or a summary standing in for them) of an incident, with its category
    if known. `key` is the factor's id when it is a stored factor (action items name it), else negative."""

    key: int
    incident: int
    text: str
    category: str | None = None
    title: bool = False


@dataclass
class Cluster:
    """Incidents whose factors share a phrase: the phrase that names them, the members and the leading category."""

    phrase: str
    incidents: list[int]
    members: list[FactorText] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    category: str | None = None
    categories: dict[str, int] = field(default_factory=dict)


def categorise(text: str, lexicon: Lexicon) -> str | None:
    """The category whose keywords a text hits most, or None."""
    scores = {slug: lexicon_score(h) for slug, h in lexicon.hits(text).items() if h}
    return max(scores, key=lambda slug: (scores[slug], slug)) if scores else None


def _weight(key: str) -> float:
    """Longer phrases say more: a two-word phrase counts as 1.6 incidents of a one-word one, three words as 2."""
    return (1.0, 1.6, 2.0, 2.2)[min(key.count(" "), 3)]


def _meaningful(key: str) -> str:
    """A phrase key without generic words at its end, for weighing names (`xid wraparound outage` weighs as `xid
    wraparound`)."""
    words = key.split()
    while len(words) > 1 and words[-1] in GENERIC:
        words.pop()
    return " ".join(words)


def leading_category(counts: dict[str, int], total: int, *, share: float = 0.5) -> str | None:
    """The category more than `share` of a theme's `total` factors carry, or None when they spread over several."""
    if not counts or not total:
        return None
    slug = max(counts, key=lambda s: (counts[s], s))
    return slug if counts[slug] > share * total else None


def cluster_factors(
    factors: Sequence[FactorText],
    *,
    ignore: dict[int, set[str]] | None = None,
    min_incidents: int = 2,
    max_share: float = 0.05,
    min_size_cap: int = 8,
    overlap: float = 0.5,
) -> list[Cluster]:
    """Themes of the incidents of some factors, biggest first.

    Each incident's factors give it a set of noun phrases. Phrases shared by at least `min_incidents` incidents, but
    by no more than `max_share` of them (at least `min_size_cap`: `database` says nothing), are taken in order of how
    many incidents share them (longer phrases weigh more): a phrase whose incidents are mostly (`overlap`) in a theme
    already adds the rest of them to it (`power` joins `power failure`), else its incidents not yet in a theme start
    one. An incident is in one theme at most. A theme is named by the phrase most of its incidents share (a longer
    one when it covers nearly as many), and has a category only when most of its factors carry one.

    `ignore` gives, per incident, words that must not name a theme (the company's name in a public write-up).
    """
    ignore = ignore or {}
    by_incident: dict[int, list[FactorText]] = {}
    for factor in factors:
        by_incident.setdefault(factor.incident, []).append(factor)
    keys: dict[int, set[str]] = {}
    surfaces: dict[str, list[str]] = {}
    for incident, own in by_incident.items():
        skip = {w.lower() for w in ignore.get(incident, set())}
        found: set[str] = set()
        for factor in own:
            for phrase in noun_phrases(factor.text):
                if skip and skip & set(phrase.surface.lower().split()):
                    continue
                found.add(phrase.key)
                surfaces.setdefault(phrase.key, []).append(phrase.surface)
        keys[incident] = found
    df: dict[str, list[int]] = {}
    for incident, found in keys.items():
        for key in found:
            df.setdefault(key, []).append(incident)
    cap = max(min_size_cap, math.ceil(max_share * len(keys)))
    # Phrases of several words first: they say what happened ("certificate expiry"); single words ("certificate")
    # then gather what is left, and join the theme whose name they are part of.
    candidates = sorted(
        (k for k, members in df.items() if min_incidents <= len(members) <= cap and k not in GENERIC),
        key=lambda k: (" " not in k, -len(df[k]) * _weight(k), k),
    )
    owner: dict[int, int] = {}
    groups: list[list[int]] = []
    seeds: list[set[str]] = []
    names: list[str] = []
    for key in candidates:
        members = df[key]
        counts: dict[int, int] = {}
        for incident in members:
            if incident in owner:
                counts[owner[incident]] = counts.get(owner[incident], 0) + 1
        free = [i for i in members if i not in owner]
        if not free:
            continue
        best = max(counts, key=lambda g: (counts[g], -g)) if counts else None
        words = set(key.split())
        if (
            best is not None
            and (words <= seeds[best] or (" " in key and counts[best] >= max(overlap * len(members), len(free))))
            and len(groups[best]) + len(free) <= cap
        ):
            target = best
        elif len(free) >= min_incidents:
            target = len(groups)
            groups.append([])
            seeds.append(words)
            names.append(key)
        else:
            continue
        for incident in free:
            owner[incident] = target
            groups[target].append(incident)
    clusters = [_named(seed, sorted(g), keys, surfaces, by_incident) for seed, g in zip(names, groups, strict=True)]
    return sorted(clusters, key=lambda c: (-len(c.incidents), c.phrase))


def _named(
    seed: str,
    incidents: list[int],
    keys: dict[int, set[str]],
    surfaces: dict[str, list[str]],
    by_incident: dict[int, list[FactorText]],
) -> Cluster:
    shared: dict[str, int] = {}
    for incident in incidents:
        for key in keys[incident]:
            shared[key] = shared.get(key, 0) + 1
    floor = max(2, math.ceil(0.4 * len(incidents)))
    # The seed names the theme unless a longer phrase is shared by at least as many of its incidents.
    ranked = sorted(
        (k for k, n in shared.items() if k == seed or (n >= floor and " " in _meaningful(k))),
        key=lambda k: (-shared[k] * _weight(_meaningful(k)) * (1.0 if k == seed or shared[k] >= shared[seed] else 0.5),
                       -len(k), k),
    )  # fmt: skip
    # A phrase inside a better-ranked one adds nothing to the name ("certificate" beside "certificate expiry").
    chosen: list[str] = []
    for key in ranked:
        if not any(key in other or other in key for other in chosen):
            chosen.append(key)
    names = [spell(surfaces[k]) for k in chosen[:4]]
    # The theme's factors are those that use one of its phrases (an incident's other factors belong elsewhere).
    every = [f for i in incidents for f in by_incident[i]]
    members = [f for f in every if {p.key for p in noun_phrases(f.text)} & set(chosen[:4])] or every
    categories: dict[str, int] = {}
    reasons = [m for m in members if not m.title]
    for factor in reasons:
        if factor.category:
            categories[factor.category] = categories.get(factor.category, 0) + 1
    return Cluster(
        phrase=names[0] if names else "",
        incidents=incidents,
        members=members,
        phrases=names,
        category=leading_category(categories, len(reasons)),
        categories=categories,
    )
