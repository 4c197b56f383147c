"""Checks every service applies to its input, so every face refuses the same values with the same words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from afteraction.core.errors import InvalidInput


def check_choice(value: str, allowed: Sequence[str], field: str) -> str:
    """Return value if it is one of allowed (case-insensitively matched), else raise InvalidInput."""
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    raise InvalidInput(f"invalid {field} {value!r}: expected one of {', '.join(allowed)}", field=field)


def parse_day(value: str | None, field: str) -> date | None:
    """A date typed in a form or an address (YYYY-MM-DD); None when left empty; else InvalidInput naming `field`."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a date such as 2026-03-14", field=field) from None
