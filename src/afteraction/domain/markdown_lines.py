"""The one reading of a Markdown file's lines: line ends, front matter, fenced code, headings and HTML comments.

The parser (documents/) and the linter (analysis/) both walk a post-mortem line by line; they share this scanner so
that they agree on where front matter ends, which lines are code, and which lines are headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

LineKind = Literal["text", "heading", "fence", "code"]

HTML_COMMENT = re.compile(r"<!--.*?-->")
_NEWLINES = re.compile(r"\r\n?")
# A fence opens with three or more backticks (whose info string has no backtick) or tildes, indented at most three.
_FENCE = re.compile(r"^ {0,3}(`{3,}(?=[^`]*$)|~{3,})[ \t]*(.*?)\s*$")
_CLOSING = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FRONT_MATTER_ENDS = ("---", "...")


def split_lines(text: str) -> list[str]:
    """The lines of a text, without a byte-order mark, whatever its line ends (`\\n`, `\\r\\n` or `\\r`)."""
    return _NEWLINES.sub("\n", text.removeprefix("\ufeff")).split("\n")


def strip_comments(text: str) -> str:
    """The text without its HTML comments (`<!-- … -->` on one line)."""
    return HTML_COMMENT.sub("", text) if "<!--" in text else text


def opens_front_matter(lines: Sequence[str]) -> bool:
    """Whether the first line opens YAML front matter (`---`)."""
    return bool(lines) and lines[0].rstrip() == "---"


def front_matter_end(lines: Sequence[str]) -> int | None:
    """The index of the line (`---` or `...`) that closes the front matter opened on the first line; None when there
    is no front matter or it is never closed."""
    if not opens_front_matter(lines):
        return None
    return next((i for i in range(1, len(lines)) if lines[i].rstrip() in _FRONT_MATTER_ENDS), None)


def fence_opening(line: str) -> tuple[str, str] | None:
    """The marker (```` ``` ```` or `~~~`, as long as written) and the info string of a line that opens fenced code."""
    found = _FENCE.match(line)
    return (found.group(1), found.group(2)) if found else None


def closes_fence(marker: str, line: str) -> bool:
    """Whether a line closes the fenced code its marker opened: the same character, at least as many of it."""
    found = _CLOSING.match(line)
    return found is not None and found.group(1)[0] == marker[0] and len(found.group(1)) >= len(marker)


@dataclass(frozen=True, slots=True)
class Heading:
    """An ATX heading: its level, its words (without the closing `#`s and HTML comments), and the column where its
    text starts in the line."""

    level: int
    text: str
    start: int


def read_heading(line: str) -> Heading | None:
    """The heading of a line, or None when it is not one (`#Title` is not: the `#`s need a space after them)."""
    found = _HEADING.match(line)
    if found is None:
        return None
    return Heading(len(found.group(1)), strip_comments(found.group(2) or "").strip(), min(found.end(1) + 1, len(line)))


@dataclass(frozen=True, slots=True)
class MarkdownLine:
    """One line as the scanner read it: `fence` opens fenced code, `code` is inside it (or closes it), a `heading`
    has its heading, anything else is `text`."""

    index: int
    text: str
    kind: LineKind
    heading: Heading | None = None

    @property
    def no(self) -> int:
        """The 1-based line number."""
        return self.index + 1


def scan(lines: Sequence[str], start: int = 0) -> Iterator[MarkdownLine]:
    """Each line from index `start` on, with its kind; no heading is found inside fenced code."""
    fence: str | None = None
    for index in range(start, len(lines)):
        text = lines[index]
        first = text.lstrip()[:1]
        if fence is not None:
            if first == fence[0] and closes_fence(fence, text):
                fence = None
            yield MarkdownLine(index, text, "code")
            continue
        if first == "`" or first == "~":
            opened = fence_opening(text)
            if opened is not None:
                fence = opened[0]
                yield MarkdownLine(index, text, "fence")
                continue
        elif first == "#":
            heading = read_heading(text)
            if heading is not None:
                yield MarkdownLine(index, text, "heading", heading)
                continue
        yield MarkdownLine(index, text, "text")
