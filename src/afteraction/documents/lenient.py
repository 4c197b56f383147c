"""Forgiving readers for the pieces of a post-mortem: blocks, lists, tables, times, zones and durations."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afteraction.domain.markdown_lines import closes_fence, fence_opening

BlockKind = Literal["paragraph", "list", "table", "definition", "heading", "fence"]

_SUBHEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_BULLET = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
_DELIMITER_ROW = re.compile(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


@dataclass(slots=True)
class Item:
    """One list item with its nested items; `text` joins its lines with spaces."""

    line: int
    indent: int
    ordered: bool
    text: str
    children: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    """A top-level piece of a section body: a paragraph, list, table, definition, sub-heading or fence."""

    kind: BlockKind
    line: int
    end: int
    lines: list[str]
    items: list[Item] = field(default_factory=list)
    info: str = ""


def is_blank(text: str) -> bool:
    """Whether a line holds nothing but whitespace."""
    return not text.strip()


def _indent_of(prefix: str) -> int:
    return len(prefix.expandtabs(4))


def bullet(text: str) -> re.Match[str] | None:
    """The list-marker match of a line, or None when the line is not a list item."""
    # "- - -" may be a thematic break to CommonMark, but inside a list section it is an item far more often
    return _BULLET.match(text)


def _starts_block(text: str) -> bool:
    stripped = text.lstrip()
    return bool(fence_opening(text) or _SUBHEADING.match(text) or stripped.startswith("|") or _DEFINITION.match(text))


def read_blocks(body: list[tuple[int, str]]) -> list[Block]:
    """Split a section body (numbered lines) into blocks, keeping each block's first line number."""
    blocks: list[Block] = []
    i, n = 0, len(body)
    while i < n:
        no, text = body[i]
        if is_blank(text):
            i += 1
            continue
        fence = fence_opening(text)
        if fence:
            mark, info = fence
            lines = [text]
            i += 1
            while i < n:
                lines.append(body[i][1])
                i += 1
                if closes_fence(mark, lines[-1]):
                    break
            blocks.append(Block("fence", no, body[i - 1][0], lines, info=info))
        elif _SUBHEADING.match(text):
            blocks.append(Block("heading", no, no, [text]))
            i += 1
        elif text.lstrip().startswith("|"):
            lines = []
            while i < n and body[i][1].lstrip().startswith("|"):
                lines.append(body[i][1])
                i += 1
            blocks.append(Block("table", no, body[i - 1][0], lines))
        elif _DEFINITION.match(text):
            blocks.append(Block("definition", no, no, [text]))
            i += 1
        elif bullet(text):
            i = _read_list(body, i, blocks)
        else:
            lines = []
            while i < n and not is_blank(body[i][1]):
                if lines and (_starts_block(body[i][1]) or bullet(body[i][1])):
                    break
                lines.append(body[i][1])
                i += 1
            blocks.append(Block("paragraph", no, body[i - 1][0], lines))
    return blocks


def _read_list(body: list[tuple[int, str]], i: int, blocks: list[Block]) -> int:
    roots: list[Item] = []
    stack: list[Item] = []
    first, last, n = body[i][0], body[i][0], len(body)
    lines: list[str] = []
    while i < n:
        no, text = body[i]
        if is_blank(text):
            j = i + 1
            while j < n and is_blank(body[j][1]):
                j += 1
            if j >= n:
                break
            nxt = body[j][1]
            if not (bullet(nxt) or (_indent_of(nxt[: len(nxt) - len(nxt.lstrip())]) >= 2 and stack)):
                break
            i = j
            continue
        match = bullet(text)
        if match:
            indent = _indent_of(match.group(1))
            item = Item(no, indent, match.group(2)[0].isdigit(), (match.group(3) or "").strip())
            while stack and indent <= stack[-1].indent + 1:
                stack.pop()
            (stack[-1].children if stack else roots).append(item)
            stack.append(item)
        elif _starts_block(text) and _indent_of(text[: len(text) - len(text.lstrip())]) < 2:
            break
        else:
            top = stack[-1]
            top.text = f"{top.text} {text.strip()}".strip()
        lines.append(text)
        last = no
        i += 1
    blocks.append(Block("list", first, last, lines, items=roots))
    return i


