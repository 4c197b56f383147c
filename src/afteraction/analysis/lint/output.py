"""Lint output formats: text like ruff, JSON, SARIF 2.1.0 for code scanning, and GitHub Actions workflow commands."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from afteraction.analysis.lint.model import RULES, Finding, Severity
from afteraction.analysis.lint.structure import Completeness

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/afteraction/afteraction"
DOCS_URI = INFORMATION_URI + "/blob/main/docs/lint.md"
_SARIF_LEVELS: dict[Severity, str] = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_COMMANDS: dict[Severity, str] = {"error": "error", "warning": "warning", "info": "notice"}


def _location(finding: Finding) -> str:
    parts = [finding.path or "<document>"]
    if finding.line is not None:
        parts.append(str(finding.line))
        if finding.column is not None:
            parts.append(str(finding.column))
    return ":".join(parts)


def format_text(findings: Sequence[Finding], scores: Iterable[tuple[str, Completeness]] = ()) -> str:
    """`path:line:col: rule message [severity]`, the suggestion below, then a summary and completeness scores."""
    lines: list[str] = []
    for finding in findings:
        lines.append(f"{_location(finding)}: {finding.rule} {finding.message} [{finding.severity}]")
        lines.append(f"    suggestion: {finding.suggestion}")
    for path, score in scores:
        missing = f" (missing: {', '.join(score.missing)})" if score.missing else ""
        lines.append(f"{path}: completeness {score.score}/100{missing}")
    counts = {level: sum(1 for f in findings if f.severity == level) for level in ("error", "warning", "info")}
    if findings:
        summary = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items() if n)
        lines.append(f"Found {summary}.")
    else:
        lines.append("No findings.")
    return "\n".join(lines) + "\n"


def format_json(findings: Sequence[Finding]) -> str:
    """A JSON list of findings with the keys path, line, column, rule, severity, message and suggestion.

    One finding a line: easy to grep, and each line goes through json's C encoder (an indented dump does not).
    """
    if not findings:
        return "[]\n"
    rows = ",\n".join("  " + json.dumps(finding.to_dict(), ensure_ascii=False) for finding in findings)
    return f"[\n{rows}\n]\n"


def _uri(path: str) -> str:
    """A relative, percent-encoded URI for a path, as code scanning expects."""
    candidate = Path(path)
    with contextlib.suppress(ValueError, OSError):
        candidate = candidate.resolve().relative_to(Path.cwd().resolve())
    if candidate.is_absolute():
        return candidate.as_uri()  # outside the working folder: a file:// URI
    return quote(candidate.as_posix(), safe="/")


def format_sarif(findings: Sequence[Finding], *, version: str = "0.1.0") -> str:
    """A SARIF 2.1.0 log with one run: the rules of afteraction and one result per finding."""
    index = {rule_id: i for i, rule_id in enumerate(RULES)}
    rules = [
        {
            "id": rule.id,
            "name": rule.id.replace("/", "-"),
            "shortDescription": {"text": rule.description},
            "helpUri": f"{DOCS_URI}#{rule.id.replace('/', '')}",
            "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
            "properties": {"tags": [rule.group]},
        }
        for rule in RULES.values()
    ]
    results: list[dict[str, Any]] = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": _SARIF_LEVELS[finding.severity],
            "message": {"text": f"{finding.message}. {finding.suggestion}"},
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.path or "document.md")}}
        if finding.line is not None:
            region: dict[str, int] = {"startLine": finding.line}
            if finding.column is not None:
                region["startColumn"] = finding.column
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "afteraction",
                        "informationUri": INFORMATION_URI,
                        "version": version,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`), one per finding."""
    lines: list[str] = []
    for finding in findings:
        props = [f"file={_escape_property(finding.path or 'document.md')}"]
        if finding.line is not None:
            props.append(f"line={finding.line}")
            if finding.column is not None:
                props.append(f"col={finding.column}")
        props.append(f"title={_escape_property(finding.rule)}")
        message = _escape_data(f"{finding.message}. {finding.suggestion}")
        lines.append(f"::{_GITHUB_COMMANDS[finding.severity]} {','.join(props)}::{message}")
    return "\n".join(lines) + ("\n" if lines else "")


def render(findings: Sequence[Finding], fmt: str, scores: Iterable[tuple[str, Completeness]] = ()) -> str:
    """The findings in one of FORMATS."""
    if fmt == "json":
        return format_json(findings)
    if fmt == "sarif":
        return format_sarif(findings)
    if fmt == "github":
        return format_github(findings)
    return format_text(findings, scores)
