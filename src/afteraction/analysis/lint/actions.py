"""Action item rules: vague wording, and a missing owner, due date, type or link to a cause.

An action item is concrete when it names a mechanism (add an alert, pin a version, require an approval) acting on
a specific object (checkout-api, the Terraform state lock, 80% disk usage). It is vague when its verb asks for an
attitude or more study (be careful, improve, look into, train) with nothing concrete to deliver, or when a concrete
verb acts on a generic object ("add monitoring", "fix the issue").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from afteraction.analysis.lint.names import words
from afteraction.domain.actions import ACTION_TYPES, ActionItemData

_MARKUP = re.compile(r"\*\*|__|~~|<[^>]*>")
_PREFIX = re.compile(
    r"^(?:\s*(?:[-*+]|\d{1,3}[.)]|\[[ xX]\]|todo\b:?|(?:ai|action|follow[- ]up|@?\w+):(?=\s)))+\s*", re.I
)
_LEAD = re.compile(
    r"^(?:we (?:need to|should|must|will|have to)|(?:need|needs|have|has) to|should|must|let'?s|please|"
    r"the team (?:will|should|needs to)|try to|continue to|going forward,?|in the future,?|make an effort to)\s+",
    re.I,
)
_HEAD_CLAUSE = re.compile(r"(?<=\w)(?::\s|\s[-–—]\s|\.\s)")
_WORD = re.compile(r"[^\W_][\w'’]*(?:[-./][\w'’]+)*")
_ANCHOR = re.compile(
    r"`[^`]+`|\d|[\w][-_./:=#@][\w*]|#[\w-]+|[A-Z]{2,}[\w-]*|\b[a-z]+[A-Z]\w*|https?://|\b[A-Z][a-z]+[A-Z]\w*"
)
_NEVER_AGAIN = re.compile(
    r"\b(?:(?:does not|doesn't|do not|don't|won't|will not|never|cannot|can't) (?:\w+ )?(?:happen|occur|recur|"
    r"repeat)|(?:happen|occur|recur)(?:s|ing|red|ed)? again|recurrence|in the future|going forward|next time|"
    r"similar (?:incidents|issues|"
    r"problems|outages))\b"
)
_ATTITUDE = re.compile(
    r"\b(?:be|being|stay|remain) (?:more |extra |very |a bit more )?(?:careful|vigilant|diligent|attentive|aware|"
    r"mindful|proactive|cautious|thorough|rigorous)\b|\bpay (?:more |closer |better )?attention\b|"
    r"\bkeep an eye on\b|\b(?:do|be) (?:a )?better\b|\btake (?:more )?care\b|\bthink (?:about|through|harder)\b|"
    r"\braise awareness\b|\bdouble[- ]?check\b|\bcommunicate (?:better|more)\b|\bmake (?:sure|certain)\b|"
    r"\bmake (?:[\w-]+ ){1,4}(?:more|less|better|safer|easier|faster|robust|reliable|resilient|stable|secure|"
    r"smoother|clearer|simpler|quicker|stronger|tighter|cleaner|sturdier)\b"
)
_VAGUE_VERBS = words(
    """
    improve improving enhance better increase strengthen optimize optimise revisit review reconsider consider
    investigate look explore evaluate assess analyse analyze discuss research study train educate remind
    communicate ensure be pay keep think follow raise do try continue monitor understand learn check avoid
    prevent more work address handle tackle clarify align sync reduce minimize minimise mitigate harden tighten
    share get have hold streamline formalize formalise rethink reassess reevaluate examine reexamine refine
    socialize socialise spread simplify brainstorm organize organise arrange reflect figure teach identify agree
    bring determine decide define
    """
)
_SECONDARY = re.compile(
    r"\b(?:and|then|by|to|so that|with)\s+(?:adding|add|creating|create|writing|write|setting|set|configuring|"
    r"configure|enabling|enable|disabling|disable|removing|remove|replacing|replace|file|filing|open|opening|"
    r"pinning|pin|implementing|implement|automating|automate|deploying|deploy|migrating|migrate|moving|move|"
    r"limiting|limit|requiring|require|blocking|block|alerting|alert|paging|page|running|run|scheduling|schedule|"
    r"documenting|document|publishing|publish|deleting|delete|raising|raise|lowering|lower|capping|cap)\b"
    r"(?:\s+(?:a|an|the|one|its|their))?\s+(\S+)"
)
_FORMAT = re.compile(r"\b(?:session|workshop|drill|game[- ]?day|exercise|course|walkthrough|tabletop)s?\b")
_END_STATE = re.compile(
    r"\b(?:is|are|be|gets?|been)\s+(?:\w+ly\s+)?(?:configured|set|enabled|disabled|pinned|routed|limited|required|"
    r"blocked|added|created|removed|deleted|replaced|rotated|automated|scheduled|documented|tagged|labell?ed|sent|"
    r"broadcast|exported|paged|excluded|restricted|protected|encrypted|backed up|versioned|locked)\b"
)
# Verbs of inspection that become concrete when their object is named precisely ("Monitor 5xx codes of the API").
_SOFT_VERBS = frozenset({"monitor", "review", "check", "audit"})
_TARGET = re.compile(r"\b(?:to|at|from|by|under|below|above|within|every|before|after)\s+(?:~|about\s+)?\d")
_GENERIC = words(
    """
    monitoring alerting alerts alert tests test testing coverage process processes procedure procedures documentation
    docs checks check improvements improvement things stuff safeguards guardrails visibility observability awareness
    communication issue issues problem problems bug bugs it this that quality reliability stability resilience
    robustness security performance everything fixes fix changes measures controls tooling automation capacity
    planning posture practices practice way ways options option approach approaches governance hygiene culture
    knowledge training understanding ownership collaboration coordination review reviews deployment deployments
    deploy deploys system systems setup infrastructure service services code logging metrics dashboards dashboard
    runbooks runbook health care attention time
    """
)
_FILLER = words(
    """
    the a an more better some any additional extra proper adequate sufficient our all further general overall
    appropriate necessary relevant improved enhanced new good robust of for on in to and around with about between
    across regarding re team teams we us its their this these those other various
    """
)


@dataclass(frozen=True, slots=True)
class Vague:
    """Why an action item is vague, and the part of its title that says so."""

    reason: str
    phrase: str


def _head(title: str) -> str:
    text = _MARKUP.sub("", title).strip()
    text = _PREFIX.sub("", text, count=1)
    text = _LEAD.sub("", text, count=1)
    cut = _HEAD_CLAUSE.search(text)
    return (text[: cut.start()] if cut and cut.start() > 8 else text).strip().rstrip(".!;")


def _specific_object(words: list[str]) -> bool:
    """Whether words name something specific: not only filler and generic nouns."""
    return any(w.lower() not in _FILLER and w.lower() not in _GENERIC for w in words)


def vague_reason(title: str) -> Vague | None:
    """Why an action item title is vague, or None when it names a concrete mechanism and object."""
    head = _head(title)
    head = re.sub(r"^(?:\w+ly\s+)+", "", head)  # "Actively monitor ..."
    words = _WORD.findall(head)
    if not words:
        return Vague("has no words", title.strip()[:40])
    low = head.lower()
    verb = re.sub(r"^re-(?=\w)", "re", words[0].lower())
    concrete = (
        any(_specific_object([m.group(1)]) for m in _SECONDARY.finditer(low))
        or bool(_TARGET.search(low))
        or bool(_END_STATE.search(low))
    )
    attitude = _ATTITUDE.search(low)
    if attitude and not concrete:
        return Vague("asks for an attitude, not a change", head[attitude.start() : attitude.end()])
    wish = _NEVER_AGAIN.search(low)
    if wish and not concrete and not _ANCHOR.search(head):
        return Vague("states a wish, not a change", head[wish.start() : wish.end()])
    rest = words[1:]
    if verb in ("look", "follow", "make", "keep", "think", "work") and rest:
        rest = rest[1:]  # "look into", "follow up", "make sure"
    if verb in _VAGUE_VERBS:
        if concrete or (verb in ("train", "educate", "teach", "learn") and _FORMAT.search(low)):
            return None
        if verb in _SOFT_VERBS and _ANCHOR.search(head[len(words[0]) :]):
            return None
        return Vague(f"'{words[0]}' names no mechanism", head[:60])
    if not rest:
        return Vague("names no object", head[:60])
    if not _ANCHOR.search(head[len(words[0]) :]) and not _specific_object(rest):
        return Vague("acts on nothing specific", head[:60])
    return None


def missing_owner(action: ActionItemData) -> bool:
    """Whether an action item has no real owner (empty, TBD, unassigned)."""
    owner = (action.owner or "").strip().lower().strip("?-—_ ")
    return owner in ("", "tbd", "tba", "n/a", "na", "none", "unassigned", "nobody", "unknown", "?")


def is_open(action: ActionItemData) -> bool:
    """Whether an action item still has work to do."""
    return action.status.strip().lower() in ("open", "in-progress", "in progress", "todo", "blocked")


def is_past_due(action: ActionItemData, today: date) -> bool:
    """Whether an open action item's due date has passed."""
    return is_open(action) and action.due is not None and action.due < today


def type_problem(action: ActionItemData) -> str | None:
    """What is wrong with an action item's type: missing, or not one of the known types."""
    if not action.type or not action.type.strip():
        return "has no type"
    if action.type.strip().lower() not in ACTION_TYPES:
        return f"has an unknown type {action.type!r}"
    return None
