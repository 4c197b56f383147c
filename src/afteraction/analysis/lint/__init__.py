"""Blameless review checks (`afteraction lint`): pure functions over a parsed post-mortem and its source text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from afteraction.analysis.lint.actions import is_open, is_past_due, missing_owner, type_problem, vague_reason
from afteraction.analysis.lint.blame import HINDSIGHT, PERSON_AS_CAUSE, SUGGESTIONS, Hit, People, analyse_sentence
from afteraction.analysis.lint.config import LintConfig, load_lint_config, load_lint_config_file
from afteraction.analysis.lint.model import RULES, SEVERITIES, Finding, Rule, Severity
from afteraction.analysis.lint.source import Prose, from_document, from_source
from afteraction.analysis.lint.structure import (
    Completeness,
    check_key_moments,
    check_sections,
    check_timeline_order,
    completeness,
)
from afteraction.analysis.lint.whys import check_whys
from afteraction.domain.reviews import PostmortemDocument

__all__ = [
    "RULES",
    "SEVERITIES",
    "Completeness",
    "Finding",
    "LintConfig",
    "Rule",
    "Severity",
    "completeness",
    "has_errors",
    "lint_document",
    "load_lint_config",
    "load_lint_config_file",
]

# Timeline actors that are tools, not people: their names must not make "Alertmanager failed to" blame.
_TOOL_ACTOR = re.compile(
    r"bot\b|alert|manager|monitor|grafana|prometheus|pagerduty|opsgenie|jenkins|github|gitlab|jira|slack|system|"
    r"automation|deploy|\bci\b|cron|webhook|argo|flux|datadog|sentry|workflow|pipeline",
    re.IGNORECASE,
)
_TOOL_SOURCES = frozenset({"alertmanager", "grafana", "git", "github"})


def _people(doc: PostmortemDocument, known_names: Iterable[str]) -> People:
    names = {*known_names, *doc.authors, *doc.reviewers}
    names.update(a.owner for a in doc.actions if a.owner)
    actors = {e.actor for e in doc.timeline if e.actor and e.source not in _TOOL_SOURCES}
    names.update(actor for actor in actors if actor not in names and not _TOOL_ACTOR.search(actor))
    return People(names)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _column(lines: list[str] | None, line: int | None, text: str) -> int | None:
    """The 1-based column where an item's text starts on its source line."""
    if lines is None or line is None or not 0 < line <= len(lines):
        return None
    source = lines[line - 1]
    probe = text.strip()[:20]
    found = source.find(probe) if probe else -1
    if found < 0:
        found = len(source) - len(source.lstrip(" \t|-*+>"))
    return found + 1


class _Collector:
    """Builds findings, applying the configuration and the inline ignores."""

    def __init__(self, doc: PostmortemDocument, config: LintConfig, prose: Prose, has_source: bool) -> None:
        self.path = doc.path
        self.config = config
        self.prose = prose
        self.default_line = 1 if has_source else None
        self.findings: list[Finding] = []

    def wants(self, rule: str) -> bool:
        return self.config.enabled(rule)

    def add(self, rule: str, line: int | None, column: int | None, message: str, suggestion: str) -> None:
        if not self.config.enabled(rule):
            return
        if line is None:
            line, column = self.default_line, (1 if self.default_line else None)
        if self.prose.ignored(line, rule):
            return
        severity = self.config.severity_of(rule)
        self.findings.append(Finding(self.path, line, column, rule, severity, message, suggestion))


def _nobody(sentence: str, hit: Hit) -> bool:
    """Whether a finding is about what nobody did ("nobody noticed")."""
    return hit.rule == PERSON_AS_CAUSE and sentence[hit.start : hit.end].lower().startswith(
        ("nobody", "no one", "no-one")
    )


