"""The words other templates use for afteraction's values: priorities, action statuses, action types, severities.

`map_value` is the one rule: a company's own words (the mapping file's `values`) first, then these vocabularies,
then the value itself when it already is one afteraction allows; None when nothing fits (the import then keeps the
word as text and warns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from afteraction.domain.actions import ACTION_STATUSES, ACTION_TYPES, PRIORITIES

PRIORITY_WORDS: dict[str, str] = {
    "p0": "P0",
    "p1": "P1",
    "p2": "P2",
    "p3": "P3",
    "p4": "P3",  # afteraction's lowest priority
    "p5": "P3",
    "critical": "P0",
    "blocker": "P0",
    "urgent": "P0",
    "highest": "P0",
    "high": "P1",
    "major": "P1",
    "medium": "P2",
    "med": "P2",
    "normal": "P2",
    "moderate": "P2",
    "low": "P3",
    "minor": "P3",
    "lowest": "P3",
    "trivial": "P3",
}
STATUS_WORDS: dict[str, str] = {
    "open": "open",
    "todo": "open",
    "to do": "open",
    "to-do": "open",
    "not started": "open",
    "new": "open",
    "pending": "open",
    "planned": "open",
    "backlog": "open",
    "in progress": "in-progress",
    "in-progress": "in-progress",
    "doing": "in-progress",
    "started": "in-progress",
    "wip": "in-progress",
    "ongoing": "in-progress",
    "done": "done",
    "closed": "done",
    "complete": "done",
    "completed": "done",
    "fixed": "done",
    "resolved": "done",
    "finished": "done",
    "implemented": "done",
    "merged": "done",
    "shipped": "done",
    "won't fix": "wont-do",
    "wont fix": "wont-do",
    "won't do": "wont-do",
    "wont do": "wont-do",
    "wont-do": "wont-do",
    "wontfix": "wont-do",
    "not doing": "wont-do",
    "cancelled": "wont-do",
    "canceled": "wont-do",
    "declined": "wont-do",
    "rejected": "wont-do",
    "dropped": "wont-do",
    "obsolete": "wont-do",
}
TYPE_WORDS: dict[str, str] = {
    "prevent": "prevent",
    "prevention": "prevent",
    "preventive": "prevent",
    "preventative": "prevent",
    "mitigate": "mitigate",
    "mitigation": "mitigate",
    "detect": "detect",
    "detection": "detect",
    "monitoring": "detect",
    "alerting": "detect",
    "process": "process",
    "documentation": "process",
    "docs": "process",
    "repair": "repair",
    "repairs": "repair",
    "fix": "repair",
    "corrective": "repair",
    "learn": "learn",
    "learning": "learn",
    "investigate": "learn",
    "investigation": "learn",
    "other": "",  # no type: afteraction has none for "other"
}
# Severity words, mapped onto the configured severities by rank (0 = the most severe).
SEVERITY_RANKS: dict[str, int] = {
    "critical": 0,
    "sev0": 0,
    "sev-0": 0,
    "sev 0": 0,
    "p0": 0,
    "major": 1,
    "high": 1,
    "sev1": 0,
    "sev-1": 0,
    "sev 1": 0,
    "p1": 0,
    "sev2": 1,
    "sev-2": 1,
    "sev 2": 1,
    "p2": 1,
    "medium": 2,
    "moderate": 2,
    "sev3": 2,
    "sev-3": 2,
    "sev 3": 2,
    "p3": 2,
    "minor": 3,
    "low": 3,
    "sev4": 3,
    "sev-4": 3,
    "sev 4": 3,
    "p4": 3,
}
VOCABULARIES: dict[str, dict[str, str]] = {"priority": PRIORITY_WORDS, "status": STATUS_WORDS, "type": TYPE_WORDS}
ALLOWED: dict[str, Sequence[str]] = {"priority": PRIORITIES, "status": ACTION_STATUSES, "type": ACTION_TYPES}


def value_key(written: str) -> str:
    """How a written value is compared: Markdown emphasis, brackets and case ignored, inner space collapsed."""
    text = re.sub(r"[*_`~()\[\]]", "", written)
    return " ".join(text.replace("’", "'").split()).casefold()


def map_value(
    field: str,
    written: str,
    *,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    severities: Sequence[str] = (),
) -> str | None:
    """afteraction's value for a value written in another template (`field`: priority, status, type or severity),
    "" when the word means no value (an action type "Other"), or None when none fits. `overrides` (field → written
    word, compared by `value_key` → value) win."""
    key = value_key(written)
    if not key:
        return None
    for word, value in (overrides or {}).get(field, {}).items():
        if value_key(word) == key:
            return value
    allowed = list(severities) if field == "severity" else list(ALLOWED.get(field, ()))
    for choice in allowed:
        if choice.casefold() == key:
            return choice
    if field == "severity":
        rank = SEVERITY_RANKS.get(key)
        if rank is None or not allowed:
            return None
        return allowed[min(rank, len(allowed) - 1)]
    return VOCABULARIES.get(field, {}).get(key)