def flatten(item: Item) -> str:
    """One item's text with its nested items folded in, for fields that hold a single line."""
    if not item.children:
        return item.text
    inner = "; ".join(t for t in (flatten(child) for child in item.children) if t)
    if not item.text:
        return inner
    if not inner:
        return item.text
    joiner = " " if item.text.endswith(":") else ": "
    return f"{item.text}{joiner}{inner}"


def split_row(line: str) -> list[str]:
    """The raw cells of a table row, split on pipes not escaped by an odd run of backslashes."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if "\\" not in text:
        # Fast path: without backslashes every pipe separates cells.
        parts = text.split("|")
        if not parts[-1].strip():
            parts.pop()
        return parts
    cells: list[str] = []
    current: list[str] = []
    backslashes = 0
    for char in text:
        if char == "|" and backslashes % 2 == 0:
            cells.append("".join(current))
            current = []
        else:
            current.append(char)
        backslashes = backslashes + 1 if char == "\\" else 0
    rest = "".join(current)
    if rest.strip():
        cells.append(rest)
    return cells


def unescape_cell(cell: str) -> str:
    """The text of a table cell: `\\|` is a pipe, `<br>` a newline, `\\<br>` a literal `<br>`."""
    if "\\" not in cell and "<" not in cell:
        return cell.strip()
    out: list[str] = []
    i, n = 0, len(cell)
    while i < n:
        char = cell[i]
        if char == "\\" and i + 1 < n:
            nxt = cell[i + 1]
            if nxt in "\\|":
                out.append(nxt)
                i += 2
                continue
            brk = _BREAK.match(cell, i + 1)
            if brk:
                out.append(brk.group(0))
                i = brk.end()
                continue
        elif char == "<":
            brk = _BREAK.match(cell, i)
            if brk:
                out.append("\n")
                i = brk.end()
                continue
        out.append(char)
        i += 1
    return "".join(out).strip()


def escape_cell(text: str) -> str:
    """A text written into a table cell so that `unescape_cell` gives it back exactly."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "|":
            out.append("\\|")
        elif char == "\n":
            out.append("<br>")
        elif char == "<" and (brk := _BREAK.match(text, i)):
            out.append("\\" + brk.group(0))
            i = brk.end()
            continue
        elif char == "\\":
            special = i + 1 < n and (text[i + 1] in "\\|\n" or _BREAK.match(text, i + 1) is not None)
            out.append("\\\\" if special else "\\")
        else:
            out.append(char)
        i += 1
    return "".join(out)


