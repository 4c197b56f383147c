"""What every importer shares: the options, errors that name the file and entry, and streaming JSON reading."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from afteraction.core.errors import InvalidInput
from afteraction.timeline.timeparse import TimestampError


@dataclass(slots=True)
class ImportOptions:
    """Choices a user makes when importing: which Slack channels, what counts as a deploy, how to read tables."""

    channels: list[str] | None = None  # Slack channel names (with or without '#') or ids; None = all
    include_all: bool = False  # Slack joins, leaves, topic and purpose changes too
    deploys: bool = False  # every git commit is a deploy
    deploy_ref_pattern: str | None = None  # a regex; a commit whose ref decoration matches is a deploy
    column_map: dict[str, str] | None = None  # csv/jsonl: {"at": "timestamp", "text": "message", ...}
    tz: str | None = None  # the zone of times written without an offset


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


def load_json(path: Path) -> Any:
    """A whole JSON file, or an InvalidInput naming the line where it breaks."""
    label = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None
    return parse_json_bytes(data, label)


def fast_loads(text: str) -> Any:
    """JSON text parsed by orjson (several times faster on large exports), else by the standard library."""
    try:
        return orjson.loads(text)
    except ValueError:
        # The standard parser accepts what orjson refuses (NaN, integers over 64 bits) and names the line of a fault.
        return json.loads(text)


def parse_json_bytes(data: bytes, label: str) -> Any:
    """JSON from bytes, with non-UTF-8 and malformed text reported as InvalidInput."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(f"{label}: line {line}: not UTF-8 text") from None
    if not text.strip():
        raise InvalidInput(f"{label}: the file is empty")
    try:
        return fast_loads(text)
    except json.JSONDecodeError as exc:
        # A parse that ran off the end, or a string never closed, is what a cut-off file looks like.
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (truncated?)" if truncated else ""
        raise InvalidInput(f"{label}: line {exc.lineno}: not valid JSON: {exc.msg}{hint}") from None


def iter_records(path: Path) -> Iterator[tuple[str, Any]]:
    """Each JSON document of a file, with where it is: a single document, an array's entries, or JSON Lines."""
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
                head = json.loads(first)
            except ValueError:
                head = _NOT_JSON
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
                yield from _spread(f"line {number}", _json_line(second, number, label))
                loads = fast_loads
                for line in stream:
                    number += 1
                    try:
                        doc = loads(line)
                    except ValueError:
                        if not line.strip():
                            continue
                        doc = _json_line(line, number, label)
                    if isinstance(doc, list):
                        yield from _spread(f"line {number}", doc)
                    else:
                        yield f"line {number}", doc
                return
    except UnicodeDecodeError:
        raise InvalidInput(f"{label}: line {number + 1}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None
    document = load_json(path)
    if isinstance(document, list):
        for index, item in enumerate(document, start=1):
            yield f"entry {index}", item
    else:
        yield "", document


_NOT_JSON = object()


def _json_line(line: str, number: int, label: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{label}: line {number}: not valid JSON: {exc.msg}") from None


def _spread(where: str, doc: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(doc, list):
        for index, item in enumerate(doc, start=1):
            yield f"{where}: entry {index}" if where else f"entry {index}", item
    else:
        yield where, doc


def first_record(path: Path) -> Any:
    """The first JSON document of a file (for format detection), or None when it holds none."""
    for _where, doc in iter_records(path):
        return doc
    return None
