"""`git log` output (default, fuller, iso-strict and one-line-per-commit field formats): change or deploy events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import ImportOptions
from afteraction.timeline.timeparse import TimestampError, parse_git_date, parse_rfc3339

FORMAT = "git"
_COMMIT = re.compile(r"commit ([0-9a-f]{7,64})(?: [0-9a-f]{7,64})*(?: \((.*)\))?\s*$")
_HEADER = re.compile(r"([A-Za-z]+):\s?(.*)$")
_FIELDS = re.compile(r"[0-9a-f]{40,64}[\t\x1f]")
_ONELINE = re.compile(r"[0-9a-f]{7,64} \S")
_ISO_STRICT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_NAME_EMAIL = re.compile(r"(.*?)\s*<[^>]*>\s*$")


def matches_text(head: str) -> bool:
    """Whether the start of a text file is `git log` output this importer reads."""
    first = next((line for line in head.splitlines() if line.strip()), "")
    # --oneline output is recognised too, so that reading it explains that it has no dates.
    return bool(_COMMIT.match(first) or _FIELDS.match(first) or _ONELINE.match(first))


@dataclass(slots=True)
class _Commit:
    sha: str
    line: int
    refs: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    message: list[str] = field(default_factory=list)


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """One event per commit at its committer date (author date when that is all there is)."""
    label = str(path)
    pattern = _deploy_pattern(options.deploy_ref_pattern)
    number = 0
    try:
        with path.open("r", encoding="utf-8-sig", newline=None) as stream:
            current: _Commit | None = None
            mode = ""
            for raw in stream:
                number += 1
                line = raw.rstrip("\n")
                if not mode:
                    if not line.strip():
                        continue
                    if _COMMIT.match(line):
                        mode = "blocks"
                    elif _FIELDS.match(line):
                        mode = "fields"
                    elif _ONELINE.match(line):
                        raise InvalidInput(
                            f"{label}: line {number}: 'git log --oneline' has no dates; "
                            "export with 'git log --pretty=fuller' instead"
                        )
                    else:
                        raise InvalidInput(f"{label}: line {number}: not 'git log' output (expected 'commit <hash>')")
                if mode == "fields":
                    if line.strip():
                        yield _field_line(line, label, number, options, pattern)
                    continue
                match = _COMMIT.match(line)
                if match:
                    if current is not None:
                        yield _event(current, label, options, pattern)
                    refs = [_ref_name(ref) for ref in match.group(2).split(", ")] if match.group(2) else []
                    current = _Commit(match.group(1), number, refs)
                    continue
                if current is None:
                    continue
                if line.startswith("    "):
                    current.message.append(line[4:])
                elif not current.message and line:
                    header = _HEADER.match(line)
                    if header:
                        current.headers[header.group(1)] = header.group(2).strip()
                # Anything else (numstat, stat, patch lines) does not belong to the timeline.
            if current is not None:
                yield _event(current, label, options, pattern)
            if not mode:
                raise InvalidInput(f"{label}: the file is empty")
    except UnicodeDecodeError:
        raise InvalidInput(f"{label}: line {number + 1}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None


def _deploy_pattern(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidInput(f"deploy ref pattern {pattern!r} is not a regular expression ({exc})") from None


def _ref_name(ref: str) -> str:
    ref = ref.strip()
    if ref.startswith("tag: "):
        return ref[5:]
    if " -> " in ref:
        return ref.split(" -> ", 1)[1]
    return ref


def _kind(subject: str, refs: list[str], options: ImportOptions, pattern: re.Pattern[str] | None) -> str:
    deploy = options.deploys or (pattern is not None and any(pattern.search(ref) for ref in refs))
    if not deploy:
        return "change"
    return "rollback" if subject.startswith(("Revert ", "Rollback", "Roll back")) else "deploy"


def _event(commit: _Commit, label: str, options: ImportOptions, pattern: re.Pattern[str] | None) -> ImportedEvent:
    headers = commit.headers
    date_text = headers.get("CommitDate") or headers.get("Date") or headers.get("AuthorDate")
    if not date_text:
        raise InvalidInput(f"{label}: line {commit.line}: commit {commit.sha[:12]} has no date")
    try:
        at = parse_git_date(date_text)
    except TimestampError as exc:
        raise InvalidInput(f"{label}: line {commit.line}: commit {commit.sha[:12]}: {exc}") from None
    subject = next((line.strip() for line in commit.message if line.strip()), "")
    author = headers.get("Author") or headers.get("Commit") or ""
    name_match = _NAME_EMAIL.match(author)
    actor = (name_match.group(1) if name_match else author).strip() or None
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind=_kind(subject, commit.refs, options, pattern),
        text=subject,
        source_id=commit.sha,
        actor=actor,
    )


def _field_line(
    line: str, label: str, number: int, options: ImportOptions, pattern: re.Pattern[str] | None
) -> ImportedEvent:
    # One commit per line, fields split by tab or the unit separator (e.g. '%H%x1f%an%x1f%aI%x1f%cI%x1f%s').
    parts = line.split("\x1f") if "\x1f" in line else line.split("\t")
    sha = parts[0].strip()
    if not _FIELDS.match(line):
        raise InvalidInput(f"{label}: line {number}: expected a commit hash first")
    dates = [index for index, part in enumerate(parts) if index and _ISO_STRICT.match(part.strip())]
    if not dates:
        raise InvalidInput(f"{label}: line {number}: commit {sha[:12]} has no ISO date field (use %aI or %cI)")
    try:
        at = parse_rfc3339(parts[dates[-1]].strip())
    except TimestampError as exc:
        raise InvalidInput(f"{label}: line {number}: commit {sha[:12]}: {exc}") from None
    names = [
        part.strip()
        for index, part in enumerate(parts[1:-1], start=1)
        if index not in dates and part.strip() and "@" not in part
    ]
    subject = parts[-1].strip() if len(parts) - 1 > dates[-1] else ""
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind=_kind(subject, [], options, pattern),
        text=subject,
        source_id=sha,
        actor=names[0] if names else None,
    )
