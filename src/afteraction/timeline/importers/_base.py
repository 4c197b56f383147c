"""What every importer shares: the options, errors that name the file and entry, and streaming JSON reading."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from afteraction.core import safejson
from afteraction.core.config import Settings
from afteraction.core.errors import InvalidInput
from afteraction.timeline.timeparse import TimestampError


def _setting_default(name: str) -> int:
    """The default of an integer setting, from the Settings class (never the environment)."""
    value = Settings.model_fields[name].default
    assert isinstance(value, int)
    return value


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """How much an import may read: archive members (count, each one's and all inflated bytes, compression ratio) and
    JSON nesting. Each face builds them from its Settings; the defaults are the settings' defaults."""

    max_members: int = field(default_factory=lambda: _setting_default("upload_max_members"))
    max_member_bytes: int = field(default_factory=lambda: _setting_default("upload_max_member_bytes"))
    max_total_bytes: int = field(default_factory=lambda: _setting_default("upload_max_total_bytes"))
    max_ratio: int = field(default_factory=lambda: _setting_default("upload_max_ratio"))
    json_max_depth: int = field(default_factory=lambda: _setting_default("json_max_depth"))

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The limits the settings AFTERACTION_UPLOAD_MAX_* and AFTERACTION_JSON_MAX_DEPTH set."""
        return cls(
            max_members=settings.upload_max_members,
            max_member_bytes=settings.upload_max_member_bytes,
            max_total_bytes=settings.upload_max_total_bytes,
            max_ratio=settings.upload_max_ratio,
            json_max_depth=settings.json_max_depth,
        )


@dataclass(slots=True)
class ImportNotes:
    """What readers tell the user about an import besides its events."""

    read_as_utc: int = 0  # csv/jsonl times written without a zone, read as UTC because no --tz was given


@dataclass(slots=True)
class ImportOptions:
    """Choices a user makes when importing: which Slack channels and workspace, what counts as a deploy, how to read
    tables."""

    channels: list[str] | None = None  # Slack channel names (with or without '#') or ids; None = all
    include_all: bool = False  # Slack joins, leaves, topic and purpose changes too
    deploys: bool = False  # every git commit is a deploy
    deploy_ref_pattern: str | None = None  # a regex; a commit whose ref decoration matches is a deploy
    column_map: dict[str, str] | None = None  # csv/jsonl: {"at": "timestamp", "text": "message", ...}
    tz: str | None = None  # the zone of times written without an offset
    # Slack: the workspace URL of message permalinks (https://acme.slack.com); None: learned from the export, if it can
    slack_workspace: str | None = None
    limits: ImportLimits = field(default_factory=ImportLimits)  # archive sizes and JSON depth
    notes: ImportNotes = field(default_factory=ImportNotes)  # what the readers noticed, for the result


class EntryError(Exception):
    """A problem inside one record; the reader adds the file and the entry to the message."""


def located(label: str, where: str, problem: BaseException) -> InvalidInput:
    """A one-line InvalidInput naming the file, the place in it and the problem."""
    if isinstance(problem, EntryError | TimestampError):
        reason = str(problem)
    elif isinstance(problem, KeyError):
        reason = f"missing {problem}"
    else:
        reason = f"unexpected shape ({type(problem).__name__}: {problem})"
    return InvalidInput(": ".join(part for part in (label, where, reason) if part))


# Errors an entry of unexpected shape raises; readers turn them into `located` InvalidInput.
ENTRY_ERRORS = (EntryError, TimestampError, KeyError, TypeError, AttributeError, ValueError, IndexError)


def need(record: Any, key: str) -> Any:
    """The value of a required field, or an EntryError naming it."""
    if not isinstance(record, dict):
        raise EntryError(f"expected an object, found {type(record).__name__}")
    value = record.get(key)
    if value is None or value == "":
        raise EntryError(f"missing {key!r}")
    return value


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one when the field is absent or null."""
    return value if isinstance(value, dict) else {}


def text_of(value: Any) -> str:
    """A field as text, empty when absent."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def time_field(record: dict[str, Any], key: str, parse: Callable[[Any], datetime]) -> datetime:
    """A required time field read with `parse`; a bad value names the field."""
    value = need(record, key)
    try:
        return parse(value)
    except TimestampError as exc:
        raise EntryError(f"{key!r}: {exc}") from None


def load_json(path: Path, max_depth: int) -> Any:
    """A whole JSON file, or an InvalidInput naming the line where it breaks."""
    label = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None
    return parse_json_bytes(data, label, max_depth)


def parse_json_bytes(data: bytes | bytearray, label: str, max_depth: int) -> Any:
    """JSON from bytes by the one rule (core/safejson: orjson, the depth limit, no lone surrogates, NULs removed);
    non-UTF-8, empty, malformed and over-deep text are reported as InvalidInput naming the file and line."""
    body = data[3:] if data[:3] == codecs.BOM_UTF8 else data
    try:
        return safejson.loads(body, max_depth=max_depth, source=label)
    except InvalidInput as exc:
        raise _json_fault(bytes(body), label, max_depth, exc) from None


def _too_deep(exc: InvalidInput, label: str, max_depth: int) -> bool:
    return exc.message == safejson.too_deep(label, max_depth).message


def _json_fault(data: bytes, label: str, max_depth: int, refused: InvalidInput) -> InvalidInput:
    """The clearest line for JSON safejson refused: where the text stops being UTF-8 or JSON (with the line)."""
    if _too_deep(refused, label, max_depth):
        return refused
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return InvalidInput(f"{label}: line {line}: not UTF-8 text")
    if not text.strip():
        return InvalidInput(f"{label}: the file is empty")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        # A parse that ran off the end, or a string never closed, is what a cut-off file looks like.
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (truncated?)" if truncated else ""
        return InvalidInput(f"{label}: line {exc.lineno}: not valid JSON: {exc.msg}{hint}")
    except RecursionError:
        return safejson.too_deep(label, max_depth)
    return refused  # JSON to the standard parser, but not by the rule (a lone surrogate, NaN, a 65-bit integer)


def iter_records(path: Path, max_depth: int) -> Iterator[tuple[str, Any]]:
    """Each JSON document of a file, with where it is: a single document, an array's entries, or JSON Lines; each
    document parsed by the one rule with `max_depth` (AFTERACTION_JSON_MAX_DEPTH)."""
    label = str(path)
    number = 0
    try:
        with path.open("r", encoding="utf-8-sig") as stream:
            first: str | None = None
            for line in stream:
                number += 1
                if line.strip():
                    first = line
                    break
            if first is None:
                raise InvalidInput(f"{label}: the file is empty")
            try:
                head = _json_line(first, number, label, max_depth)
            except _NotJsonText:
                head = _NOT_JSON  # the first line of a document spread over lines
            if head is not _NOT_JSON:
                # One complete document on the first line: JSON Lines, read line by line to stay small.
                head_line = number
                second = ""
                for line in stream:
                    number += 1
                    if line.strip():
                        second = line
                        break
                if not second:
                    yield from _spread("", head)  # a one-line JSON file is one document, not JSON Lines
                    return
                yield from _spread(f"line {head_line}", head)
                yield from _spread(f"line {number}", _json_line(second, number, label, max_depth))
                for line in stream:
                    number += 1
                    try:
                        doc = safejson.loads(line, max_depth=max_depth, source=label)
                    except InvalidInput:
                        if not line.strip():
                            continue
                        doc = _json_line(line, number, label, max_depth)
                    if isinstance(doc, list):
                        yield from _spread(f"line {number}", doc)
                    else:
                        yield f"line {number}", doc
                return
    except UnicodeDecodeError:
        raise InvalidInput(f"{label}: line {number + 1}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None
    document = load_json(path, max_depth)
    if isinstance(document, list):
        for index, item in enumerate(document, start=1):
            yield f"entry {index}", item
    else:
        yield "", document


_NOT_JSON = object()


class _NotJsonText(InvalidInput):
    """A line that is not JSON text at all (as opposed to JSON the rule refuses)."""


def _json_line(line: str, number: int, label: str, max_depth: int) -> Any:
    """One line of JSON Lines by the rule, or an InvalidInput naming the line."""
    where = f"{label}: line {number}"
    try:
        return safejson.loads(line, max_depth=max_depth, source=where)
    except InvalidInput as exc:
        if _too_deep(exc, where, max_depth):
            raise
        try:
            json.loads(line)
        except json.JSONDecodeError as fault:
            raise _NotJsonText(f"{where}: not valid JSON: {fault.msg}") from None
        except RecursionError:
            raise safejson.too_deep(where, max_depth) from None
        raise  # JSON to the standard parser, but not by the rule (a lone surrogate, NaN, a 65-bit integer)


def _spread(where: str, doc: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(doc, list):
        for index, item in enumerate(doc, start=1):
            yield f"{where}: entry {index}" if where else f"entry {index}", item
    else:
        yield where, doc


def first_record(path: Path, max_depth: int) -> Any:
    """The first JSON document of a file (for format detection), or None when it holds none."""
    for _where, doc in iter_records(path, max_depth):
        return doc
    return None
