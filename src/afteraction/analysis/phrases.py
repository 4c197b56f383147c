"""Noun phrases of short texts (contributing factors, root causes, summaries): runs of content words between
stopwords, verbs, numbers and punctuation. Pure and small: no tagger, no model, no network."""

from __future__ import annotations

import re
from dataclasses import dataclass

from afteraction.analysis.similarity import STOPWORDS

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*|\d[\w.]*|[.,;:!?()\[\]{}\"`|/]")

# Words that end a noun phrase: function words and the verbs post-mortems use to tell what happened.
_BREAKS = STOPWORDS | frozenset(
    """across along also among around away back became become becomes began behind being beyond either else
    even ever every got here its let lets like made make makes many may might much must neither never onto
    per rather really still therefore thus toward towards upon us using via whether within without yet
    able already although always another anything around cannot could did due etc every however instead
    one two three four five six seven eight nine ten first second third last next previous previously
    set sets get gets take takes took taken give gives gave given go goes went gone come comes came
    cause causes caused causing led lead leads leading result results resulted resulting lose loses lost
    fail fails failed failing break breaks broke broken bring brings brought keep keeps kept run runs ran
    allow allows allowed prevent prevented see saw seen know knew known find found show shows showed
    start starts started stop stops stopped trigger triggers triggered need needs needed try tried
    use used uses include includes included including happen happened happens occur occurred occurs
    become becomes seem seemed appear appeared remain remained meant mean means turn turned
    affect affected affecting impact impacted hit hits reach reached return returned returning
    went took put puts apply applied applying change changed changing
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    today yesterday tomorrow morning afternoon evening night weekend pm am utc pst pdt cet est edt""".split()  # noqa: SIM905
)

# Words too general to name a theme on their own (they may still stand inside a longer phrase).
GENERIC = frozenset(
    """issue issues problem problems outage outages incident incidents service services customer customers
    user users time times minute minutes hour hours day days week weeks month months year years team teams
    system systems error errors failure failures impact result cause root part parts way ways thing things
    lot number amount case cases people person engineer engineers company request requests work data
    process change changes
    level levels point state status site sites platform product products version versions update
    updates event events effect fix fixes action actions side instead end start
    infrastructure availability internal loss primary operation operations running testing deploy deployment
    deployments upgrade upgrades monitoring cascading long critical disruption disruptions degradation
    downtime performance region regions traffic load production environment access component components
    investigation consequences key keys web blog com www org https http html archive post postmortem
    postmortems summary detail details information case note notes reason reasons response approx
    approximately period periods rate rates behaviour behavior problem mode modes discussion hn story tale""".split()  # noqa: SIM905
)

# Words that qualify a phrase without saying what it is about: dropped from the start of a run.
MODIFIERS = frozenset(
    """some several multiple many new old other others certain wrong bad good large small high low full partial
    major minor initial unexpected unknown additional available various whole entire same different single
    main most more less least another extra total global simple""".split()  # noqa: SIM905
)

_MAX_WORDS = 4


@dataclass(frozen=True, slots=True)
class Phrase:
    """A noun phrase as written (`surface`) and its matching key (lower-cased, stemmed words joined by spaces)."""

    key: str
    surface: str


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies")
_ES = ("sses", "xes", "zes", "ches", "shes")


def stem(word: str) -> str:
    """A light suffix-stripping stem, so that `certificates` and `certificate`, `boxes` and `box` share a key."""
    if word.endswith("ss"):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    if word.endswith(_ES) and len(word) > 5:
        return word[:-2]
    if word.endswith("s") and len(word) > 3 and not word.endswith(("us", "is")):
        return word[:-1]
    return word


def _is_break(word: str) -> bool:
    lower = word.lower()
    return (
        lower in _BREAKS
        or not lower[0].isalpha()
        or len(lower) < 2
        or (lower.endswith("ed") and len(lower) > 5 and lower not in _NOUNS_IN_ED)
        or (lower.endswith("ly") and len(lower) > 5)
    )


# Past participles used as adjectives inside phrases ("unintended version update", "shared cluster").
_NOUNS_IN_ED = frozenset("unintended shared unexpected distributed managed scheduled automated".split())  # noqa: SIM905


_ADDRESS = re.compile(r"\]\([^)]*\)|<?https?://\S+|\bwww\.\S+")


def runs(text: str) -> list[list[str]]:
    """The runs of content words of a text, as written: a noun phrase is a run (or a part of one). Addresses and
    Markdown link targets are left out."""
    out: list[list[str]] = []
    current: list[str] = []
    for token in _WORD.findall(_ADDRESS.sub(" . ", text)):
        if _is_break(token):
            if current:
                out.append(current)
            current = []
        else:
            current.append(token.replace("’", "'"))
    if current:
        out.append(current)
    return out


def _trim(words: list[str]) -> list[str]:
    """A run without qualifying words at its start (`bad config change` keeps `config change`)."""
    start = 0
    while start < len(words) and words[start].lower() in MODIFIERS:
        start += 1
    return words[start:]


def noun_phrases(text: str, *, max_words: int = _MAX_WORDS) -> list[Phrase]:
    """Every phrase of one to max_words consecutive words inside a run, except those made only of generic words.

    Each phrase appears once, in the order first seen; the key matches other spellings (`Certificates expired` and
    `certificate expiry` share `certificate`)."""
    seen: dict[str, Phrase] = {}
    for run in runs(text):
        words = _trim(run)
        for size in range(1, max_words + 1):
            for start in range(0, len(words) - size + 1):
                part = words[start : start + size]
                lowered = [w.lower() for w in part]
                if all(w in GENERIC for w in lowered) or lowered[-1] in _WEAK_ENDS:
                    continue
                key = " ".join(stem(w) for w in lowered)
                seen.setdefault(key, Phrase(key, " ".join(part)))
    return list(seen.values())


# Words a phrase should not end on ("config bad" from "the config was bad" never forms, but "database hit" could).
_WEAK_ENDS = frozenset(["able", "due", "such"])


def spell(surfaces: list[str]) -> str:
    """The spelling of a phrase most texts use (ties: the one with capitals kept, then alphabetical)."""
    counts: dict[str, int] = {}
    for surface in surfaces:
        counts[surface] = counts.get(surface, 0) + 1
    return max(counts, key=lambda s: (counts[s], sum(c.isupper() for c in s[1:]), s))
