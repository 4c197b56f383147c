"""Reading the values of HTML forms: UTC times from `datetime-local` fields, dates, lists, optional text."""

from __future__ import annotations

from datetime import UTC, datetime

from afteraction.core.errors import InvalidInput
from afteraction.core.validation import parse_day

day = parse_day  # a date typed in a form (YYYY-MM-DD), None when left empty


def utc_time(value: str | None, field: str) -> datetime | None:
    """A time typed in a form, read as UTC unless it names its own zone; None when left empty."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1).removesuffix("UTC").strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: a zone that moves it past the first or last day
        raise InvalidInput(f"{field}: {text!r} is not a time such as 2026-03-14T10:08:10 (UTC)", field=field) from None


def words(value: str | None) -> list[str]:
    """A comma-separated list typed in a form, trimmed, without empty entries."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def optional(value: str | None) -> str | None:
    """Text of a form field, or None when it is empty."""
    text = (value or "").strip()
    return text or None
