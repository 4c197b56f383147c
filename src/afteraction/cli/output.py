"""How the CLI prints: rich for people, JSON for machines, one line on stderr for errors.

User text is never markup. A plain `str` given to `console().print`, `table()` or `panel()` is printed as it is
(its brackets escaped); only a `RichMarkup` made by `markup(template, values…)` is read as rich markup, and the
values filled into its template are escaped. Every file the CLI writes goes through `write_file`.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from afteraction.core.errors import InvalidInput
from afteraction.timeline.timeparse import format_utc


class RichMarkup(str):
    """Rich markup written by this CLI, any data in it escaped: made by `markup()`, printed with its styles."""

    __slots__ = ()


def _escape(text: str) -> str:
    """Text as rich markup that prints exactly that text, wherever it is put in a template."""
    body = text.rstrip("\\")
    trailing = len(text) - len(body)
    if not trailing:
        return escape(text)
    # Backslashes are special before a tag only: those that end the text are doubled and closed with an empty
    # tag, so they print as they are both at the end of a line and before a tag of the template.
    return escape(body) + "\\" * (2 * trailing) + "[none][/none]"


def as_markup(value: object) -> str:
    """A value as rich markup: our `RichMarkup` as it is, anything else (data) escaped; None is empty."""
    if value is None:
        return ""
    if isinstance(value, RichMarkup):
        return value
    return _escape(str(value))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        return text if isinstance(value, RichMarkup) else _escape(text)


_FORMATTER = _EscapingFormatter()


def markup(template: str, /, *values: object, **named: object) -> RichMarkup:
    """Our markup with data in it, `markup("Created [bold]{}[/bold]: {}", incident.id, incident.title)`.

    The template is `str.format` syntax and its tags style the output; the values print as they are, brackets
    and all (a value that is itself `RichMarkup` keeps its styles).
    """
    return RichMarkup(_FORMATTER.vformat(template, values, named))


class SafeConsole(Console):
    """A rich console whose `print` reads only `RichMarkup` as markup: any other string is printed as it is."""

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(as_markup(o) if isinstance(o, str) else o for o in objects), **options)


def console() -> Console:
    """A console for standard output; when piped, wide enough that tables keep one line per row."""
    out = SafeConsole(highlight=False, emoji=False)
    if not out.is_terminal:
        out = SafeConsole(highlight=False, emoji=False, width=160)
    return out


def error_console() -> Console:
    """A console for standard error."""
    return SafeConsole(stderr=True, highlight=False, emoji=False, soft_wrap=True)


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


def write_file(path: Path | str, content: str | bytes) -> None:
    """Write a file the user asked for (-o, --markdown, --html…), creating its folder: the one place the CLI writes.

    A path that cannot be written (under a file, a folder itself, no permission, disk full) is an `InvalidInput`
    naming the path and the reason, which the root command prints as one line with exit code 2.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"{path}: cannot write: {_write_error(path, error)}") from error


def _write_error(path: Path, error: OSError) -> str:
    """Why a path cannot be written, in a few words."""
    existing = next((folder for folder in path.parents if folder.exists()), None)
    if existing is not None and not existing.is_dir():
        return f"{existing} is not a folder"
    reason = str(error.strerror or error)
    return reason[:1].lower() + reason[1:]


def fmt_time(value: datetime | None) -> str:
    """A UTC time as `2026-03-14T10:08:10Z` (microseconds only when present), or an empty string."""
    return "" if value is None else format_utc(value)


def fmt_duration(seconds: float | None) -> str:
    """A duration as the pages and exports write it (`1 h 2 min`, `4 min 30 s`), or an em dash when unknown."""
    from afteraction.domain.durations import format_duration  # the one duration formatter

    return format_duration(seconds)


WRAPPING_COLUMNS = frozenset({"Title", "Action", "Event", "Message", "Text"})


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A rich table with the given header and rows; the title and cells are text (escaped) unless `RichMarkup`."""
    out = Table(
        title=None if title is None else as_markup(title),
        show_lines=False,
        header_style="bold",
        title_justify="left",
    )
    for column in columns:
        wide = column in WRAPPING_COLUMNS
        out.add_column(as_markup(column), overflow="fold", no_wrap=not wide, min_width=20 if wide else None)
    for row in rows:
        out.add_row(*(as_markup(cell) for cell in row))
    return out


def panel(lines: Sequence[str]) -> Panel:
    """A box around lines of text (escaped) or `RichMarkup`."""
    return Panel(RichMarkup("\n".join(as_markup(line) for line in lines)), expand=False)
