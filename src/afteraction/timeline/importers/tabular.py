"""Any log as CSV or JSON Lines, read through a column mapping (`at`, `text`, `actor`, `kind`, `link`)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import ImportOptions, iter_records
from afteraction.timeline.timeparse import TimestampError, read_datetime, zone

FIELDS = ("at", "text", "actor", "kind", "link")
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "at": ("at", "time", "timestamp", "@timestamp", "datetime", "date", "ts"),
    "text": ("text", "message", "msg"),
    "actor": ("actor", "user", "author"),
    "kind": ("kind", "level"),
    "link": ("link", "url"),
}
TIME_COLUMNS = frozenset(DEFAULT_COLUMNS["at"])
_DELIMITERS = (",", "\t", ";", "|")


def _check_options(options: ImportOptions) -> None:
    unknown = sorted(set(options.column_map or {}) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"column map: unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    if options.tz:
        try:
            zone(options.tz)
        except TimestampError as exc:
            raise InvalidInput(str(exc)) from None


def _choose(names: Sequence[str], options: ImportOptions, label: str) -> dict[str, str]:
    """Which column feeds each field: the mapping's choice, else the first default name present."""
    lowered = {name.strip().lower(): name for name in names}
    chosen: dict[str, str] = {}
    for field in FIELDS:
        wanted = (options.column_map or {}).get(field)
        if wanted is not None:
            column = wanted if wanted in names else lowered.get(wanted.strip().lower())
            if column is None:
                raise InvalidInput(f"{label}: no column {wanted!r} for {field!r} (columns: {', '.join(names)})")
            chosen[field] = column
            continue
        for candidate in DEFAULT_COLUMNS[field]:
            if candidate in lowered:
                chosen[field] = lowered[candidate]
                break
    for field in ("at", "text"):
        if field not in chosen:
            tried = "/".join(DEFAULT_COLUMNS[field])
            raise InvalidInput(
                f"{label}: no {field!r} column (looked for {tried}; columns: {', '.join(names)}); "
                f"map one with {field}=<column>"
            )
    return chosen


def _event(
    source: str,
    values: dict[str, Any],
    chosen: dict[str, str],
    options: ImportOptions,
    digest: str,
    label: str,
    where: str,
) -> ImportedEvent:
    """The event of one row; a time without a zone is read in --tz, else as UTC and counted in the options' notes."""
    column = chosen["at"]
    raw_at = values.get(column)
    if raw_at is None or raw_at == "":
        raise InvalidInput(f"{label}: {where}: no time in {column!r}")
    try:
        at, naive = read_datetime(raw_at, options.tz)
    except TimestampError as exc:
        raise InvalidInput(f"{label}: {where}: {column!r}: {exc}") from None
    if naive and options.tz is None:
        options.notes.read_as_utc += 1
    text = _string(values.get(chosen["text"]))
    kind = _string(values.get(chosen["kind"])).strip().lower() if "kind" in chosen else ""
    actor = _string(values.get(chosen["actor"])).strip() if "actor" in chosen else ""
    link = _string(values.get(chosen["link"])).strip() if "link" in chosen else ""
    return ImportedEvent(
        at=at,
        source=source,
        kind=kind[:40] or "note",
        text=text,
        source_id=digest,
        actor=actor or None,
        link=link or None,
    )


def _string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _digest(content: str) -> str:
    # The row's own content, not its line number, so overlapping files give the same id to the same row.
    return hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def sniff_delimiter(header: str) -> str | None:
    """The delimiter of a CSV header line, or None when it has none."""
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else None


def read_csv(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """One event per CSV row (comma, tab, semicolon or pipe separated), with a header row naming the columns."""
    _check_options(options)
    label = str(path)
    line = 1
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as stream:
            header_line = stream.readline()
            if not header_line.strip():
                raise InvalidInput(f"{label}: the file is empty")
            delimiter = sniff_delimiter(header_line) or ","
            header = next(csv.reader([header_line], delimiter=delimiter))
            chosen = _choose(header, options, label)
            reader = csv.reader(stream, delimiter=delimiter)
            for row in reader:
                line = 1 + reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > len(header):
                    raise InvalidInput(f"{label}: line {line}: {len(row)} fields, the header names {len(header)}")
                values = dict(zip(header, row, strict=False))
                content = "\x1f".join(f"{name}={values.get(name, '')}" for name in sorted(header))
                yield _event("csv", values, chosen, options, _digest(content), label, f"line {line}")
    except csv.Error as exc:
        raise InvalidInput(f"{label}: line {line + 1}: not valid CSV ({exc})") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{label}: line {line + 1}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None


def _lookup(record: dict[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    # Structured logs nest fields: "user.name" reads record["user"]["name"].
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def read_jsonl(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """One event per JSON object of a JSON Lines file (or of a JSON array), read through the column mapping."""
    _check_options(options)
    label = str(path)
    chosen: dict[str, str] | None = None
    for where, record in iter_records(path, options.limits.json_max_depth):
        if not isinstance(record, dict):
            raise InvalidInput(f"{label}: {where or 'document'}: expected an object, found {type(record).__name__}")
        if chosen is None:
            names = list(record)
            mapped = [column for column in (options.column_map or {}).values() if "." in column]
            chosen = _choose(names + mapped, options, label)
        values = {column: _lookup(record, column) for column in chosen.values()}
        content = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        yield _event("jsonl", values, chosen, options, _digest(content), label, where or "document")
