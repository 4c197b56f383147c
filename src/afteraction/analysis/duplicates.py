"""Near-duplicate incidents: the same event recorded twice (imported from two sources, or filed by two teams), found
by the word shingles their titles and summaries share. Pure, no database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

_WORD = re.compile(r"[a-z0-9]+")
_SHINGLE = 3
_SUMMARY_CHARS = 1500
# A shingle found in more texts than this says nothing about which two are the same event ("caused an outage of").
_COMMON = 50


@dataclass(frozen=True, slots=True)
class IncidentText:
    """What an incident says about itself: its title, summary and when it happened (None when unknown)."""

    incident: int
    title: str
    summary: str
    happened_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two incidents that look like the same event: `incident` (the later one) and `other`, and how alike they are
    (the Jaccard index of their shingles, 0 to 1)."""

    incident: int
    other: int
    score: float


def normalise(text: str) -> str:
    """A text lower-cased, without accents, Markdown links' addresses and punctuation: words separated by spaces."""
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_WORD.findall(text.lower()))


def shingles(text: str, size: int = _SHINGLE) -> frozenset[str]:
    """The runs of `size` consecutive words of a normalised text (the whole text when it is shorter)."""
    words = normalise(text).split()
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared shingles over all shingles of the two (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _text_of(item: IncidentText) -> str:
    return f"{item.title}\n{item.summary[:_SUMMARY_CHARS]}"


def find_duplicates(
    items: Sequence[IncidentText], *, threshold: float = 0.6, max_days_apart: int = 2
) -> list[DuplicatePair]:
    """Pairs of incidents whose title and summary share at least `threshold` of their shingles (or whose summaries
    alone do, when the summaries say enough: a title may be only the company's name; or when a long summary is
    nearly all inside the other, an abridged copy), most alike first.

    Two incidents that both know when they happened, more than `max_days_apart` days apart, are two events (a
    recurrence written up with the same words is not a duplicate). Candidates are found through the shingles they
    share, so the work grows with the pairs that share words, not with the square of the incidents."""
    whole = [shingles(_text_of(i)) for i in items]
    summaries = [shingles(i.summary[:_SUMMARY_CHARS]) for i in items]
    postings: dict[str, list[int]] = {}
    for index, found in enumerate(whole):
        for shingle in found:
            postings.setdefault(shingle, []).append(index)
    shared: dict[tuple[int, int], int] = {}
    for members in postings.values():
        if len(members) < 2 or len(members) > _COMMON:
            continue
        for position, a in enumerate(members):
            for b in members[position + 1 :]:
                shared[(a, b)] = shared.get((a, b), 0) + 1
    pairs: list[DuplicatePair] = []
    for (a, b), count in shared.items():
        if count < 2 and min(len(whole[a]), len(whole[b])) > 2:
            continue
        first, second = items[a], items[b]
        apart = _days_apart(first.happened_at, second.happened_at)
        if apart is not None and apart > max_days_apart:
            continue
        score = jaccard(whole[a], whole[b])
        smaller = min(len(summaries[a]), len(summaries[b]))
        if smaller >= 4:
            score = max(score, jaccard(summaries[a], summaries[b]))
        if smaller >= 10:
            # One summary cut short of the other (an abridged copy): what the shorter one says, the longer one does.
            score = max(score, 0.9 * len(summaries[a] & summaries[b]) / smaller)
        if score >= threshold:
            later, earlier = (first, second) if first.incident > second.incident else (second, first)
            pairs.append(DuplicatePair(later.incident, earlier.incident, round(score, 3)))
    return sorted(pairs, key=lambda p: (-p.score, p.other, p.incident))


def _days_apart(a: datetime | None, b: datetime | None) -> float | None:
    return abs((a - b).total_seconds()) / 86400 if a is not None and b is not None else None


def canonical(pairs: Sequence[tuple[int, int]]) -> dict[int, int]:
    """For pairs (duplicate, original), each incident that is a duplicate mapped to the one it is shown as: the
    original at the end of the chain (INC-3 → INC-2 → INC-1 shows INC-3 as INC-1). A pair that would close a loop
    is ignored: the first pairs win."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for duplicate, original in pairs:
        a, b = root(duplicate), root(original)
        if a != b:
            parent[a] = b
    return {x: root(x) for x in parent}
