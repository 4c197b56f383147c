"""Checks every service applies to its input, so every face refuses the same values with the same words."""

from __future__ import annotations

from collections.abc import Sequence

from afteraction.core.errors import InvalidInput


def check_choice(value: str, allowed: Sequence[str], field: str) -> str:
    """Return value if it is one of allowed (case-insensitively matched), else raise InvalidInput."""
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    raise InvalidInput(f"invalid {field} {value!r}: expected one of {', '.join(allowed)}", field=field)
