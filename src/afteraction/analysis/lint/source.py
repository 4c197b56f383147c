"""The prose of a post-mortem with its exact positions: from the Markdown source, or from the fields of a document.

Markdown syntax is blanked out (replaced by spaces of the same length) rather than removed, so an offset in the
cleaned text is still the column in the source line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from afteraction.analysis.lint.names import words
from afteraction.domain.markdown_lines import HTML_COMMENT, front_matter_end, scan, split_lines, strip_comments
from afteraction.domain.reviews import PostmortemDocument, WhyNodeData

_DIRECTIVE = re.compile(r"<!--\s*afteraction\s*:\s*ignore\b(.*?)-->", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)*\|?\s*$")
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])(?:\s+\[[ xX]\])?(?:\s+|$)")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_MARKUP = re.compile(
    r"`[^`]*`|!?\[|\]\([^)]*\)|\]\[[^\]]*\]|\]|https?://\S+|<[^>]*>|\*+|(?<![\w])_+|_+(?![\w])|~~|\\(?=[|*_`])"
)
_MARKUP_HINT = re.compile(r"[`\[\]*_<~\\]|https?:")
_ITEM_STARTS = frozenset("-*+0123456789")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_FM_PROSE = re.compile(r"^(title|summary|impact|description|trigger|detection|resolution)\s*:\s*(.*)$")
_FM_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[^a-z\s])")
# Headings whose content is not the author's own account: appendices, pasted chat logs and threads.
_QUOTED_SECTION = re.compile(
    r"^\W*(?:append[a-z]*|supporting info[a-z]*|raw notes)\b|\bchats?\b|\btranscripts?\b|\bthreads?\b|"
    r"\b(?:slack|irc)\b.*\b(?:logs?|messages?|conversations?|channels?)\b",
    re.IGNORECASE,
)
_APPENDIX = re.compile(r"^\W*append[a-z]*\b", re.IGNORECASE)
_LUCKY = re.compile(r"\blucky\b|\bluck\b", re.IGNORECASE)
# A line of a pasted chat: `[12:01] name: …`, or the `name [9:05 AM]` header of a copied Slack message.
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"
_NAME = r"@?[\w.\-]+(?: [\w.\-]+)?"
_CHAT = re.compile(
    rf"^\s*(?:[-*+]\s+)?(?:\[\s*{_TIME}\s*\]\s*<?{_NAME}>?\s*:|{_NAME}\s*\[\s*{_TIME}\s*\]\s*$)", re.IGNORECASE
)
# In a timeline, `name: …` (with or without a time before it) is a quoted message, unless the word is a label.
_SPEAKER = re.compile(rf"^\s*(?:[-*+]\s+)?(?:\[?{_TIME}\]?\s+)?(?:\*\*)?(@?[A-Za-z][\w.\-]{{0,30}})(?:\*\*)?:\s+\S")
_LABELS = words(
    """
    note notes update impact cause resolution resolved detection detected mitigation mitigated status action actions
    summary fix fixed trigger result outcome todo edit start end started ended begin began outage incident event
    date time root effect response decision
    """
)


def _key(text: str) -> str:
    """How boilerplate headings and lines are compared: case and surrounding space ignored, inner space collapsed."""
    return " ".join(text.split()).casefold()


def is_quoted_line(line: str, section: str | None) -> bool:
    """Whether a source line is someone's quoted words (a chat line), not the author's."""
    if _CHAT.match(line):
        return True
    if section != "timeline":
        return False
    speaker = _SPEAKER.match(line)
    return speaker is not None and speaker.group(1).lower() not in _LABELS


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def clean(text: str) -> str:
    """Markdown inline syntax, code spans, links' targets and HTML blanked out, keeping every offset."""
    if "<!--" in text:
        text = HTML_COMMENT.sub(_blank, text)
    if not _MARKUP_HINT.search(text):
        return text
    return _MARKUP.sub(_blank, text)


