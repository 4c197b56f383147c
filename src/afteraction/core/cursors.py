"""The one opaque form of a page cursor: URL-safe base64 (unpadded) of a compact JSON list.

A list that pages by keyset (the timeline, incidents, action items) writes the key of a page's last row as a short
list of JSON values, its first naming what kind of cursor it is, and reads it back with `decode_cursor` and the
`cursor_*` checks here. Anything that is not a cursor of the list is one InvalidInput naming `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

from afteraction.core.errors import InvalidInput

MAX_CURSOR = 200  # characters of a cursor at most
LOWEST_INT = -(2**31)  # the range of the integers a cursor may carry (ids, positions, numbers)
HIGHEST_INT = 2**31 - 1

CursorValue = str | int | None


def bad_cursor(what: str) -> InvalidInput:
    """The error for a cursor that is not one of `what` (e.g. "this timeline")."""
    return InvalidInput(f"cursor: not a cursor of {what} (use the next_cursor of a page)", field="cursor")


def encode_cursor(values: Sequence[CursorValue]) -> str:
    """The opaque form of a cursor's values."""
    text = json.dumps(list(values), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str, what: str, tags: Sequence[str], length: int) -> list[CursorValue]:
    """The values of a cursor whose first value is one of `tags` and which has `length` values; InvalidInput naming
    `cursor` (as not a cursor of `what`) for anything else."""
    if not text or len(text) > MAX_CURSOR:
        raise bad_cursor(what)
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (ValueError, binascii.Error):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise bad_cursor(what) from None
    if not isinstance(value, list) or len(value) != length or value[0] not in tags:
        raise bad_cursor(what)
    if not all(item is None or isinstance(item, str | int) for item in value):
        raise bad_cursor(what)
    return value


def cursor_int(value: CursorValue, what: str) -> int:
    """An integer of a cursor (within 32 bits; not a boolean)."""
    if type(value) is not int or not LOWEST_INT <= value <= HIGHEST_INT:
        raise bad_cursor(what)
    return value


def time_value(moment: datetime) -> str:
    """A time as a cursor writes it: ISO 8601 in UTC with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cursor_time(value: CursorValue, what: str) -> datetime | None:
    """A time of a cursor (None stays None), in UTC."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise bad_cursor(what)
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise bad_cursor(what)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad_cursor(what) from None


def cursor_date(value: CursorValue, what: str) -> date | None:
    """A date of a cursor (None stays None), written YYYY-MM-DD."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise bad_cursor(what)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_cursor(what) from None
