"""Timeline importers: recognise a source file's format and stream its events, one module per source."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import (
    alertmanager,
    git,
    github,
    grafana,
    jira,
    opsgenie,
    pagerduty,
    slack,
    tabular,
)
from afteraction.timeline.importers._base import ImportLimits, ImportOptions, first_record

__all__ = ["FORMATS", "ImportLimits", "ImportOptions", "detect_format", "read_events"]

FORMATS: tuple[str, ...] = (
    "slack",
    "pagerduty",
    "opsgenie",
    "alertmanager",
    "grafana",
    "git",
    "github",
    "jira",
    "csv",
    "jsonl",
)

_READERS: dict[str, Callable[[Path, ImportOptions], Iterator[ImportedEvent]]] = {
    "slack": slack.read,
    "pagerduty": pagerduty.read,
    "opsgenie": opsgenie.read,
    "alertmanager": alertmanager.read,
    "grafana": grafana.read,
    "git": git.read,
    "github": github.read,
    "jira": jira.read,
    "csv": tabular.read_csv,
    "jsonl": tabular.read_jsonl,
}
# Most specific first: Grafana payloads also look like Alertmanager's.
_JSON_SNIFFERS: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("grafana", grafana.matches),
    ("alertmanager", alertmanager.matches),
    ("pagerduty", pagerduty.matches),
    ("opsgenie", opsgenie.matches),
    ("github", github.matches),
    ("jira", jira.matches),
)
_HEAD_BYTES = 64 * 1024


def _cannot_tell(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(
        f"{path}: cannot tell the format ({reason}); accepted formats: {', '.join(FORMATS)} — choose one with --format"
    )


def detect_format(path: Path, limits: ImportLimits | None = None) -> str:
    """The format of a file or folder, recognised from its content (never its name), for `--format auto`; JSON is
    read within `limits` (default: the settings' defaults)."""
    limits = limits or ImportLimits()
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    if path.is_dir():
        if slack.is_export(path):
            return "slack"
        raise _cannot_tell(path, "a folder that is not a Slack export")
    try:
        with path.open("rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if head.startswith(b"PK\x03\x04") or zipfile.is_zipfile(path):
        if slack.is_export(path, limits):
            return "slack"
        raise _cannot_tell(path, "a zip that is not a Slack export")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=len(head) < _HEAD_BYTES)
    except UnicodeDecodeError:
        raise _cannot_tell(path, "not UTF-8 text") from None
    stripped = text.lstrip()
    if not stripped:
        raise InvalidInput(f"{path}: the file is empty")
    if stripped[0] in "{[":
        return _json_format(path, limits.json_max_depth)
    if git.matches_text(stripped):
        return "git"
    lines = stripped.splitlines()[:2]
    delimiter = tabular.sniff_delimiter(lines[0])
    if delimiter and len(lines) == 2:
        header, row = csv.reader(lines, delimiter=delimiter)
        # A table has a header and rows of the same width; a sentence with a comma does not.
        if len(header) == len(row):
            if any(name.strip().lower() in tabular.TIME_COLUMNS for name in header):
                return "csv"
            columns = "/".join(sorted(tabular.TIME_COLUMNS))
            raise _cannot_tell(path, f"a table without a time column named {columns}")
    raise _cannot_tell(path, "text that is neither JSON, git log nor CSV")


def _json_format(path: Path, max_depth: int) -> str:
    doc = first_record(path, max_depth)
    for name, sniff in _JSON_SNIFFERS:
        if sniff(doc):
            return name
    if isinstance(doc, dict):
        if doc.get("type") == "message" and "ts" in doc:
            raise InvalidInput(f"{path}: a single Slack day file; import the whole export folder or its .zip")
        if any(str(key).lower() in tabular.TIME_COLUMNS for key in doc):
            return "jsonl"
    raise _cannot_tell(path, "JSON of no known source")


def read_events(path: Path, fmt: str = "auto", options: ImportOptions | None = None) -> Iterator[ImportedEvent]:
    """Stream the events of a source file or folder in format `fmt` (or `auto`), each with its own UTC time."""
    if fmt != "auto" and fmt not in _READERS:
        raise InvalidInput(f"unknown format {fmt!r}; accepted formats: auto, {', '.join(FORMATS)}", field="format")
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    options = options or ImportOptions()
    if fmt == "auto":
        fmt = detect_format(path, options.limits)
    return _READERS[fmt](path, options)