@dataclass(slots=True)
class Block:
    """A stretch of prose (a paragraph, list item, table cell or field) and where each of its pieces came from."""

    text: str
    section: str | None
    starts: list[int] = field(default_factory=list)
    lines: list[int | None] = field(default_factory=list)
    columns: list[int | None] = field(default_factory=list)

    def add(self, piece: str, line: int | None, column: int | None) -> None:
        """Append a piece of text (one source line, or part of one) to the block."""
        if self.starts:
            self.text += " "
        self.starts.append(len(self.text))
        self.lines.append(line)
        self.columns.append(column)
        self.text += piece

    def position(self, offset: int) -> tuple[int | None, int | None]:
        """The 1-based line and column of an offset in the block's text."""
        index = max(0, bisect_right(self.starts, offset) - 1)
        column = self.columns[index]
        line = self.lines[index]
        if column is None:
            return line, None
        return line, column + (offset - self.starts[index]) + 1

    def sentences(self) -> Iterator[tuple[int, str]]:
        """Each sentence of the block with its offset."""
        text = self.text
        if "." not in text and "!" not in text and "?" not in text:
            yield 0, text
            return
        start = 0
        for match in _SENTENCE_END.finditer(self.text):
            yield start, self.text[start : match.start()]
            start = match.end()
        if start < len(self.text):
            yield start, self.text[start:]


@dataclass(frozen=True, slots=True)
class Ignore:
    """An inline `<!-- afteraction: ignore RULES -->`: the rules (all when empty) and the lines it covers."""

    first: int
    last: int
    patterns: tuple[str, ...]

    def covers(self, line: int, rule: str) -> bool:
        """Whether this directive silences a rule on a line."""
        if not self.first <= line <= self.last:
            return False
        if not self.patterns:
            return True
        return any(rule == p or rule.startswith(p.rstrip("/*") + "/") for p in self.patterns)


@dataclass(slots=True)
class Prose:
    """All the prose of one document as blocks, the inline ignores, and the line where each section starts."""

    blocks: list[Block]
    ignores: list[Ignore]
    line_count: int = 0

    def ignored(self, line: int | None, rule: str) -> bool:
        """Whether an inline directive silences a rule on a line."""
        return line is not None and any(ignore.covers(line, rule) for ignore in self.ignores)


def _patterns(text: str) -> tuple[str, ...]:
    return tuple(p.lower() for p in re.split(r"[\s,]+", text.strip()) if p)


def _cells(line: str, *, keep_empty: bool = False) -> Iterator[tuple[int, str]]:
    """The cells of a table row (between its pipes) with the column each starts at."""
    if "\\" not in line:
        # no escaped pipes: a plain split, keeping track of where each cell starts
        parts = line.split("|")
        starts = [0]
        for part in parts[:-1]:
            starts.append(starts[-1] + len(part) + 1)
        first, last = 0, len(parts)
        if not parts[0].strip():
            first = 1
        if last - first > 1 and not parts[-1].strip():
            last -= 1
        for i in range(first, last):
            if keep_empty or parts[i].strip():
                yield starts[i], parts[i]
        return
    bounds = [m.start() for m in _CELL_SPLIT.finditer(line)]
    if line.lstrip().startswith("|"):
        bounds = bounds[1:]
        edges = [line.index("|"), *bounds]
    else:
        edges = [-1, *bounds]
    if not line.rstrip().endswith("|") or len(edges) == 1:
        edges.append(len(line))
    for left, right in pairwise(edges):
        cell = line[left + 1 : right]
        if keep_empty or cell.strip():
            yield left + 1, cell


_DATA_COLUMNS = words(
    """
    time date when at source actor who person author kind type owner assignee responsible due deadline priority
    status state tracker ticket issue jira link url evidence id addresses cause
    """
)


def _is_data(header: str) -> bool:
    """Whether a table column holds data (times, names, kinds, links) rather than prose."""
    words = re.sub(r"[^a-z ]", " ", header.lower()).split()
    return bool(words) and (words[0] in _DATA_COLUMNS or "time" in words or "date" in words)


def _not_authors(raw: str, first: str, quoting: bool, section: str | None, boilerplate: set[str]) -> bool:
    """Whether a line is quoted (a blockquote or its continuation, a chat line) or template boilerplate."""
    if first == ">" or quoting or is_quoted_line(raw, section):
        return True
    return bool(boilerplate) and _key(_LIST_ITEM.sub("", raw)) in boilerplate


