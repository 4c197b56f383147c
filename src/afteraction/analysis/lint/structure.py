"""Structure rules and the completeness score: required sections, timeline order, key moments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from afteraction.analysis.lint.actions import missing_owner
from afteraction.domain.reviews import PostmortemDocument, WhyNodeData

SECTION_LABELS: dict[str, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "trigger": "Trigger",
    "detection": "Detection",
    "resolution": "Resolution",
    "timeline": "Timeline",
    "whys": "Five Whys",
    "factors": "Contributing Factors",
    "went-well": "What Went Well",
    "went-wrong": "What Went Wrong",
    "lucky": "Where We Got Lucky",
    "learned": "Lessons Learned",
    "actions": "Action Items",
    "supporting_info": "Supporting Information",
}
KEY_MOMENT_KINDS: tuple[str, ...] = ("incident", "failed-deploy")
_DETECT_KINDS = ("alert", "page")


@dataclass(frozen=True, slots=True)
class StructureProblem:
    """A structural problem: the rule, the line it is about (None for the whole document) and a message."""

    rule: str
    line: int | None
    message: str
    suggestion: str


def has_content(doc: PostmortemDocument, key: str) -> bool:
    """Whether a document says anything in a section."""
    if key in ("summary", "impact", "trigger", "detection", "resolution", "supporting_info"):
        return bool(str(getattr(doc, key)).strip())
    if key == "timeline":
        return bool(doc.timeline)
    if key == "whys":
        return bool(doc.whys)
    if key == "factors":
        return bool(doc.factors)
    if key == "actions":
        return bool(doc.actions)
    return bool(doc.lessons_of(key))


def check_sections(doc: PostmortemDocument, required: tuple[str, ...]) -> list[StructureProblem]:
    """A problem for each required section that is missing or empty."""
    problems: list[StructureProblem] = []
    for key in required:
        if has_content(doc, key):
            continue
        label = SECTION_LABELS.get(key, key)
        line = doc.section_lines.get(key)
        message = f"the {label} section is empty" if line else f"no {label} section"
        problems.append(
            StructureProblem(
                "structure/missing-section",
                line,
                message,
                f"Add a '## {label}' section; reviews of this kind of document require it.",
            )
        )
    return problems


# Moments as people write them, in a timeline event or on a line of their own with a time:
# "First detected: 2023-09-18 13:42", "OUTAGE BEGINS", "Start of incident", "Resolved 2023-09-20 19:18".
_MOMENT_WORDS: dict[str, re.Pattern[str]] = {
    "detected": re.compile(
        r"\b(?:(?:first )?detected|detection|alerted|alerts? (?:fired|triggered)|paged|noticed|reported|"
        r"incident (?:declared|opened|started|begins)|outage (?:begins|began|starts|started)|start of (?:the )?"
        r"(?:incident|outage)|start time|first symptoms|investigation (?:starts|started|began))\b",
        re.IGNORECASE,
    ),
    "resolved": re.compile(
        r"\b(?:resolved|resolution|repaired|fixed|solved|restored|recovered|back (?:to normal|online|up)|all clear|"
        r"(?:incident|outage) (?:ends|ended|closed|over)|end of (?:the )?(?:incident|outage)|end time)\b",
        re.IGNORECASE,
    ),
}
_STATED_AT = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{4}-\d{2}-\d{2}\b")
_SHOUTED = re.compile(r"^[\W\d_]*(?:[A-Z]+ )*(?:BEGINS|BEGIN|STARTS|ENDS|END|RESOLVED|DETECTED)\b")


# "unavailable from 9:16 PM to 11:16 PM PDT": a stated start and end.
_RANGE = re.compile(
    r"\b(?:from|between)\s+[^.;]{0,40}?\b\d{1,2}:\d{2}\b[^.;]{0,40}?\s(?:to|until|till|through|and)\s+[^.;]{0,30}?"
    r"\b\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)


def _stated(source: str | None, name: str) -> bool:
    """Whether the Markdown states a moment in words on a line with a time or date, in capitals, or as a range."""
    if source is None:
        return False
    pattern = _MOMENT_WORDS[name]
    for line in source.splitlines():
        if _RANGE.search(line):
            return True
        found = pattern.search(line)
        if found and (_STATED_AT.search(line) or _SHOUTED.match(line) or found.start() < 4):
            return True
    return False


def _moment(doc: PostmortemDocument, name: str, source: str | None = None) -> bool:
    if getattr(doc, f"{name}_at") is not None:
        return True
    if name == "detected" and (doc.started_at is not None or doc.acknowledged_at is not None):
        return True  # a document that says when the incident started has its first moment
    words = _MOMENT_WORDS[name]
    for entry in doc.timeline:
        if entry.key_moment == name or words.search(entry.text):
            return True
        if name == "detected" and (entry.kind in _DETECT_KINDS or entry.key_moment in ("started", "acknowledged")):
            return True
        if name == "resolved" and entry.kind == "resolve":
            return True
    return _stated(source, name)


def check_key_moments(doc: PostmortemDocument, source: str | None = None) -> list[StructureProblem]:
    """A problem for an incident with no detected or no resolved moment.

    A moment counts when the document's fields or timeline mark it, when the document says when the incident
    started (for the detected moment), or when a timeline event or a line with a time states it in words.
    """
    if doc.kind not in KEY_MOMENT_KINDS:
        return []
    line = doc.section_lines.get("timeline") or doc.section_lines.get("front_matter")
    return [
        StructureProblem(
            "structure/missing-key-moment",
            line,
            f"no {name} moment",
            f"Set `{name}_at` in the front matter, or mark the timeline event with **{name}** after its time.",
        )
        for name in ("detected", "resolved")
        if not _moment(doc, name, source)
    ]


def check_timeline_order(doc: PostmortemDocument) -> list[StructureProblem]:
    """A problem for each timeline event that is earlier than an event listed before it."""
    problems: list[StructureProblem] = []
    latest: datetime | None = None
    for entry in doc.timeline:
        if entry.at is None:
            continue
        if latest is not None and entry.at < latest:
            problems.append(
                StructureProblem(
                    "structure/timeline-order",
                    entry.line,
                    f"event at {_fmt(entry.at)} is listed after an event at {_fmt(latest)}",
                    "Order the timeline by time, or correct the time (check the date and the time zone).",
                )
            )
        else:
            latest = entry.at
    return problems


def _fmt(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Completeness:
    """How complete a post-mortem is, from 0 to 100, and what it still lacks."""

    score: int
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, int | list[str]]:
        """The score as JSON data."""
        return {"score": self.score, "missing": list(self.missing)}


def completeness(doc: PostmortemDocument) -> Completeness:
    """Score a post-mortem from 0 to 100 by what it contains, and list what is missing."""
    score = 0.0
    missing: list[str] = []

    def check(weight: float, ok: bool, what: str) -> None:
        nonlocal score
        if ok:
            score += weight
        else:
            missing.append(what)

    check(10, has_content(doc, "summary"), "a summary")
    check(10, has_content(doc, "impact"), "the impact")
    check(5, bool(doc.trigger.strip()), "the trigger")
    events = len(doc.timeline)
    check(10, events >= 3, "a timeline" if events == 0 else "a timeline of at least 3 events")
    applies = doc.kind in KEY_MOMENT_KINDS
    check(5, not applies or _moment(doc, "detected"), "the detected moment")
    check(5, not applies or _moment(doc, "resolved"), "the resolved moment")
    check(15, bool(doc.whys or doc.factors), "a cause analysis (five whys or contributing factors)")
    check(5, any(node.root_cause for node in _nodes(doc)), "a root cause")
    check(10, bool(doc.lessons), "lessons (what went well, what went wrong)")
    check(10, bool(doc.actions), "action items")
    if doc.actions:
        done = sum(1 for a in doc.actions if not missing_owner(a) and (a.due is not None or a.status == "done"))
        score += 10 * done / len(doc.actions)
        if done < len(doc.actions):
            missing.append(f"an owner and a due date for {len(doc.actions) - done} action item(s)")
    else:
        missing.append("owners and due dates of action items")
    check(5, bool(doc.authors), "authors")
    return Completeness(score=round(score), missing=missing)


def _nodes(doc: PostmortemDocument) -> list[WhyNodeData]:
    found: list[WhyNodeData] = []
    stack = list(doc.whys)
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found
