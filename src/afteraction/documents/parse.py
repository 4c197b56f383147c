"""Parse a post-mortem in the afteraction Markdown format, and leniently documents written elsewhere.

`doc.section_lines` maps keys to the 1-based line of their heading: `title`, `front_matter`,
`front_matter.<key>`, `summary`, `impact`, `trigger`, `detection`, `resolution`, `timeline`, `whys`,
`factors`, `went-well`, `went-wrong`, `lucky`, `learned`, `actions`, `supporting_info`, `stats`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from afteraction.core import safejson
from afteraction.core.config import Settings
from afteraction.core.errors import InvalidInput
from afteraction.documents.lenient import (
    Block,
    Item,
    find_zone,
    flatten,
    jsonable,
    parse_duration,
    parse_time,
    read_blocks,
    read_table,
)
from afteraction.documents.mapping import ImportMapping
from afteraction.domain.actions import ActionItemData
from afteraction.domain.incidents import KEY_MOMENTS, TimelineEntry
from afteraction.domain.markdown_lines import front_matter_end, opens_front_matter, scan, split_lines
from afteraction.domain.reviews import (
    FactorData,
    LessonData,
    ParseWarning,
    PostmortemDocument,
    SectionData,
    WhyNodeData,
)

_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_CANONICAL_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)(?: \((.*)\))?$")
_KEY_MARK = re.compile(r"(?:^|\s+)\*\*([^*\s][^*]*?)\*\*$")
_TEXT_MOMENT = re.compile(
    r"^\*\*(detection|detected|recovery|recovered|mitigation|mitigated|resolution|resolved|start|started|"
    r"trigger|acknowledged|acknowledgement|ack)\s*:?\s*\*\*",
    re.IGNORECASE,
)
_ROOT_CAUSE = re.compile(r"^\*\*root cause:?\*\*:?\s*", re.IGNORECASE)
_CATEGORY_PREFIX = re.compile(r"^\*\*\[([^\]]*)\]\*\*(?:\s+(.*))?$")
_CATEGORY_SUFFIX = re.compile(r"^(.*?)\s*\(category:\s*([^)]*)\)$", re.IGNORECASE)
_CHECKBOX = re.compile(r"^\[([ xX])\]\s+")
_STAT = re.compile(r"^([^:]{1,60}):\s*(.*)$")
_EXTERNAL_ID = re.compile(r"^([A-Z][A-Z0-9]*-?\d+(?:-\d+)?)(?=$|[\s_])")

_MOMENT_WORDS = {
    "detection": "detected",
    "detected": "detected",
    "recovery": "mitigated",
    "recovered": "mitigated",
    "mitigation": "mitigated",
    "mitigated": "mitigated",
    "resolution": "resolved",
    "resolved": "resolved",
    "start": "started",
    "started": "started",
    "trigger": "started",
    "acknowledged": "acknowledged",
    "acknowledgement": "acknowledged",
    "ack": "acknowledged",
}
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "summary": ("summary", "executive summary", "incident summary", "overview", "tl;dr", "tldr"),
    "impact": ("impact", "customer impact", "user impact", "business impact"),
    "trigger": ("trigger", "triggers"),
    "detection": ("detection", "how was it detected"),
    "resolution": ("resolution", "recovery", "mitigation", "resolution and recovery"),
    "timeline": ("timeline", "incident timeline", "chronology", "sequence of events"),
    "whys": ("five whys", "5 whys", "the five whys"),
    "factors": ("contributing factors", "root causes", "root cause", "causes", "contributing causes"),
    "went-well": ("what went well", "things that went well", "went well"),
    "went-wrong": (
        "what went wrong",
        "things that went wrong",
        "what didn't go well",
        "what did not go well",
    ),
    "lucky": ("where we got lucky", "where we were lucky", "what was lucky"),
    "learned": ("lessons learned", "lessons", "learnings", "key takeaways", "takeaways"),
    "actions": (
        "action items",
        "actions",
        "follow-ups",
        "follow ups",
        "followups",
        "next steps",
        "remediation",
        "remediations",
        "remediation items",
        "corrective actions",
    ),
    "supporting_info": ("supporting information", "supporting info", "references", "related links"),
    "stats": ("stats", "statistics"),
}
SECTION_KEYS: dict[str, str] = {name: key for key, names in _SYNONYMS.items() for name in names}
TEXT_SECTIONS: tuple[str, ...] = (
    "summary",
    "impact",
    "trigger",
    "detection",
    "resolution",
    "supporting_info",
)
LIST_SECTIONS: tuple[str, ...] = ("factors", "went-well", "went-wrong", "lucky", "learned")

_STRING_FIELDS = ("id", "title", "kind", "severity", "status", "incident_status", "external_ref", "summary")
_LIST_FIELDS = ("services", "teams", "tags", "categories", "authors", "reviewers")
_TIME_FIELDS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
_ALIASES = {
    "uuid": "external_ref",
    "start_time": "started_at",
    "end_time": "resolved_at",
    "keywords": "tags",
    "author": "authors",
}
_TIMELINE_COLUMNS = {
    "source": "source",
    "actor": "actor",
    "who": "actor",
    "person": "actor",
    "author": "actor",
    "kind": "kind",
    "type": "kind",
    "link": "link",
    "url": "link",
    "evidence": "evidence",
    "id": "source_id",
    "source id": "source_id",
    "event": "text",
    "description": "text",
    "what": "text",
    "text": "text",
    "message": "text",
    "details": "text",
}
_ACTION_COLUMNS = {
    "action": "title",
    "action item": "title",
    "item": "title",
    "task": "title",
    "title": "title",
    "description": "title",
    "what": "title",
    "type": "type",
    "owner": "owner",
    "assignee": "owner",
    "who": "owner",
    "responsible": "owner",
    "due": "due",
    "due date": "due",
    "deadline": "due",
    "priority": "priority",
    "status": "status",
    "state": "status",
    "tracker": "tracker",
    "ticket": "tracker",
    "issue": "tracker",
    "jira": "tracker",
    "link": "tracker",
    "addresses": "addresses",
    "cause": "addresses",
}
# The moments a document states in a "Key events" / "Incident timing" block or a line of its own
# ("Start time: 2021-03-04 10:12 UTC", "**Detected:** 2021-03-04 10:20", a table of label and time cells).
_STATED_LABELS = {
    **{word: moment for word, moment in _MOMENT_WORDS.items() if word not in ("recovery", "recovered", "trigger")},
    "start time": "started",
    "started at": "started",
    "incident start": "started",
    "impact start": "started",
    "began": "started",
    "detection time": "detected",
    "detected at": "detected",
    "time detected": "detected",
    "acknowledged at": "acknowledged",
    "acknowledgement time": "acknowledged",
    "mitigation time": "mitigated",
    "mitigated at": "mitigated",
    "resolution time": "resolved",
    "resolved at": "resolved",
    "time resolved": "resolved",
    "end": "resolved",
    "end time": "resolved",
    "ended": "resolved",
    "incident end": "resolved",
    "impact end": "resolved",
}
_KEY_EVENT_HEADINGS = re.compile(
    r"^(key events|key moments|key times|incident timing|timing|start\s*(/|and|&)\s*end times?)$", re.IGNORECASE
)
_STATED_LINE = re.compile(r"^([A-Za-z][A-Za-z ]{1,30}?)\s*(?:\([^)]*\))?\s*:\s*(.+)$")
_MONTHS = {
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
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TITLE_DATES = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), (1, 2, 3)),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE), (3, 1, 2)),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE), (3, 2, 1)),
    # A month and year alone ("outage of October 2021"): the first of the month, enough to count it by month.
    (re.compile(rf"\b{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE), (2, 1, 0)),
)
_ACTION_STATUS_WORDS = {
    "open": "open",
    "todo": "open",
    "to do": "open",
    "not started": "open",
    "new": "open",
    "pending": "open",
    "planned": "open",
    "backlog": "open",
    "in-progress": "in-progress",
    "in progress": "in-progress",
    "doing": "in-progress",
    "started": "in-progress",
    "wip": "in-progress",
    "ongoing": "in-progress",
    "done": "done",
    "closed": "done",
    "complete": "done",
    "completed": "done",
    "fixed": "done",
    "resolved": "done",
    "finished": "done",
    "implemented": "done",
    "✅": "done",
    "✔": "done",
    "x": "done",
    "wont-do": "wont-do",
    "won't do": "wont-do",
    "wont do": "wont-do",
    "wontfix": "wont-do",
    "won't fix": "wont-do",
    "cancelled": "wont-do",
    "canceled": "wont-do",
    "rejected": "wont-do",
    "dropped": "wont-do",
    "obsolete": "wont-do",
}
_STAT_KEYS = {
    "time to detection": "time_to_detect_s",
    "time to detect": "time_to_detect_s",
    "ttd": "time_to_detect_s",
    "time to acknowledge": "time_to_acknowledge_s",
    "time to acknowledgement": "time_to_acknowledge_s",
    "time to mitigate": "time_to_mitigate_s",
    "time to mitigation": "time_to_mitigate_s",
    "time to recovery": "time_to_recover_s",
    "time to recover": "time_to_recover_s",
    "time to resolve": "time_to_recover_s",
    "time to resolution": "time_to_recover_s",
    "ttr": "time_to_recover_s",
}


def section_key(heading: str) -> str | None:
    """The document part a heading names ("Root Causes" → `factors`), or None for a section kept verbatim."""
    name = re.sub(r"\s*\([^)]*\)\s*$", "", heading.strip().lower()).rstrip(":").strip()
    name = re.sub(r"\s+", " ", name.replace("*", "").replace("_", ""))
    return SECTION_KEYS.get(name)


@dataclass(slots=True)
class _Section:
    heading: str
    line: int
    body: list[tuple[int, str]] = field(default_factory=list)


def _text(body: list[tuple[int, str]], spans: list[tuple[int, int]] | None = None) -> str:
    """The raw text of a body without the given line spans; each gap separates paragraphs."""
    chunks: list[list[str]] = [[]]
    for no, line in body:
        if spans and any(start <= no <= end for start, end in spans):
            chunks.append([])
        else:
            chunks[-1].append(line)
    texts = ("\n".join(chunk).strip() for chunk in chunks)
    return "\n\n".join(text for text in texts if text)


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


class _Reader:
    """Collects the fields, line numbers and warnings of one document while its sections are read."""

    def __init__(self, path: str, mapping: ImportMapping | None = None) -> None:
        self.path = path
        self.mapping = mapping or ImportMapping()  # a company's template (import --mapping); empty: our own rules
        self.fields: dict[str, Any] = {"extra": {}}
        self.lines: dict[str, int] = {}
        self.warnings: list[ParseWarning] = []
        self.definitions: list[str] = []
        self.has_front_matter = False
        self.exact = False
        self.notes: list[ParseWarning] = []
        self.stated: dict[str, tuple[datetime, int, str]] = {}

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(path=self.path, line=line, message=message))

    def note(self, line: int, message: str) -> None:
        """Record where a key moment came from (shown by `import --json`, not a problem)."""
        self.notes.append(ParseWarning(path=self.path, line=line, message=message))

    def append(self, name: str, values: list[Any]) -> None:
        self.fields.setdefault(name, []).extend(values)

    # --- front matter ------------------------------------------------------------------------------

    def front_matter(self, lines: list[str]) -> int:
        """Read the YAML front matter, if any; return the index of the first body line."""
        if not opens_front_matter(lines):
            return 0
        end = front_matter_end(lines)
        if end is None:
            raise InvalidInput(f"{self.path}:1: front matter opened on line 1 is never closed with '---'")
        source = "\n".join(lines[1:end])
        try:
            data = yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 2 if mark is not None else 1
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise InvalidInput(f"{self.path}:{line}: malformed YAML front matter: {problem}") from error
        except ValueError as error:  # a timestamp YAML reads as one but that does not exist (2026-02-30)
            line = next((n for n, text in enumerate(lines[1:end], start=2) if _bad_yaml_value(text)), 1)
            raise InvalidInput(f"{self.path}:{line}: malformed YAML front matter: {error}") from error
        self.has_front_matter = True
        self.lines["front_matter"] = 1
        for offset, text in enumerate(lines[1:end], start=2):
            key = _KEY_LINE.match(text)
            if key:
                self.lines.setdefault(f"front_matter.{key.group(1)}", offset)
        if data is None:
            return end + 1
        if not isinstance(data, dict):
            raise InvalidInput(f"{self.path}:2: front matter must be a mapping of keys to values")
        self.exact = "kind" in data  # this tool's export always writes `kind`: its moments are all stated
        for key, value in data.items():
            self._front_matter_value(str(key), value, data)
        return end + 1

    def _front_matter_value(self, key: str, value: Any, data: dict[Any, Any]) -> None:
        line = self.lines.get(f"front_matter.{key}", 1)
        name = key
        if key in _ALIASES and _ALIASES[key] not in data:
            name = _ALIASES[key]
        if value is None or value == "":
            return
        try:
            if name in _STRING_FIELDS and not isinstance(value, dict | list):
                text = _one_line(str(value.isoformat() if isinstance(value, date) else value))
                if text:
                    self.fields[f"fm_{name}" if name == "summary" else name] = text
            elif name in _LIST_FIELDS and isinstance(value, list | str):
                items = value.split(",") if isinstance(value, str) else value
                self.fields[name] = [s for s in (_one_line(str(v)) for v in items if v is not None) if s]
            elif name in _TIME_FIELDS:
                self.fields[name] = self._fm_time(value)
            elif name == "due_date":
                self.fields[name] = self._fm_date(value)
            elif name == "private" and isinstance(value, bool | str | int):
                self.fields[name] = self._fm_bool(value)
            elif name == "extra" and isinstance(value, dict):
                self.fields["extra"].update(jsonable(value))
            elif name in (*_STRING_FIELDS, *_LIST_FIELDS, "private", "extra"):
                raise ValueError(f"{type(value).__name__} is not a valid value")
            else:
                self.fields["extra"][key] = jsonable(value)
        except ValueError as error:
            self.warn(line, f"front matter '{key}': {error}; kept in extra")
            self.fields["extra"][key] = jsonable(value)

    @staticmethod
    def _fm_time(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if isinstance(value, date):
            raise ValueError(f"{value.isoformat()} has no time of day")
        parsed = parse_time(str(value), UTC)
        if parsed.at is None:
            raise ValueError(f"time {str(value)!r} not understood")
        return parsed.at

    @staticmethod
    def _fm_date(value: Any) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"date {str(value)!r} not understood") from None

    @staticmethod
    def _fm_bool(value: bool | str | int) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"{value!r} is neither true nor false")

    # --- sections ----------------------------------------------------------------------------------

    def section(self, section: _Section) -> None:
        """Read one `#`/`##` section into the fields its heading names."""
        key = section_key(section.heading)
        if key not in ("timeline", "actions", "whys"):
            self.stated_moments(section.body, section.heading)
        if key is None:
            body = _text(section.body)
            self.append("sections", [SectionData(heading=section.heading, body=body, line=section.line)])
            return
        self.lines.setdefault(key, section.line)
        if key in TEXT_SECTIONS:
            body = _text(section.body)
            previous = self.fields.get(key)
            self.fields[key] = f"{previous}\n\n{body}" if previous and body else previous or body
            return
        blocks = read_blocks(section.body)
        self.definitions.extend(line for block in blocks if block.kind == "definition" for line in block.lines)
        if key == "timeline":
            self._timeline(section, blocks)
        elif key == "whys":
            self._whys(section, blocks)
        elif key == "actions":
            self._actions(blocks)
        elif key == "stats":
            self._stats(blocks)
        elif key == "factors":
            self.append("factors", [self._factor(line, text) for line, text in self._list_texts(blocks)])
        else:
            lessons = [LessonData(kind=key, text=text, line=line) for line, text in self._list_texts(blocks)]
            self.append("lessons", lessons)

    def _list_texts(self, blocks: list[Block]) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for block in blocks:
            if block.kind == "list":
                found.extend((item.line, flatten(item)) for item in block.items)
            elif block.kind == "paragraph":
                found.append((block.line, _one_line("\n".join(block.lines))))
            elif block.kind == "table":
                table = read_table(block)
                found.extend((line, " — ".join(cell for cell in cells if cell)) for line, cells in table.rows)
            elif block.kind == "fence":
                self.warn(block.line, "code block in a list section ignored")
        return [(line, text) for line, text in found if text]

    @staticmethod
    def _factor(line: int, text: str) -> FactorData:
        prefix = _CATEGORY_PREFIX.match(text)
        if prefix:
            return FactorData(text=(prefix.group(2) or "").strip(), category=prefix.group(1) or None, line=line)
        suffix = _CATEGORY_SUFFIX.match(text)
        if suffix and suffix.group(2).strip():
            return FactorData(text=suffix.group(1), category=suffix.group(2).strip(), line=line)
        return FactorData(text=text, line=line)

    def _timeline(self, section: _Section, blocks: list[Block]) -> None:
        tables = [block for block in blocks if block.kind == "table"]
        lists = [block for block in blocks if block.kind == "list"] if not tables else []
        spans = [(block.line, block.end) for block in (*tables, *lists)]
        spans += [(block.line, block.end) for block in blocks if block.kind == "definition"]
        note = _text(section.body, spans)
        previous = self.fields.get("timeline_note")
        self.fields["timeline_note"] = f"{previous}\n\n{note}" if previous and note else previous or note
        entries: list[TimelineEntry] = []
        for block in tables:
            entries.extend(self._timeline_table(block, note))
        for block in lists:
            zone = find_zone(note) or UTC
            for item in block.items:
                entries.append(self._timeline_item(item, zone, entries))
        self.append("timeline", entries)

    def _timeline_table(self, block: Block, note: str) -> list[TimelineEntry]:
        table = read_table(block)
        names: dict[str, int] = {}
        time_column = None
        for index, header in enumerate(table.header):
            label = re.sub(r"\s+in\s+.*$", "", header.strip().lower())
            if time_column is None and ("time" in label or "date" in label or label in ("when", "at")):
                time_column = index
            elif label in _TIMELINE_COLUMNS:
                names.setdefault(_TIMELINE_COLUMNS[label], index)
        time_column = 0 if time_column is None else time_column
        if "text" not in names:
            names["text"] = next((i for i in range(len(table.header)) if i != time_column), 1)
        header_zone = find_zone(table.header[time_column]) if table.header else None
        zone = header_zone or find_zone(note) or UTC
        entries: list[TimelineEntry] = []
        for line, cells in table.rows:

            def cell(index: int | None, cells: list[str] = cells) -> str:
                return cells[index] if index is not None and index < len(cells) else ""

            values = {name: cell(index) or None for name, index in names.items()}
            previous = next((entry.at for entry in reversed(entries) if entry.at), None)
            at, time_text, moment, canonical = self._time_cell(cell(time_column), zone, previous, line)
            text = values.pop("text") or ""
            if moment is None and not canonical:
                found = _TEXT_MOMENT.match(text)
                moment = _MOMENT_WORDS[found.group(1).lower()] if found else None
            entry = TimelineEntry(
                at=at,
                time_text=time_text,
                text=text,
                key_moment=moment,
                line=line,
                source=values.pop("source", None) or "manual",
                kind=values.pop("kind", None) or "note",
                **values,
            )
            entries.append(entry)
        return entries

    def _time_cell(
        self, cell: str, zone: tzinfo, previous: datetime | None, line: int
    ) -> tuple[datetime | None, str | None, str | None, bool]:
        moment = None
        mark = _KEY_MARK.search(cell)
        if mark:
            moment, cell = mark.group(1), cell[: mark.start()]
        if not cell:
            return None, None, moment, True
        canonical = _CANONICAL_TIME.match(cell)
        if canonical:
            with contextlib.suppress(ValueError):  # a day that does not exist is reported below
                return datetime.fromisoformat(canonical.group(1)), canonical.group(2), moment, True
        parsed = parse_time(cell, zone, previous)
        if parsed.problem:
            self.warn(line, f"timeline {parsed.problem}; kept with no time")
            return None, cell, moment, False
        return parsed.at, cell if parsed.keep_text else None, moment, False

    def _timeline_item(self, item: Item, zone: tzinfo, entries: list[TimelineEntry]) -> TimelineEntry:
        text = flatten(item)
        found = re.match(r"^\*\*(.+?)\*\*\s*[-–—:|]?\s*(.*)$", text) or re.match(
            r"^(.+?)(?:\s+[-–—|]\s+|:\s+)(.*)$", text
        )
        previous = next((entry.at for entry in reversed(entries) if entry.at), None)
        if found:
            parsed = parse_time(found.group(1), zone, previous)
            if parsed.at is not None:
                time_text = found.group(1) if parsed.keep_text else None
                return TimelineEntry(at=parsed.at, time_text=time_text, text=found.group(2), line=item.line)
        self.warn(item.line, f"timeline item {text[:40]!r} has no time that could be understood; kept with no time")
        return TimelineEntry(text=text, line=item.line)

    def _whys(self, section: _Section, blocks: list[Block]) -> None:
        lists = [block for block in blocks if block.kind == "list"]
        mermaid = [block for block in blocks if block.kind == "fence" and block.info.lower() == "mermaid"]
        spans = [(block.line, block.end) for block in (*lists, *mermaid)]
        spans += [(block.line, block.end) for block in blocks if block.kind == "definition"]
        statement = _text(section.body, spans)
        previous = self.fields.get("problem_statement")
        self.fields["problem_statement"] = (
            f"{previous}\n\n{statement}" if previous and statement else previous or statement
        )
        for block in lists:
            items = block.items
            if len(items) > 1 and all(item.ordered and not item.children for item in items):
                # a numbered list of whys is a chain: each answer is asked "why?" in turn
                for parent, child in itertools.pairwise(items):
                    parent.children.append(child)
                items = items[:1]
                chain = [self._why(item, chain_tail=True) for item in items]
                self.append("whys", chain)
            else:
                self.append("whys", [self._why(item) for item in items])

    def _why(self, item: Item, *, chain_tail: bool = False) -> WhyNodeData:
        marked = _ROOT_CAUSE.match(item.text)
        text = item.text[marked.end() :] if marked else item.text
        children = [self._why(child, chain_tail=chain_tail) for child in item.children]
        root = bool(marked) or (chain_tail and not children)
        return WhyNodeData(text=text.strip(), root_cause=root, children=children, line=item.line)

    def _actions(self, blocks: list[Block]) -> None:
        actions: list[ActionItemData] = []
        for block in blocks:
            if block.kind == "table":
                actions.extend(self._action_table(block))
            elif block.kind in ("list", "paragraph"):
                actions.extend(self._action_text(line, text) for line, text in self._list_texts([block]))
            elif block.kind == "fence":
                self.warn(block.line, "code block in the action items ignored")
        self.append("actions", actions)

    def _action_table(self, block: Block) -> list[ActionItemData]:
        table = read_table(block)
        names: dict[str, int] = {}
        for index, header in enumerate(table.header):
            name = _ACTION_COLUMNS.get(header.strip().lower())
            if name:
                names.setdefault(name, index)
        names.setdefault("title", 0)
        actions = []
        for line, cells in table.rows:
            values = {name: cells[i] if i < len(cells) else "" for name, i in names.items()}
            due = None
            if values.get("due"):
                try:
                    due = date.fromisoformat(values["due"])
                except ValueError:
                    self.warn(line, f"action item due date {values['due']!r} not understood; left empty")
            actions.append(
                ActionItemData(
                    title=values["title"],
                    type=values.get("type") or None,
                    owner=values.get("owner") or None,
                    due=due,
                    priority=values.get("priority") or None,
                    status=self._action_status(values.get("status") or "", line),
                    tracker=values.get("tracker") or None,
                    addresses=values.get("addresses") or None,
                    line=line,
                )
            )
        return actions

    def _action_status(self, text: str, line: int) -> str:
        """An action item's stated status in this tool's words ("Closed" → done); one not understood stays open."""
        word = re.sub(r"\s+", " ", re.sub(r"[*_`~]", "", text)).strip().lower()
        if not word:
            return "open"
        status = _ACTION_STATUS_WORDS.get(word)
        if status is None:
            self.warn(line, f"action item status {text.strip()!r} not understood; kept open")
            return "open"
        return status

    @staticmethod
    def _action_text(line: int, text: str) -> ActionItemData:
        status = "open"
        box = _CHECKBOX.match(text)
        if box:
            status = "open" if box.group(1) == " " else "done"
            text = text[box.end() :]
        return ActionItemData(title=text, status=status, line=line)

    def _stats(self, blocks: list[Block]) -> None:
        stats = self.fields["extra"].get("stats")
        if not isinstance(stats, dict):
            stats = self.fields["extra"]["stats"] = {}
        for line, text in self._list_texts([block for block in blocks if block.kind != "table"]):
            found = _STAT.match(text)
            if not found:
                self.warn(line, f"stats line {text[:40]!r} not understood; kept in notes")
                stats.setdefault("notes", []).append(text)
                continue
            label = re.sub(r"\s+", " ", found.group(1).strip().lower())
            value = found.group(2).strip()
            if label in ("category", "categories"):
                stats["category"] = value
                if value and value not in self.fields.setdefault("categories", []):
                    self.fields["categories"].append(value)
            elif label in _STAT_KEYS:
                seconds, understood = parse_duration(value)
                stats[_STAT_KEYS[label]] = seconds
                if not understood:
                    self.warn(line, f"{found.group(1).strip()} {value!r} not understood; kept as text")
                    stats[_STAT_KEYS[label].removesuffix("_s") + "_text"] = value
            else:
                stats[re.sub(r"\W+", "_", label).strip("_") or "note"] = value

    # --- key moments --------------------------------------------------------------------------------

    def stated_moments(self, body: list[tuple[int, str]], heading: str = "") -> None:
        """Collect the moments lines state ("Start time: 2021-03-04 10:12 UTC"), and label/time pairs of table
        cells; under a "Key events" / "Incident timing" heading (or ### heading) a time not understood is a warning."""
        block = bool(_KEY_EVENT_HEADINGS.match(_heading_name(heading)))
        zone = (find_zone(heading) or find_zone("\n".join(text for _, text in body)) or UTC) if block else UTC
        for no, raw in body:
            text = raw.strip()
            if text.startswith("#"):
                block = bool(_KEY_EVENT_HEADINGS.match(_heading_name(text.lstrip("#"))))
                continue
            if text.startswith("|"):
                cells = [re.sub(r"[*_`]", "", cell).strip() for cell in text.strip("|").split("|")]
                pairs = [(cells[i], cells[i + 1]) for i in range(len(cells) - 1)]
            else:
                found = _STATED_LINE.match(re.sub(r"^[-*+]\s+", "", text.replace("**", "").replace("__", "")))
                pairs = [(found.group(1), found.group(2))] if found else []
            for label, value in pairs:
                moment = _STATED_LABELS.get(re.sub(r"\s+", " ", label.strip().lower()))
                if moment is None or not value.strip() or moment in self.stated:
                    continue
                parsed = parse_time(value.strip().rstrip("."), zone)
                if parsed.at is not None:
                    self.stated[moment] = (parsed.at, no, label.strip())
                elif block:
                    self.warn(no, f"key moment '{label.strip()}': {parsed.problem}; ignored")

    def settle_moments(self, timeline: list[TimelineEntry]) -> None:
        """Fill the key moments the front matter leaves open from what else the document says, in this order: a
        stated line, a marked timeline row (left to the timeline), the Stats block's durations from the start, the
        first and last timed timeline rows (start and resolve), the date in the title or file name (start, midnight
        UTC). Each source is noted; a moment nothing states stays empty. A document in this tool's format (front
        matter with `kind`) is read exactly: its moments are the front matter's and the marked rows'."""
        fields = self.fields
        known: dict[str, datetime] = {}
        for moment in KEY_MOMENTS:
            name = f"{moment}_at"
            if fields.get(name) is not None:
                known[moment] = fields[name]
                line = self.lines.get(f"front_matter.{name}") or self.lines.get(
                    f"front_matter.{_FM_KEY_OF.get(name, name)}", 1
                )
                self.note(line, f"{name} from the front matter")
            elif moment in self.stated and not self.exact:
                at, line, label = self.stated[moment]
                known[moment] = fields[name] = at
                self.note(line, f"{name} from '{label}'")
        for entry in sorted((e for e in timeline if e.at and e.key_moment in KEY_MOMENTS), key=_at):
            moment = str(entry.key_moment)
            if moment not in known and entry.at is not None:
                known[moment] = entry.at
                self.note(entry.line or 1, f"{moment}_at from the timeline row marked {moment}")
        if self.exact:
            return
        timed = sorted((e for e in timeline if e.at is not None), key=_at)
        if "started" not in known and timed:
            known["started"] = fields["started_at"] = _at(timed[0])
            self.note(timed[0].line or 1, "started_at from the timeline's first timed row")
        self._stats_moments(known)
        if "resolved" not in known and len(timed) > 1 and _at(timed[-1]) > known.get("started", _at(timed[0])):
            known["resolved"] = fields["resolved_at"] = _at(timed[-1])
            self.note(timed[-1].line or 1, "resolved_at from the timeline's last timed row")
        if "started" not in known:
            self._title_date()

    def _stats_moments(self, known: dict[str, datetime]) -> None:
        stats = self.fields["extra"].get("stats")
        if not isinstance(stats, dict) or "started" not in known:
            return
        line = self.lines.get("stats", 1)
        for moment, key, base in (
            ("detected", "time_to_detect_s", "started"),
            ("acknowledged", "time_to_acknowledge_s", "detected"),
            ("mitigated", "time_to_mitigate_s", "started"),
            ("resolved", "time_to_recover_s", "started"),
        ):
            seconds = stats.get(key)
            if moment in known or base not in known or not isinstance(seconds, int | float) or seconds < 0:
                continue
            known[moment] = self.fields[f"{moment}_at"] = known[base] + timedelta(seconds=seconds)
            label = key.removesuffix("_s").replace("_", " ")
            self.note(line, f"{moment}_at from the Stats block ({label}, from {base}_at)")

    def _title_date(self) -> None:
        sources = [(str(self.fields.get("title") or ""), self.lines.get("title", 1), "title")]
        if self.path != "<text>":
            sources.append((Path(self.path).stem, 1, "file name"))
        # The opening of the summary ("On 2023-07-20 between 12:17 and 12:30 UTC, …"): its first sentence only.
        summary = str(self.fields.get("summary") or "")
        opening = re.split(r"(?<=[.!?])\s", summary.strip(), maxsplit=1)[0][:300]
        sources.append((opening, self.lines.get("summary", 1), "summary"))
        for text, line, where in sources:
            for pattern, (y, m, d) in _TITLE_DATES:
                for found in pattern.finditer(text):
                    month = found.group(m)
                    with contextlib.suppress(ValueError):
                        day = date(
                            int(found.group(y)),
                            int(month) if month.isdigit() else _MONTHS[month.lower()],
                            int(found.group(d)) if d else 1,
                        )
                        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
                        self.fields["started_at"] = at
                        precision = "no time of day" if d else "month only: its first day"
                        self.note(line, f"started_at from the date in the {where} ({day.isoformat()}, {precision})")
                        return

    # --- the whole document ------------------------------------------------------------------------

    def finish(self, title: tuple[int, str] | None, preamble: list[tuple[int, str]]) -> None:
        """Settle the title, summary, preamble, link definitions and external reference."""
        fields, extra = self.fields, self.fields["extra"]
        fm_summary = fields.pop("fm_summary", None)
        if fm_summary:
            if fields.get("summary"):
                extra["summary"] = fm_summary
            else:
                fields["summary"] = fm_summary
        text = _text(preamble)
        if text:
            if fields.get("summary"):
                first = SectionData(heading="Description", body=text, line=preamble[0][0])
                fields["sections"] = [first, *fields.get("sections", [])]
            else:
                fields["summary"] = text
                self.lines.setdefault("summary", preamble[0][0])
        if self.definitions:
            joined = "\n".join(self.definitions)
            info = fields.get("supporting_info")
            fields["supporting_info"] = f"{info}\n\n{joined}" if info else joined
        if title is not None:
            self.lines.setdefault("title", title[0])
            fields.setdefault("title", title[1])
        elif "title" in fields:
            self.lines.setdefault("title", self.lines.get("front_matter.title", 1))
        if not fields.get("title"):
            company, product = (_one_line(str(extra.get(key) or "")) for key in ("company", "product"))
            if company and product.lower().startswith(company.lower()):
                company = ""
            named = f"{company} {product}".strip()
            fields["title"] = named or (Path(self.path).stem if self.path != "<text>" else "Untitled")
        if not fields.get("external_ref") and not self.has_front_matter and self.path != "<text>":
            name = Path(self.path).name
            stem = re.sub(r"\.(md|markdown|mdown|txt)$", "", name, flags=re.IGNORECASE)
            found = _EXTERNAL_ID.match(stem)
            fields["external_ref"] = found.group(1) if found else stem
        self.settle_moments(list(fields.get("timeline", [])))


_FM_KEY_OF = {name: key for key, name in _ALIASES.items() if name.endswith("_at")}


def _at(entry: TimelineEntry) -> datetime:
    assert entry.at is not None
    return entry.at


def _heading_name(heading: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*_:]", "", heading)).strip()


def _bad_yaml_value(line: str) -> bool:
    """Whether one `key: value` line of front matter fails on its own with a bad value (a date that does not exist)."""
    if not _KEY_LINE.match(line):
        return False
    try:
        yaml.load(line, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except ValueError:
        return True
    except yaml.YAMLError:
        return False
    return False


def _split_sections(
    lines: list[str], start: int
) -> tuple[tuple[int, str] | None, list[tuple[int, str]], list[_Section]]:
    title: tuple[int, str] | None = None
    preamble: list[tuple[int, str]] = []
    sections: list[_Section] = []
    for line in scan(lines, start):
        heading = line.heading
        if heading is not None and heading.level <= 2:
            # `## Timeline <!-- afteraction: ignore … -->` is still the Timeline section: the scanner drops comments
            if heading.level == 1 and title is None and not sections:
                title = (line.no, heading.text)
                continue
            sections.append(_Section(heading.text, line.no))
            continue
        (sections[-1].body if sections else preamble).append((line.no, line.text))
    return title, preamble, sections


def parse_markdown(text: str, *, path: str = "<text>", mapping: ImportMapping | None = None) -> PostmortemDocument:
    """Read a post-mortem from Markdown: the afteraction format exactly, other teams' documents leniently (with a
    company's `mapping` of its template, when given)."""
    lines = split_lines(text)
    reader = _Reader(path, mapping)
    start = reader.front_matter(lines)
    title, preamble, sections = _split_sections(lines, start)
    reader.stated_moments(preamble)
    for section in sections:
        reader.section(section)
    reader.finish(title, preamble)
    return PostmortemDocument(
        **reader.fields, path=path, section_lines=reader.lines, warnings=reader.warnings, notes=reader.notes
    )


def default_json_depth() -> int:
    """The default of AFTERACTION_JSON_MAX_DEPTH (from the Settings class, never the environment)."""
    value = Settings.model_fields["json_max_depth"].default
    assert isinstance(value, int)
    return value


def _too_deep(refused: InvalidInput, path: str, max_depth: int) -> bool:
    return refused.message == safejson.too_deep(path, max_depth).message


def load_json(text: str, *, path: str, max_depth: int) -> Any:
    """JSON text by the one rule (core/safejson: a depth limit, no lone surrogates, NULs removed); a fault is one line
    naming the file and line, and JSON nested deeper than `max_depth` names AFTERACTION_JSON_MAX_DEPTH."""
    try:
        return safejson.loads(text, max_depth=max_depth, source=path)
    except InvalidInput as refused:
        if _too_deep(refused, path, max_depth):
            raise
        try:
            json.loads(text)  # only for the line of the fault, which orjson does not name as plainly
        except json.JSONDecodeError as error:
            raise InvalidInput(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
        except RecursionError:
            raise safejson.too_deep(path, max_depth) from None
        raise  # JSON to the standard parser, but not by the rule (a lone surrogate, NaN)


def parse_json(text: str, *, path: str = "<text>", max_depth: int | None = None) -> PostmortemDocument:
    """Read a post-mortem from the JSON that `export --format json` writes, nested at most `max_depth` deep
    (default: AFTERACTION_JSON_MAX_DEPTH's default)."""
    return _from_json(load_json(text, path=path, max_depth=max_depth or default_json_depth()), path)


def _from_json(data: Any, path: str) -> PostmortemDocument:
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a JSON object, as `afteraction export --format json` writes")
    try:
        return PostmortemDocument.model_validate({**data, "path": path})
    except ValidationError as error:
        first = error.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"]) or "document"
        raise InvalidInput(f"{path}: field {field_name}: {first['msg']}") from error


def read_text(path: Path) -> str:
    """A document file's text: UTF-8 with or without a byte-order mark, NUL characters removed (no database can
    store them, and no document means them), one clear line when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"{path}: cannot be read: {error.strerror or error}") from error
    try:
        return data.replace(b"\x00", b"").decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidInput(f"{path}: not UTF-8 text (invalid byte at line {line})") from error


def parse_file(path: Path, *, max_depth: int | None = None, mapping: ImportMapping | None = None) -> PostmortemDocument:
    """Read a post-mortem file (whatever its name ends with), UTF-8 with or without a byte-order mark.

    A `.json` file, or any file that holds one JSON object, is read as `export --format json` wrote it, nested at most
    `max_depth` deep (default: AFTERACTION_JSON_MAX_DEPTH's default).
    """
    depth = max_depth or default_json_depth()
    text = read_text(path)
    if not text.strip():
        raise InvalidInput(f"{path}: empty file: no post-mortem in it")
    if path.suffix.lower() == ".json":
        return parse_json(text, path=str(path), max_depth=depth)
    if text.lstrip().startswith("{"):
        try:
            data = safejson.loads(text, max_depth=depth, source=str(path))
        except InvalidInput as refused:
            if _too_deep(refused, str(path), depth):
                raise
            data = None  # not JSON: Markdown that starts with a brace
        if isinstance(data, dict):
            return _from_json(data, str(path))
    return parse_markdown(text, path=str(path), mapping=mapping)