def from_source(
    text: str,
    section_lines: Mapping[str, int],
    *,
    ignore_headings: Collection[str] = (),
    ignore_text: Collection[str] = (),
) -> Prose:
    """The prose of a Markdown post-mortem with exact lines and columns, and its inline ignore directives.

    Only the author's own words are prose: blockquotes (with their lazy continuation lines), fenced code, lines of
    pasted chat, sections that are appendices, supporting information or chat logs, and template boilerplate
    (`ignore_headings` and `ignore_text`, compared without case and extra space) are left out.
    """
    lines = split_lines(text)
    boiler_headings = {_key(h) for h in ignore_headings}
    boiler_text = {_key(t) for t in ignore_text}
    skip_level: int | None = None  # inside a section that is not the author's words, opened at this level
    lucky_level: int | None = None  # inside a "Where we got lucky" subsection, opened at this level
    quoting = False  # inside a blockquote or a pasted chat message, until a blank line
    keys = {line: key for key, line in section_lines.items() if "." not in key and key != "front_matter"}
    blocks: list[Block] = []
    ignores: list[Ignore] = []
    section: str | None = None
    section_start = 1
    content_since_heading = False
    whole_document = True  # before the first section heading (the `#` title does not count)
    current: Block | None = None
    pending_next: list[tuple[str, ...]] = []
    headings: list[tuple[int, int]] = []  # (line, ignore index) of section-wide directives still open
    start = 0

    def close() -> None:
        nonlocal current
        if current is not None and current.text.strip():
            blocks.append(current)
        current = None

    end = front_matter_end(lines)
    if end is not None:
        start = end + 1
        key: str | None = None
        for index in range(1, end):
            raw = lines[index]
            found = _FM_PROSE.match(raw)
            if found:
                close()
                key = found.group(1)
                current = Block("", key)
                value = found.group(2)
                column = raw.index(value, found.start(2)) if value else len(raw)
                if value.strip() not in ("|", ">", "|-", ">-", "|+", ">+"):
                    current.add(re.sub(r"^['\"]|['\"]$", " ", value), index + 1, column)
            elif key is not None and raw[:1] in (" ", "\t") and current is not None:
                indent = len(raw) - len(raw.lstrip())
                current.add(raw[indent:], index + 1, indent)
            elif _FM_KEY.match(raw):
                close()
                key = None
        close()

    prose: list[int] | None = None  # the prose columns of the table being read
    for line in scan(lines, start):
        if line.kind == "code":
            continue
        if line.kind == "fence":
            close()
            content_since_heading = True
            continue
        index, no, raw = line.index, line.no, line.text
        stripped = raw.strip()
        first = stripped[:1]
        directive = _DIRECTIVE.search(raw) if "<!--" in raw else None
        heading = line.heading
        if heading:
            quoting = False
            if skip_level is not None and heading.level <= skip_level:
                skip_level = None
            if lucky_level is not None and heading.level <= lucky_level:
                lucky_level = None
            words_of = heading.text
            if skip_level is None and (
                _key(words_of) in boiler_headings
                or (_QUOTED_SECTION.search(words_of) and (heading.level > 1 or _APPENDIX.match(words_of)))
                or (heading.level <= 2 and keys.get(no) == "supporting_info")
            ):
                skip_level = heading.level
            elif heading.level > 2 and _LUCKY.search(words_of):
                lucky_level = heading.level
        if heading and heading.level <= 2:
            close()
            for opened_line, at in headings:
                ignores[at] = Ignore(opened_line, no - 1, ignores[at].patterns)
            headings = []
            if heading.level == 2 or not whole_document or keys.get(no) != "title":
                whole_document = False
            section = keys.get(no)
            if section == "title":
                title = Block("", "title")
                title.add(clean(raw[heading.start :]), no, heading.start)
                blocks.append(title)
            section_start = no
            content_since_heading = False
            if directive:
                headings.append((no, len(ignores)))
                ignores.append(Ignore(no, len(lines), _patterns(directive.group(1))))
            continue
        if directive:
            rest = strip_comments(raw).strip()
            patterns = _patterns(directive.group(1))
            if rest:
                ignores.append(Ignore(no, no, patterns))
            elif not content_since_heading and whole_document:
                ignores.append(Ignore(1, len(lines), patterns))
            elif not content_since_heading:
                # right under a heading: the whole section
                headings.append((section_start, len(ignores)))
                ignores.append(Ignore(section_start, len(lines), patterns))
            else:
                pending_next.append(patterns)
            if not rest:
                continue
        if not stripped:
            close()
            prose = None
            quoting = False
            continue
        if quoting and first != ">" and (first == "|" or _LIST_ITEM.match(raw)):
            quoting = False  # a list or a table ends a blockquote's lazy continuation
        if skip_level is not None or (heading is None and _not_authors(raw, first, quoting, section, boiler_text)):
            # an appendix, someone else's words or template text: not checked
            close()
            quoting = skip_level is None and (quoting or first == ">" or bool(_CHAT.match(raw)))
            content_since_heading = True
            pending_next = []
            continue
        if pending_next:
            for patterns in pending_next:
                ignores.append(Ignore(no, no, patterns))
            pending_next = []
        content_since_heading = True
        if heading or (first == "[" and _DEFINITION.match(raw)):
            close()
            continue
        if first != "|":
            prose = None
        else:
            close()
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if "-" in following and _SEPARATOR.match(following) and not _SEPARATOR.match(raw):
                # the header row: columns of times, names, kinds and links hold no prose to check
                prose = [n for n, (_, cell) in enumerate(_cells(raw, keep_empty=True)) if not _is_data(cell)]
                continue
            if _SEPARATOR.match(raw):
                continue
            cells = list(_cells(raw, keep_empty=True))
            for n in prose if prose is not None else range(len(cells)):
                if n >= len(cells) or not cells[n][1].strip():
                    continue
                column, cell = cells[n]
                block = Block("", "lucky" if lucky_level is not None else section)
                block.add(clean(cell), no, column)
                blocks.append(block)
            continue
        body = raw
        offset = 0
        quote = _QUOTE.match(body) if first == ">" else None
        if quote:
            offset = quote.end()
            first = body[offset:].lstrip()[:1]
        item = _LIST_ITEM.match(body, offset) if first in _ITEM_STARTS else None
        if item:
            close()
            offset = item.end()
        if current is None:
            current = Block("", "lucky" if lucky_level is not None else section)
        indent = len(body) - len(body[offset:].lstrip())
        current.add(clean(body[indent:]), no, indent)
    close()
    for opened_line, at in headings:
        ignores[at] = Ignore(opened_line, len(lines), ignores[at].patterns)
    return Prose(blocks=blocks, ignores=ignores, line_count=len(lines))


