"""Similarity of post-mortems: query-term choice for BM25 search, score blending, cosine. Pure, no database."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"[^\W_]+")

# Words that say nothing about an incident; BM25 would weigh them near zero anyway, but they widen the candidates.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while who whom why will
    with would you your yours also however since were""".split()  # noqa: SIM905
)

K1 = 1.2
B = 0.75


def tokenize(text: str) -> list[str]:
    """The words of a text as SQLite's unicode61 tokenizer splits them, lower-cased."""
    return [token.lower() for token in _TOKEN.findall(text)]


def idf(df: int, n_docs: int) -> float:
    """BM25's inverse document frequency (the non-negative variant Lucene uses)."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def choose_query_terms(
    tf: Mapping[str, int],
    df: Mapping[str, int],
    n_docs: int,
    *,
    max_terms: int = 24,
    postings_budget: int = 4000,
) -> list[str]:
    """The query's most telling indexed terms, by tf·idf, within a budget of postings to score.

    Terms no document holds are left out; so are terms whose postings would push the total over the budget, which on a
    large history drops the commonest words (they weigh least in BM25) and keeps a search fast.
    """
    ranked = sorted(
        (term for term in tf if df.get(term, 0) > 0 and term not in STOPWORDS),
        key=lambda term: (-(1.0 + math.log(tf[term])) * idf(df[term], n_docs), term),
    )
    chosen: list[str] = []
    spent = 0
    for term in ranked:
        postings = df[term]
        if chosen and spent + postings > postings_budget:
            continue
        chosen.append(term)
        spent += postings
        if len(chosen) >= max_terms:
            break
    return chosen


def candidate_words(text: str, *, limit: int = 80) -> list[str]:
    """The distinct non-stopword words of a text, most frequent (then longest) first: what to look up."""
    counts: dict[str, int] = {}
    for token in tokenize(text):
        if token not in STOPWORDS and len(token) > 1 and not token.isdigit():
            counts[token] = counts.get(token, 0) + 1
    return sorted(counts, key=lambda word: (-counts[word], -len(word), word))[:limit]


@dataclass(frozen=True, slots=True)
class Scored:
    """An incident row id and its relevance (higher is more similar)."""

    incident_id: int
    score: float


def normalise(scores: Sequence[Scored]) -> dict[int, float]:
    """Scores scaled to 0..1 by the best one, so that scores of different kinds can be mixed."""
    best = max((s.score for s in scores), default=0.0)
    if best <= 0:
        return {s.incident_id: 0.0 for s in scores}
    return {s.incident_id: max(s.score, 0.0) / best for s in scores}


def blend(lexical: Sequence[Scored], semantic: Sequence[Scored], *, weight: float = 0.5) -> list[Scored]:
    """BM25 and embedding similarity mixed as (1 − weight)·lexical + weight·semantic, both scaled to 0..1."""
    lex = normalise(lexical)
    sem = normalise(semantic)
    ids = dict.fromkeys([*lex, *sem])
    mixed = [Scored(i, (1.0 - weight) * lex.get(i, 0.0) + weight * sem.get(i, 0.0)) for i in ids]
    return sorted(mixed, key=lambda s: (-s.score, s.incident_id))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of two vectors (0 when either is zero)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def top_k(scores: Iterable[Scored], k: int) -> list[Scored]:
    """The k best, ties broken by the older incident first."""
    return sorted(scores, key=lambda s: (-s.score, s.incident_id))[:k]