@dataclass(slots=True)
class Table:
    """A Markdown table: lower-cased header names and the rows, each with its line number."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_table(block: Block) -> Table:
    """The header and unescaped body rows of a table block (a missing delimiter row is tolerated)."""
    lines = block.lines
    header = [unescape_cell(c) for c in split_row(lines[0])]
    start = 2 if len(lines) > 1 and _DELIMITER_ROW.match(lines[1].strip()) else 1
    rows: list[tuple[int, list[str]]] = []
    for offset, line in enumerate(lines[start:], start=start):
        cells = [unescape_cell(c) for c in split_row(line)]
        if any(cells):
            rows.append((block.line + offset, cells))
    return Table(header, rows)


# --- times and zones -------------------------------------------------------------------------------

_ZONE_ABBREVIATIONS: dict[str, str] = {
    "UTC": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
    "CET": "Europe/Paris",
    "CEST": "Europe/Paris",
    "BST": "Europe/London",
    "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon",
    "EET": "Europe/Helsinki",
    "EEST": "Europe/Helsinki",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "ET": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PT": "America/Los_Angeles",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}
_ZONE_WORD = re.compile(
    r"\b(?:(UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?|([A-Z][a-z]+(?:/[A-Za-z_-]+)+)|([A-Z]{1,4}T|UTC|GMT|Z))\b"
)


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo | None:
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_named(word: str) -> tzinfo | None:
    """The zone a word names: an abbreviation (CET, PDT, UTC), an IANA name, or UTC±hh[:mm]."""
    match = _ZONE_WORD.fullmatch(word.strip())
    if match is None:
        return _zone(word.strip()) if "/" in word else None  # an IANA name the pattern does not cover (Etc/GMT+2)
    return _zone_of(match)


def _zone_of(match: re.Match[str]) -> tzinfo | None:
    if match.group(1):
        sign = -1 if match.group(2) == "-" else 1
        delta = timedelta(hours=int(match.group(3)), minutes=int(match.group(4) or 0))
        return UTC if not delta else timezone(sign * delta)
    if match.group(5):
        return _zone(match.group(5))
    iana = _ZONE_ABBREVIATIONS.get(match.group(6))
    return _zone(iana) if iana else None


def find_zone(text: str) -> tzinfo | None:
    """The first time zone a note or header states ("All times in CET.", "Date and Time in CET")."""
    for match in _ZONE_WORD.finditer(text):
        found = _zone_of(match)
        if found is not None:
            return found
    return None


# "All times in PDT (UTC-7)", "All times PDT.", "(*all times UTC*)", "Times are CET", "Time zone: UTC+1 (Zurich time)"
_ZONE_STATEMENT = re.compile(
    r"\b(?:all\s+times|times?\s+(?:are|is|shown|given|listed|stated|written)|times\s+in|time\s*zone|tz)\b"
    r"(?P<rest>[^\n]{0,60})",
    re.IGNORECASE,
)
_ZONE_OFFSET = re.compile(r"\b(?:UTC|GMT)\s*[+-]\s*\d{1,2}(?::?\d{2})?\b")
_ZONE_NAMES = {
    "pacific": "America/Los_Angeles",
    "mountain": "America/Denver",
    "central european": "Europe/Paris",
    "central": "America/Chicago",
    "eastern": "America/New_York",
    "zurich": "Europe/Zurich",
    "london": "Europe/London",
    "paris": "Europe/Paris",
    "berlin": "Europe/Berlin",
    "copenhagen": "Europe/Copenhagen",
    "coordinated universal": "UTC",
    "universal": "UTC",
}
_ZONE_NAME = re.compile(r"\b(" + "|".join(_ZONE_NAMES) + r")\s+(?:standard\s+|daylight\s+)?time\b", re.IGNORECASE)


def stated_zone(text: str) -> tzinfo | None:
    """The zone a document states for its times ("All times in PDT (UTC-7)", "all times UTC", "GMT+2" as people mean
    it: UTC+2), or None; an offset stated beside an abbreviation wins over the abbreviation ("CET (GMT+1)")."""
    for statement in _ZONE_STATEMENT.finditer(text):
        rest = statement.group("rest")
        offset = _ZONE_OFFSET.search(rest)
        found = zone_named(offset.group(0)) if offset else find_zone(rest)
        if found is None and (name := _ZONE_NAME.search(rest)):
            found = _zone(_ZONE_NAMES[name.group(1).lower()])
        if found is not None:
            return found
    return None


_DATE_TIME = re.compile(
    r"""^(?P<approx>~|≈|ca\.?\s+|approx\.?\s+|around\s+)?
    (?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})
    (?:(?:[T\s]+|\s*,\s*)(?P<h>\d{1,2})[:.h](?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?
       \s*(?P<ampm>[AaPp]\.?[Mm]\.?)?
       \s*(?P<tz>Z(?![A-Za-z])|(?:UTC|GMT)?\s?[+-]\d{2}:?\d{2}|[A-Z]{2,5}(?![A-Za-z]))?
    )?\s*(?P<tail>.*)$""",
    re.VERBOSE,
)
_TIME_ONLY = re.compile(
    r"""^(?P<approx>~|≈)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?
    \s*(?P<tz>Z|[A-Z]{2,5})?\s*(?P<tail>.*)$""",
    re.VERBOSE,
)
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s?([+-])(\d{2}):?(\d{2})$")


@dataclass(slots=True)
class ParsedTime:
    """A time cell as understood: `at` in UTC or None with a `problem`; `keep_text` when worth keeping."""

    at: datetime | None
    keep_text: bool = False
    problem: str | None = None
    zoned: bool = False  # the text named its own zone (or offset); otherwise the zone given was assumed
    day: date | None = None  # the date a text states without a time of day ("2018-01-15")


def _cell_zone(word: str | None, default: tzinfo) -> tzinfo | None:
    if not word:
        return default
    offset = _OFFSET.match(word)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    return zone_named(word)


def _hour(hour: int, ampm: str | None) -> int:
    if not ampm:
        return hour
    pm = ampm[0] in "Pp"
    return (hour % 12) + (12 if pm else 0)


# Month names and their short forms -> month number (the one table of them: documents.parse reads it too).
MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
            ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"),
            ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH_WORD = "(?P<mon>" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
# "Sep 27 2017 13:06", "February 5th, 2019", "5 Feb 2019 10:00", "19. April 2018": the date rewritten as 2017-09-27
# before reading; without a year and before a time ("19. April, 11:00", "Apr 19 11:00") as 04-19, which takes the
# year of the dates around it
_DAY_NUMBER = r"(?P<d>\d{1,2})(?:st|nd|rd|th|\.)?"
_WORD_DATES = (
    re.compile(rf"^{_MONTH_WORD}\s+{_DAY_NUMBER},?\s+(?P<y>\d{{4}})\b,?", re.IGNORECASE),
    re.compile(rf"^{_DAY_NUMBER}\s+{_MONTH_WORD},?\s+(?P<y>\d{{4}})\b,?", re.IGNORECASE),
    re.compile(rf"^{_MONTH_WORD}\s+{_DAY_NUMBER},?\s+(?=\d{{1,2}}:\d{{2}})", re.IGNORECASE),
    re.compile(rf"^{_DAY_NUMBER}\s+{_MONTH_WORD},?\s+(?=\d{{1,2}}:\d{{2}})", re.IGNORECASE),
)
_APPROX_AFTER_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})\s+(?:ca\.?|approx\.?|around|~|≈)\s*(?=\d)", re.IGNORECASE)


_OUT_OF_ORDER = timedelta(hours=6)


def _normal_date(cell: str) -> str:
    for pattern in _WORD_DATES:
        found = pattern.match(cell)
        if found:
            month = MONTH_NUMBERS[found.group("mon").lower()]
            year, day = found.groupdict().get("y"), int(found.group("d"))
            stated = f"{year}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d} "
            cell = stated + cell[found.end() :]
            break
    approx = _APPROX_AFTER_DATE.match(cell)
    return f"~{approx.group(1)} {cell[approx.end() :]}" if approx else cell


def parse_time(text: str, zone: tzinfo, previous: datetime | None = None, day: date | None = None) -> ParsedTime:
    """A timeline time cell in `zone` (unless it names its own) converted to UTC, leniently. A time of day alone
    takes `day` (a date stated above it) or else the day of `previous`, and moves to the next day when it would come
    before `previous` ("23:50", then "00:10")."""
    parsed, _ = _read_time(text.strip(), zone, previous, day, leading=False)
    return parsed


def split_time(
    text: str, zone: tzinfo, previous: datetime | None = None, day: date | None = None
) -> tuple[ParsedTime, str]:
    """The time a line starts with, read as `parse_time` does, and the rest of the line ("12:17 UTC – Alert fires"
    → 12:17 UTC, "Alert fires"); a date alone gives `day` and no time."""
    parsed, tail = _read_time(text.strip(), zone, previous, day, leading=True)
    until = _RANGE_END.match(tail) if parsed.at is not None else None
    if until:  # "13:30-13:45 Launch success drops": the range stays with the time
        parsed.keep_text, tail = True, tail[until.end() :]
    return parsed, tail.lstrip("-–—:|, ").strip()


_RANGE_END = re.compile(r"^\s*[-–—]\s*~?\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*[A-Z]{2,5}(?![A-Za-z]))?")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})\s+(?=\d{1,2}:\d{2})")


def _with_year(cell: str, reference: date | None) -> str:
    """`03-26 17:40` with the year of the date it is read near (the year before, for a month more than half a year
    after that date: `12-05` read near 2019-03-26 is 2018-12-05)."""
    found = _MONTH_DAY.match(cell)
    if not found or reference is None:
        return cell
    month, day = int(found.group(1)), int(found.group(2))
    year = reference.year
    with contextlib.suppress(ValueError):
        if date(year, month, day) > reference + timedelta(days=183):
            year -= 1
    return f"{year}-{month:02d}-{day:02d} {cell[found.end() :]}"


def _read_time(
    cell: str, zone: tzinfo, previous: datetime | None, day: date | None, *, leading: bool
) -> tuple[ParsedTime, str]:
    cell = _with_year(_normal_date(cell), day or (previous.astimezone(zone).date() if previous else None))
    inferred = relative = False
    match = _DATE_TIME.match(cell)
    if match and match.group("h") is None:
        try:
            stated = date(int(match.group("y")), int(match.group("mo")), int(match.group("d")))
        except ValueError:
            return ParsedTime(None, problem=f"date {cell!r} does not exist"), cell
        if match.group("tail").strip() and not leading:
            return ParsedTime(None, problem=f"time {cell!r} not understood"), cell
        return ParsedTime(None, problem=f"date {cell!r} without a time of day", day=stated), match.group("tail")
    if match is None:
        match = _TIME_ONLY.match(cell)
        if match is None or (previous is None and day is None):
            return ParsedTime(None, problem=f"time {cell!r} not understood"), cell
        when, relative = day or date.min, True  # the day is settled once the zone of the time is known
    else:
        try:
            when = date(int(match.group("y")), int(match.group("mo")), int(match.group("d")))
        except ValueError:
            return ParsedTime(None, problem=f"date {cell!r} does not exist"), cell
    tail = match.group("tail").strip()
    word = match.group("tz")
    if word and word.startswith("-") and match.group("s") is None:
        # "09:00-11:00" is a range far more often than a negative offset without seconds
        word, tail = None, cell[match.start("tz") :].strip()
    own_zone = _cell_zone(word, zone)
    if own_zone is None:
        own_zone, word, tail = zone, None, cell[match.start("tz") :].strip()
    if relative and previous is not None:
        earlier = previous.astimezone(own_zone).date()
        if day is None or earlier > day:
            when, inferred = earlier, day is None
    try:
        local = datetime(
            when.year,
            when.month,
            when.day,
            _hour(int(match.group("h")), match.group("ampm")),
            int(match.group("mi")),
            int(match.group("s") or 0),
            tzinfo=own_zone,
        )
    except ValueError:
        return ParsedTime(None, problem=f"time {cell!r} does not exist"), cell
    at = local.astimezone(UTC)
    rolled = False
    if relative and previous is not None and previous - at > _OUT_OF_ORDER:
        # a time of day well before the entry above it belongs to the next day ("23:50", then "00:10"); a little
        # before it is a note written out of order ("14:49", then "14:43")
        at, rolled = (local + timedelta(days=1)).astimezone(UTC), True
    keep = bool(match.group("approx") or (tail and not leading) or inferred or rolled)
    return ParsedTime(at, keep_text=keep, zoned=bool(word)), tail


# --- durations --------------------------------------------------------------------------------------

_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b", re.IGNORECASE
)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_UNKNOWN_VALUES = {"", "?", "??", "n/a", "na", "none", "unknown", "-", "--", "tbd", "x"}
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]*\]")


def parse_duration(text: str) -> tuple[int | None, bool]:
    """Seconds in "5 minutes", "19 hours 43 minutes."; (None, True) for "N/A"; (None, False) if unreadable."""
    value = _FOOTNOTE_REF.sub("", text).strip().rstrip(".").strip()
    if value.lower() in _UNKNOWN_VALUES:
        return None, True
    total = 0.0
    found = False
    for match in _DURATION_PART.finditer(value):
        unit = match.group(2).lower()
        key = "m" if unit.startswith("mi") or unit == "m" else unit[0]
        total += float(match.group(1).replace(",", ".")) * _UNIT_SECONDS[key]
        found = True
    rest = _DURATION_PART.sub("", value)
    rest = re.sub(r"\b(and|approx\.?|about|roughly|ca\.?)\b|[~,.+\s()]", "", rest, flags=re.IGNORECASE)
    if not found or rest:
        return None, False
    return round(total), True


def jsonable(value: Any) -> Any:
    """A front-matter value made JSON-safe: times as RFC 3339 UTC with `Z`, dates as ISO strings."""
    if isinstance(value, datetime):
        at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return at.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(item) for item in value]
    return value