def _blame(out: _Collector, prose: Prose, people: People) -> None:
    if not any(out.wants(rule) for rule in SUGGESTIONS):
        return
    for block in prose.blocks:
        for offset, sentence in block.sentences():
            for hit in analyse_sentence(sentence, people):
                if block.section == "lucky" and (hit.rule == HINDSIGHT or _nobody(sentence, hit)):
                    continue  # "it could have been worse" and "nobody noticed" are what that section is for
                line, column = block.position(offset + hit.start)
                phrase = _short(sentence[hit.start : hit.end])
                out.add(hit.rule, line, column, f'"{phrase}" {hit.message}', SUGGESTIONS[hit.rule])


def _actions(out: _Collector, doc: PostmortemDocument, lines: list[str] | None, today: date) -> None:
    for action in doc.actions:
        line = action.line
        column = _column(lines, line, action.title)
        name = _short(action.title, 50)
        vague = vague_reason(action.title) if out.wants("action/vague") else None
        if vague is not None:
            out.add(
                "action/vague",
                line,
                column,
                f'action item "{name}" {vague.reason}',
                "Name the mechanism and the object: what will be added, changed or removed, where, and how anyone "
                "can see it is done (e.g. 'Alert when disk usage on db-1 exceeds 85%').",
            )
        if missing_owner(action):
            out.add(
                "action/missing-owner",
                line,
                column,
                f'action item "{name}" has no owner',
                "Give every action item one owner (a person, not a team) who drives it to done.",
            )
        if action.due is None and is_open(action):
            out.add(
                "action/missing-due",
                line,
                column,
                f'action item "{name}" has no due date',
                "Agree a due date (YYYY-MM-DD) so the item can be followed up.",
            )
        if is_past_due(action, today):
            assert action.due is not None
            days = (today - action.due).days
            out.add(
                "action/past-due",
                line,
                column,
                f'action item "{name}" was due {action.due.isoformat()} ({days} day{"s" if days != 1 else ""} ago)',
                "Finish it, move the due date with a reason, or close it as wont-do.",
            )
        problem = type_problem(action)
        if problem is not None:
            out.add(
                "action/missing-type",
                line,
                column,
                f'action item "{name}" {problem}',
                "Set a type: prevent, mitigate, detect, process, repair or learn.",
            )
        if not (action.addresses or "").strip() and is_open(action):
            out.add(
                "action/unlinked",
                line,
                column,
                f'action item "{name}" addresses no cause or factor',
                "Say which root cause (W1.2) or contributing factor (F1) the item addresses.",
            )


def lint_document(
    doc: PostmortemDocument,
    *,
    source: str | None,
    config: LintConfig,
    today: date,
    known_names: Iterable[str] = (),
) -> list[Finding]:
    """Every finding of the enabled rules in one document, ordered by position.

    With the Markdown `source`, findings carry exact lines and columns and inline ignores apply; without it (a
    document from the database), the fields are checked and lines are those the items carry, if any.
    """
    if source is not None:
        prose = from_source(
            source,
            doc.section_lines,
            ignore_headings=config.boilerplate_headings,
            ignore_text=config.boilerplate_text,
        )
    else:
        prose = from_document(doc, ignore_headings=config.boilerplate_headings)
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n") if source is not None else None
    out = _Collector(doc, config, prose, source is not None)
    people = _people(doc, known_names)
    _blame(out, prose, people)
    _actions(out, doc, lines, today)
    for why in check_whys(doc, people):
        out.add(why.rule, why.line, None if why.line is None else 1, why.message, why.suggestion)
    problems = [
        *check_sections(doc, config.sections_for(doc.kind)),
        *check_timeline_order(doc),
        *check_key_moments(doc, source),
    ]
    for problem in problems:
        column = _column(lines, problem.line, "") if problem.line is not None else None
        out.add(problem.rule, problem.line, column, problem.message, problem.suggestion)
    return sorted(out.findings, key=lambda f: (f.line or 0, f.column or 0, f.rule))


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is of error level (the lint command then exits 1)."""
    return any(finding.severity == "error" for finding in findings)
