"""How the CLI prints: rich for people, JSON for machines, one line on stderr for errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from afteraction.core.errors import InvalidInput
from afteraction.timeline.timeparse import format_utc


def console() -> Console:
    """A console for standard output; when piped, wide enough that tables keep one line per row."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=160)
    return out


def error_console() -> Console:
    """A console for standard error."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def to_jsonable(value: Any) -> Any:
    """Plain JSON data from models, lists and dicts; times in UTC with a Z."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return fmt_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    """Print data as indented JSON on standard output."""
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def write_file(path: Path, content: str | bytes) -> None:
    """Write an output file, creating its folder; a path that cannot be written is one line, not a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"{path}: cannot write: {error.strerror or error}") from error


def fmt_time(value: datetime | None) -> str:
    """A UTC time as `2026-03-14T10:08:10Z` (microseconds only when present), or an empty string."""
    return "" if value is None else format_utc(value)


def fmt_duration(seconds: float | None) -> str:
    """A duration as `1h 02m 05s`, or an em dash when unknown."""
    if seconds is None:
        return "—"
    total = round(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    if days or hours or minutes:
        parts.append(f"{minutes:02d}m" if parts else f"{minutes}m")
    parts.append(f"{secs:02d}s" if parts else f"{secs}s")
    return sign + " ".join(parts)


WRAPPING_COLUMNS = frozenset({"Title", "Action", "Event", "Message", "Text"})


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A rich table with the given header and rows."""
    out = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
    for column in columns:
        wide = column in WRAPPING_COLUMNS
        out.add_column(column, overflow="fold", no_wrap=not wide, min_width=20 if wide else None)
    for row in rows:
        out.add_row(*("" if cell is None else str(cell) for cell in row))
    return out
