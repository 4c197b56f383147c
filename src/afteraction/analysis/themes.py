"""Themes: contributing factors of many post-mortems clustered by category and wording. Pure, no database."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from afteraction.analysis.categories import DEFAULT_TAXONOMY, Category, Lexicon, lexicon_score
from afteraction.analysis.similarity import STOPWORDS, tokenize

_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s")


def stem(word: str) -> str:
    """A light suffix-stripping stem, enough to put `deploys`, `deployed` and `deploying` together."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """The stemmed content words of a text."""
    return [stem(t) for t in content_words(text)]


def content_words(text: str) -> list[str]:
    """The words of a text that carry meaning (no stopwords, numbers or two-letter words)."""
    return [t for t in tokenize(text) if t not in STOPWORDS and len(t) > 2 and not t.isdigit()]


@dataclass(frozen=True, slots=True)
class FactorText:
    """A contributing factor (or a summary standing in for one) of an incident, with its category if known."""

    key: int
    incident: int
    text: str
    category: str | None = None


@dataclass
class Cluster:
    """Factors that say much the same thing."""

    category: str
    members: list[FactorText] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)
    top_terms: list[str] = field(default_factory=list)

    @property
    def incidents(self) -> list[int]:
        """The distinct incidents of the members, in order of appearance."""
        return list(dict.fromkeys(m.incident for m in self.members))


def categorise(text: str, lexicon: Lexicon) -> str | None:
    """The category whose keywords a text hits most, or None."""
    scores = {slug: lexicon_score(h) for slug, h in lexicon.hits(text).items() if h}
    return max(scores, key=lambda slug: (scores[slug], slug)) if scores else None


def _vector(words: Sequence[str], idf: dict[str, float]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    vec = {w: (1.0 + math.log(n)) * idf.get(w, 0.0) for w, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {w: v / norm for w, v in vec.items() if v}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def cluster_factors(
    factors: Sequence[FactorText],
    taxonomy: Sequence[Category] = DEFAULT_TAXONOMY,
    *,
    threshold: float = 0.3,
    min_incidents: int = 2,
) -> list[Cluster]:
    """Themes of factors: within each category, a factor joins the closest theme (tf-idf cosine ≥ threshold) or
    starts one; themes found in fewer than min_incidents incidents are dropped. Biggest first."""
    lexicon = Lexicon.of(taxonomy)
    tokenised = [terms(f.text) for f in factors]
    df: dict[str, int] = {}
    for words in tokenised:
        for w in set(words):
            df[w] = df.get(w, 0) + 1
    n = max(len(factors), 1)
    idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
    clusters: dict[str, list[Cluster]] = {}
    for factor, words in zip(factors, tokenised, strict=True):
        category = factor.category or categorise(factor.text, lexicon) or "uncategorised"
        vec = _vector(words, idf)
        if not vec:
            continue
        group = clusters.setdefault(category, [])
        best, best_sim = None, threshold
        for cluster in group:
            sim = _dot(vec, cluster.centroid)
            if sim >= best_sim:
                best, best_sim = cluster, sim
        if best is None:
            best = Cluster(category=category)
            group.append(best)
        best.members.append(factor)
        size = len(best.members)
        merged = {k: v * (size - 1) / size for k, v in best.centroid.items()}
        for k, v in vec.items():
            merged[k] = merged.get(k, 0.0) + v / size
        norm = math.sqrt(sum(v * v for v in merged.values())) or 1.0
        best.centroid = {k: v / norm for k, v in merged.items()}
    out = [c for group in clusters.values() for c in group if len(c.incidents) >= min_incidents]
    for cluster in out:
        # Show each top stem as the word the factors use most for it (`deploy` for deploys, deployed, deploying).
        spelled: dict[str, dict[str, int]] = {}
        for member in cluster.members:
            for word in content_words(member.text):
                forms = spelled.setdefault(stem(word), {})
                forms[word] = forms.get(word, 0) + 1
        top = [w for w, _ in sorted(cluster.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:4]]
        cluster.top_terms = [
            max(spelled[t], key=lambda w: (spelled[t][w], -len(w), w)) if t in spelled else t for t in top
        ]
    return sorted(out, key=lambda c: (-len(c.incidents), -len(c.members), c.category, c.top_terms))
