"""The one TOML reader: a file's tables, or one line naming the file and the line that is wrong."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from afteraction.core.errors import ConfigurationError

# Python 3.11's TOMLDecodeError has no lineno (3.14 adds it): its message ends in "(at line 3, column 7)".
_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def read_toml(path: Path) -> dict[str, Any]:
    """The tables of a TOML file; ConfigurationError `FILE: cannot be read: …` or `FILE:LINE: invalid TOML: …`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"{path}: cannot be read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigurationError(f"{path}:{line}: invalid TOML: not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        reason, line, column = _located(error, text)
        where = f" (column {column})" if column else ""
        raise ConfigurationError(f"{path}:{line}: invalid TOML: {reason}{where}") from None


def _located(error: tomllib.TOMLDecodeError, text: str) -> tuple[str, int, int | None]:
    """The reason, line and column (None at the end of the document) of a TOML error."""
    message = str(error).splitlines()[0] if str(error) else "cannot be parsed"
    lineno, colno = getattr(error, "lineno", None), getattr(error, "colno", None)
    match = _WHERE.search(message)
    reason = message[: match.start()] if match else message
    if isinstance(lineno, int):
        return reason, lineno, colno if isinstance(colno, int) else None
    if match and match.group(1):
        return reason, int(match.group(1)), int(match.group(2))
    return reason, max(len(text.splitlines()), 1), None  # the end of the document: its last line
