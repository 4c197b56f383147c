"""Cause analysis rules: the five whys must go deep enough and end at a condition that can change, not a person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from afteraction.analysis.lint.blame import HINDSIGHT, People, analyse_sentence, person_is_subject
from afteraction.domain.reviews import PostmortemDocument, WhyNodeData

MIN_DEPTH = 3


@dataclass(frozen=True, slots=True)
class WhyProblem:
    """A problem with the cause analysis: the rule, the line it is about, a message and a suggestion."""

    rule: str
    line: int | None
    message: str
    suggestion: str


def depth(nodes: list[WhyNodeData]) -> int:
    """The number of levels of the deepest branch of a why tree."""
    return max((1 + depth(node.children) for node in nodes), default=0)


def _walk(nodes: list[WhyNodeData]) -> Iterator[WhyNodeData]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


def root_causes(nodes: list[WhyNodeData]) -> list[WhyNodeData]:
    """The nodes marked as root causes; when none is marked, the leaves, where the analysis stopped."""
    marked = [node for node in _walk(nodes) if node.root_cause]
    return marked or [node for node in _walk(nodes) if not node.children]


def ends_at_person(text: str, people: People) -> bool:
    """Whether a root cause names a person or human error rather than a condition."""
    if person_is_subject(text, people):
        return True
    return any(hit.rule != HINDSIGHT for hit in analyse_sentence(text, people))


def check_whys(doc: PostmortemDocument, people: People) -> list[WhyProblem]:
    """The cause-analysis problems of a document that has a five-whys tree."""
    if not doc.whys:
        return []
    section = doc.section_lines.get("whys")
    first = doc.whys[0].line or section
    problems: list[WhyProblem] = []
    levels = depth(doc.whys)
    if levels < MIN_DEPTH:
        problems.append(
            WhyProblem(
                "whys/too-shallow",
                first,
                f"the five whys stop after {levels} level{'s' if levels != 1 else ''}",
                f"Keep asking why for at least {MIN_DEPTH} levels, until the answer is a condition the "
                "organisation can change (a missing check, an unsafe default, an unclear ownership).",
            )
        )
    if not any(node.root_cause for node in _walk(doc.whys)):
        problems.append(
            WhyProblem(
                "whys/no-root-cause",
                first,
                "no why is marked as a root cause",
                "Mark the answers where the analysis ends with '**Root cause:**' so action items can address them.",
            )
        )
    for node in root_causes(doc.whys):
        if ends_at_person(node.text, people):
            problems.append(
                WhyProblem(
                    "whys/ends-at-person",
                    node.line or first,
                    f"root cause ends at a person: {_short(node.text)!r}",
                    "Ask one more why: what made this action reasonable or easy at the time (tooling, defaults, "
                    "information, time pressure)? That condition is the root cause.",
                )
            )
    return problems


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
