"""Parsing of command-line values (times, dates) into domain types, with one-line errors naming the option."""

from __future__ import annotations

from datetime import date, datetime

from afteraction.core.errors import InvalidInput


def parse_time(value: str, option: str) -> datetime:
    """An RFC 3339 / ISO 8601 time with a zone (`2026-03-14T10:08:10Z`, `…+01:00`)."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option}: {value!r} is not a time (expected e.g. 2026-03-14T10:08:10Z)", field=option
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{option}: {value!r} has no zone; add Z for UTC or an offset such as +01:00", field=option)
    return parsed


def parse_optional_time(value: str, option: str) -> datetime | None:
    """Like parse_time, but `none` or an empty value clears the time."""
    if value.strip().lower() in ("", "none", "null"):
        return None
    return parse_time(value, option)


def parse_date(value: str, option: str) -> date:
    """A calendar date `YYYY-MM-DD`."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{option}: {value!r} is not a date (expected YYYY-MM-DD)", field=option) from None
