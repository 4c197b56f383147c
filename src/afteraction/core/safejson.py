"""JSON from outside (uploads, imports, request bodies, webhooks) parsed with limits: one place for the rule.

Text that is not JSON, nesting deeper than the limit, and lone surrogates are refused with one line naming the source
and, for depth, the setting that raises the limit; NUL characters (which PostgreSQL cannot store) are removed from
strings and keys.
"""

from __future__ import annotations

from typing import Any

import orjson

from afteraction.core.errors import InvalidInput

DEPTH_SETTING = "AFTERACTION_JSON_MAX_DEPTH"


def too_deep(source: str, max_depth: int) -> InvalidInput:
    """The error of JSON nested deeper than the limit."""
    return InvalidInput(
        f"{source}: JSON nested deeper than {max_depth} levels (the limit is set by {DEPTH_SETTING})", field=source
    )


def _check(value: Any, max_depth: int) -> bool:
    """Whether a NUL character occurs in a string or key of the value; _DepthExceeded when it nests too deep."""
    has_nul = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise _DepthExceeded
        if isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    has_nul = True
                if isinstance(child, dict | list):
                    stack.append((child, depth + 1))
                elif isinstance(child, str) and "\x00" in child:
                    has_nul = True
        elif isinstance(item, list):
            for child in item:
                if isinstance(child, dict | list):
                    stack.append((child, depth + 1))
                elif isinstance(child, str) and "\x00" in child:
                    has_nul = True
        elif isinstance(item, str) and "\x00" in item:
            has_nul = True
    return has_nul


class _DepthExceeded(Exception):
    pass


def without_nul(value: Any) -> Any:
    """The value with NUL characters removed from every string and key."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {key.replace("\x00", ""): without_nul(child) for key, child in value.items()}
    if isinstance(value, list):
        return [without_nul(child) for child in value]
    return value


def check_value(value: Any, *, max_depth: int, source: str) -> Any:
    """An already parsed JSON value checked against the depth limit, with NUL characters removed."""
    try:
        has_nul = _check(value, max_depth)
    except _DepthExceeded:
        raise too_deep(source, max_depth) from None
    return without_nul(value) if has_nul else value


def loads(data: bytes | bytearray | memoryview | str, *, max_depth: int, source: str) -> Any:
    """JSON text parsed with orjson and checked: InvalidInput naming `source` when it is not JSON (or holds a lone
    surrogate) or is nested deeper than `max_depth`; NUL characters are removed from strings and keys."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc):
            raise too_deep(source, max_depth) from None
        raise InvalidInput(f"{source}: not valid JSON: {exc}", field=source) from None
    return check_value(value, max_depth=max_depth, source=source)
