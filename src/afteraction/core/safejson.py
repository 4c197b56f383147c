"""JSON from outside (uploads, imports, request bodies, webhooks) parsed with limits: one place for the rule.

Text that is not JSON, nesting deeper than the limit, and lone surrogates are refused with one line naming the source
and, for depth, the setting that raises the limit; NUL characters (which PostgreSQL cannot store) are removed from
strings and keys.
"""

from __future__ import annotations

from itertools import chain, compress
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


def _nests_deeper(value: Any, max_depth: int) -> bool:
    """Whether orjson's output (exact dicts and lists) nests deeper than `max_depth`, walked level by level with the
    selection of each level's dicts and lists done by itertools (this walk runs on every large JSON import)."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        children = list(chain.from_iterable(item.values() if type(item) is dict else item for item in level))
        level = list(compress(children, map(_CONTAINERS.__contains__, map(type, children))))
    return False


_CONTAINERS = frozenset((dict, list))


def loads(data: bytes | bytearray | memoryview | str, *, max_depth: int, source: str) -> Any:
    """JSON text parsed with orjson and checked: InvalidInput naming `source` when it is not JSON (or holds a lone
    surrogate) or is nested deeper than `max_depth`; NUL characters are removed from strings and keys."""
    text = data.tobytes() if isinstance(data, memoryview) else data
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc):
            raise too_deep(source, max_depth) from None
        raise InvalidInput(f"{source}: not valid JSON: {exc}", field=source) from None
    # Cheap proofs first (an import parses millions of records): a text that opens no more than `max_depth` arrays
    # and objects cannot nest deeper, and JSON text can hold a NUL only as the escape \u0000.
    if isinstance(text, str):
        opens, has_nul = text.count("[") + text.count("{"), "\\u0000" in text
    else:
        opens, has_nul = text.count(b"[") + text.count(b"{"), b"\\u0000" in text
    if opens > max_depth and _nests_deeper(value, max_depth):
        raise too_deep(source, max_depth)
    return without_nul(value) if has_nul else value