def _field(blocks: list[Block], text: str, section: str, line: int | None = None) -> None:
    for paragraph in re.split(r"\n\s*\n", text):
        if paragraph.strip():
            block = Block("", section)
            block.add(clean(" ".join(paragraph.split())), line, None)
            blocks.append(block)


def _whys(blocks: list[Block], nodes: list[WhyNodeData]) -> None:
    for node in nodes:
        _field(blocks, node.text, "whys", node.line)
        _whys(blocks, node.children)


def from_document(doc: PostmortemDocument, *, ignore_headings: Collection[str] = ()) -> Prose:
    """The prose of a document that has no source text (from the database), with item lines where known.

    Sections kept verbatim that are appendices, chat logs or boilerplate (`ignore_headings`) are left out.
    """
    boilerplate = {_key(h) for h in ignore_headings}
    blocks: list[Block] = []
    for name in ("title", "summary", "impact", "trigger", "detection", "resolution"):
        _field(blocks, getattr(doc, name), name)
    _field(blocks, doc.timeline_note, "timeline")
    for entry in doc.timeline:
        _field(blocks, entry.text, "timeline", entry.line)
    _field(blocks, doc.problem_statement, "whys")
    _whys(blocks, doc.whys)
    for factor in doc.factors:
        _field(blocks, factor.text, "factors", factor.line)
    for lesson in doc.lessons:
        _field(blocks, lesson.text, lesson.kind, lesson.line)
    for action in doc.actions:
        _field(blocks, action.title, "actions", action.line)
    for extra in doc.sections:
        if not (_QUOTED_SECTION.search(extra.heading) or _key(extra.heading) in boilerplate):
            _field(blocks, extra.body, "sections", extra.line)
    return Prose(blocks=blocks, ignores=[])
