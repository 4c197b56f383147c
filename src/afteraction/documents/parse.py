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
import tomllib
from collections.abc import Callable
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
    MONTH_NUMBERS,
    Block,
    Item,
    ParsedTime,
    find_zone,
    flatten,
    jsonable,
    parse_duration,
    parse_time,
    read_blocks,
    read_table,
    split_time,
    stated_zone,
    zone_named,
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
from afteraction.domain.vocabulary import STATUS_WORDS, TYPE_WORDS

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
    "summary": (
        "summary",
        "executive summary",
        "incident summary",
        "issue summary",
        "overview",
        "tl;dr",
        "tldr",
    ),
    "impact": ("impact", "customer impact", "user impact", "business impact", "summary of impact"),
    "trigger": ("trigger", "triggers"),
    "detection": ("detection", "how was it detected"),
    "resolution": (
        "resolution",
        "recovery",
        "mitigation",
        "resolution and recovery",
        "mitigation and resolution",
    ),
    "timeline": ("timeline", "incident timeline", "chronology", "sequence of events", "timeline of events"),
    "whys": ("five whys", "5 whys", "the five whys"),
    "factors": (
        "contributing factors",
        "root causes",
        "root cause",
        "root cause analysis",
        "causes",
        "contributing causes",
    ),
    "went-well": ("what went well", "things that went well", "went well"),
    "went-wrong": (
        "what went wrong",
        "things that went wrong",
        "what didn't go well",
        "what did not go well",
        "what went poorly",
        "what went badly",
        "what could have gone better",
        "things that could have gone better",
    ),
    "lucky": ("where we got lucky", "where we were lucky", "what was lucky", "where did we get lucky"),
    "learned": ("lessons learned", "lessons learnt", "lessons", "learnings", "key takeaways", "takeaways"),
    "actions": (
        "action items",
        "actions",
        "follow-ups",
        "follow ups",
        "followups",
        "follow-up actions",
        "follow up actions",
        "action items and follow-ups",
        "action items and followups",
        "next steps",
        "remediation",
        "remediations",
        "remediation items",
        "corrective actions",
        "corrective and preventative measures",
        "corrective and preventive measures",
        "recommendations",
        "review actions",
    ),
    "supporting_info": (
        "supporting information",
        "supporting info",
        "supporting documents",
        "references",
        "related links",
    ),
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
ACTION_NOTES = "Notes on the action items"  # the custom section that keeps prose written among action items

_STRING_FIELDS = (
    "id", "title", "kind", "severity", "status", "incident_status", "external_ref", "summary", "amended_by",
)  # fmt: skip
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
    "first detected": "detected",
    "incident declared": "acknowledged",
    "declared": "acknowledged",
    "repaired": "mitigated",
    "start of incident": "started",
    "outage begins": "started",
    "outage began": "started",
    "outage start": "started",
    "outage ends": "resolved",
    "outage ended": "resolved",
    "outage end": "resolved",
    "ends": "resolved",
    "start date/time": "started",
    "end date/time": "resolved",
}
# A label and a time with no colon between ("Resolved 2023-09-20 19:18", "First detected at 2023-09-18 13:42").
_STATED_WORDS = re.compile(
    r"^(" + "|".join(sorted((re.escape(label) for label in _STATED_LABELS), key=len, reverse=True)) + r")"
    r"\s+(?:at\s+|on\s+)?(\d{4}-\d\d-\d\d.*)$",
    re.IGNORECASE,
)
_ACTION_FIELDS = ("title", "type", "owner", "due", "priority", "status", "tracker", "addresses")
_GROUP_TYPE = re.compile(
    r"\b(process|prevent|prevention|preventive|preventative|mitigate|mitigation|detect|detection|repair|repairs|"
    r"learn|learning)\b",
    re.IGNORECASE,
)
# "**DONE**", "(DONE)", "[done]", "DONE:" at the start or end of an item.
_DONE_MARK = re.compile(
    r"(?:^(?:\*\*|__)?[(\[]?(?:DONE|Done|done)[)\]]?(?:\*\*|__)?\s*[:–—-]?\s+"
    r"|\s*(?:\*\*|__)?[(\[](?:DONE|Done|done)[)\]](?:\*\*|__)?\.?$"
    r"|\s*(?:\*\*|__)(?:DONE|Done|done)(?:\*\*|__)\.?$)"
)
_TRACKER_REFS = (
    re.compile(r"https?://[^\s)>\]]+/(?:issues|pull|pulls|merge_requests|browse)/[\w-]+"),
    re.compile(r"(?<![\w/-])([A-Z][A-Z0-9]+-\d+)\b"),
    re.compile(r"(?<![\w&/])(#\d+)\b"),
)
# A timeline row that says which moment it is, in words of its own.
_SAID_MOMENT = re.compile(
    r"(?:^|\*\*|\()(outage begins|outage began|outage ends|outage ended|start of incident|incident declared)\b",
    re.IGNORECASE,
)
# What a metadata line, table cell or short section names ("Date:", "Authors:", "Status:", "Severity:").
_META_HEADINGS = {
    "date": "date",
    "incident date": "date",
    "postmortem date": "postmortem_date",
    "authors": "authors",
    "author": "authors",
    "status": "status",
    "report status": "status",
    "severity": "severity",
    "incident severity": "severity",
    "start date/time": "started",
    "start date": "started",
    "start time": "started",
    "end date/time": "resolved",
    "end date": "resolved",
    "end time": "resolved",
}
_REVIEW_STATUS_WORDS = {
    "draft": "draft",
    "in progress": "draft",
    "wip": "draft",
    "in review": "in-review",
    "in-review": "in-review",
    "under review": "in-review",
    "reviewed": "approved",
    "approved": "approved",
    "final": "published",
    "complete": "published",
    "completed": "published",
    "published": "published",
    "closed": "closed",
}
_KEY_EVENT_HEADINGS = re.compile(
    r"^(key events|key moments|key times|incident timing|timing|start\s*(/|and|&)\s*end times?)$", re.IGNORECASE
)
_STATED_LINE = re.compile(r"^([A-Za-z][A-Za-z ]{1,30}?)\s*(?:\([^)]*\))?\s*:\s*(.+)$")
_MONTH = "(" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_TITLE_DATES = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), (1, 2, 3)),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE), (3, 1, 2)),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE), (3, 2, 1)),
    # A month and year alone ("outage of October 2021"): the first of the month, enough to count it by month.
    (re.compile(rf"\b{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE), (2, 1, 0)),
)
# The action statuses of domain.vocabulary, and the marks a checklist column uses for done.
_ACTION_STATUS_WORDS = {**STATUS_WORDS, "✅": "done", "✔": "done", "x": "done"}
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
    name = re.sub(r"\s*\([^)]*\)\s*$", "", heading.strip().lower()).rstrip(":?").strip()
    name = re.sub(r"\s+", " ", name.replace("*", "").replace("_", "").replace("&", "and"))
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
        self.stated_date: tuple[date, int, str] | None = None  # a "Date:" with no time of day

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(path=self.path, line=line, message=message))

    def note(self, line: int, message: str) -> None:
        """Record where a key moment came from (shown by `import --json`, not a problem)."""
        self.notes.append(ParseWarning(path=self.path, line=line, message=message))

    def append(self, name: str, values: list[Any]) -> None:
        self.fields.setdefault(name, []).extend(values)

    # --- front matter ------------------------------------------------------------------------------

    def front_matter(self, lines: list[str]) -> int:
        """Read the YAML (`---`) or TOML (`+++`, as Hugo writes) front matter, if any; return the index of the first
        body line."""
        if lines and lines[0].strip() == "+++":
            return self._toml_front_matter(lines)
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

    def _toml_front_matter(self, lines: list[str]) -> int:
        end = next((index for index in range(1, len(lines)) if lines[index].strip() == "+++"), None)
        if end is None:
            raise InvalidInput(f"{self.path}:1: front matter opened on line 1 is never closed with '+++'")
        try:
            data = tomllib.loads("\n".join(lines[1:end]))
        except tomllib.TOMLDecodeError as error:
            found = re.search(r"\(at line (\d+)", str(error))
            line = int(found.group(1)) + 1 if found else end  # "at end of document": its last line
            reason = re.sub(r"\s*\(at .*\)\s*$", "", str(error).splitlines()[0] if str(error) else "cannot be parsed")
            raise InvalidInput(f"{self.path}:{line}: malformed TOML front matter: {reason}") from None
        self.has_front_matter = True
        self.lines["front_matter"] = 1
        for offset, text in enumerate(lines[1:end], start=2):
            named = re.match(r"^\s*([A-Za-z_][\w-]*)\s*=", text)
            if named:
                self.lines.setdefault(f"front_matter.{named.group(1)}", offset)
        self.exact = "kind" in data
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
            elif name in (*_TIME_FIELDS, "amended_at"):
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

    def key_of(self, heading: str) -> str | None:
        """The section key a heading names: the mapping's (`custom:Name` or a key; `ignore` for boilerplate), else
        the synonyms table's; None for a section kept verbatim under its own heading."""
        if self.mapping.ignores_heading(heading):
            return "ignore"
        key = self.mapping.section_for(heading) or section_key(heading)
        return "meta" if key is None and _heading_name(heading).lower() in _META_HEADINGS else key

    def section(self, section: _Section) -> None:
        """Read one section into the fields its heading names; a heading that names none is kept verbatim."""
        key = self.key_of(section.heading)
        if key == "ignore":
            self.note(section.line, f"section {section.heading!r} ignored as template boilerplate (mapping)")
            return
        heading = section.heading
        if key is not None and key.startswith("custom:"):
            heading, key = key.removeprefix("custom:").strip() or heading, None
        elif key is not None and key not in (*SECTION_KEYS.values(), "meta"):
            self.warn(section.line, f"mapping names section {key!r} for {heading!r}, which is none; kept as written")
            key = None
        if key not in _CONTAINERS:
            top = not any(name in self.lines for name in _SYNONYMS)  # no known section read yet: the top of it
            self.stated_moments(section.body, section.heading, meta=key in ("summary", "meta") or (key is None and top))
        if key == "meta":
            key = None
            if self._metadata_section(section):
                return
        if key is None:
            body = _text(section.body)
            self.append("sections", [SectionData(heading=heading, body=body, line=section.line)])
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
            self._factors(section, blocks)
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

    def _factors(self, section: _Section, blocks: list[Block]) -> None:
        """Listed causes are factors; prose stays prose, in a section under the heading as written ("Root Cause")."""
        lists = [block for block in blocks if block.kind in ("list", "table")]
        self.append("factors", [self._factor(line, text) for line, text in self._list_texts(lists)])
        prose = _text(section.body, [(block.line, block.end) for block in (*lists, *self._definitions(blocks))])
        if prose:
            self.append("sections", [SectionData(heading=section.heading, body=prose, line=section.line)])

    @staticmethod
    def _definitions(blocks: list[Block]) -> list[Block]:
        return [block for block in blocks if block.kind == "definition"]

    def _metadata_section(self, section: _Section) -> bool:
        """A short section that holds one field ("### Date", "### Authors", "### Start Date/Time"): read into it."""
        field_name = _META_HEADINGS.get(_heading_name(section.heading).lower())
        text = _text(section.body)
        if field_name is None or not text or "\n" in text or len(text) > 200:
            return False
        return self.metadata(field_name, text, section.line, section.heading)

    @staticmethod
    def _factor(line: int, text: str) -> FactorData:
        prefix = _CATEGORY_PREFIX.match(text)
        if prefix:
            return FactorData(text=(prefix.group(2) or "").strip(), category=prefix.group(1) or None, line=line)
        suffix = _CATEGORY_SUFFIX.match(text)
        if suffix and suffix.group(2).strip():
            return FactorData(text=suffix.group(1), category=suffix.group(2).strip(), line=line)
        return FactorData(text=text, line=line)

    # The zone and date the whole document states, for its timeline (set by `timeline_context`).
    _doc_zone: tzinfo | None = None
    _doc_day: date | None = None
    _utc_warned: bool = False

    def timeline_context(self, lines: list[str]) -> None:
        """Note what the whole document says that its timeline needs: the zone it states its times in ("All times in
        PDT (UTC-7)", anywhere in it), and its date (in the `# title` or else the file name) for times of day that no
        date line, date heading or date cell above gives a day."""
        self._doc_zone = stated_zone("\n".join(lines))
        title = next((text for text in lines if text.startswith("# ")), "")
        for text in (title, Path(self.path).stem if self.path != "<text>" else ""):
            day = _day_in(text)
            if day is not None:
                self._doc_day = day
                return

    def _timeline_zone(self, heading: str, blocks: list[Block]) -> tzinfo | None:
        """The zone of the timeline's times written without one: stated in the section (its heading or a note before
        the first event), anywhere in the document, in the front matter (`timezone:`), or by the mapping (`--tz`).
        None when nothing states one: the times are then read as UTC, with a warning."""
        prose = [block for block in blocks if block.kind == "paragraph"]
        before = "\n".join(line for block in prose[:2] for line in block.lines)
        found = stated_zone("\n".join([heading, *(line for block in prose for line in block.lines)]))
        found = found or find_zone(f"{heading}\n{before}") or self._doc_zone
        if found is not None:
            return found
        for block in blocks:  # "### 2017-11-30 16:22 PST", then "### 17:07": the zone the times name themselves
            if block.kind in ("heading", "list", "table"):
                for line in block.lines:
                    said = _TIME_AND_ZONE.search(line.lstrip("#|-*+ [")[:40])
                    if said and (own := zone_named(said.group(1))) is not None:
                        return own
        for key in ("timezone", "time_zone", "tz"):
            value = self.fields["extra"].get(key)
            if isinstance(value, str) and (named := zone_named(value)) is not None:
                return named
        return zone_named(self.mapping.zone) if self.mapping.zone else None

    def _assumed(self, parsed: ParsedTime, stated: bool, line: int) -> None:
        """Warn once per document when a time was read as UTC only because nothing stated a zone."""
        if parsed.at is not None and not parsed.zoned and not stated and not self._utc_warned:
            self._utc_warned = True
            self.warn(line, "timeline times read as UTC: the document states no time zone (state one, or use --tz)")

    def _timeline(self, section: _Section, blocks: list[Block]) -> None:
        stated = self._timeline_zone(section.heading, blocks)
        zone = stated or UTC
        dated = [block for block in blocks if block.kind == "heading" and self._heading_time(block, zone)[0]]
        if dated:
            entries, spans = self._timeline_headings(section, blocks, dated, zone, stated is not None)
        else:
            entries, spans = self._timeline_blocks(blocks, zone, stated is not None)
        spans += [(block.line, block.end) for block in blocks if block.kind == "definition"]
        note = _text(section.body, spans)
        previous = self.fields.get("timeline_note")
        self.fields["timeline_note"] = f"{previous}\n\n{note}" if previous and note else previous or note
        self.append("timeline", entries)

    def _heading_time(self, block: Block, zone: tzinfo) -> tuple[bool, str]:
        """Whether a `###` heading inside the timeline states a time or a date (`### 2018-03-26 10:34`, `### 13:35`)."""
        text = re.sub(r"^\s*#+\s*|\s+#+\s*$", "", block.lines[0]).replace("*", "").strip()
        parsed, _ = split_time(text, zone, datetime(2000, 1, 1, tzinfo=UTC))
        return parsed.at is not None or parsed.day is not None, text

    def _timeline_headings(
        self, section: _Section, blocks: list[Block], dated: list[Block], zone: tzinfo, stated: bool
    ) -> tuple[list[TimelineEntry], list[tuple[int, int]]]:
        """A timeline written as `### date time` (or `### time`) headings, each event in the text below it."""
        entries: list[TimelineEntry] = []
        spans: list[tuple[int, int]] = []
        day: date | None = None
        last = section.body[-1][0] if section.body else section.line
        for index, block in enumerate(dated):
            end = dated[index + 1].line - 1 if index + 1 < len(dated) else last
            _, heading = self._heading_time(block, zone)
            previous = next((entry.at for entry in reversed(entries) if entry.at), None)
            parsed, time_text, rest = self._event_time(heading, zone, previous, day)
            if parsed.day is not None:
                day = parsed.day
                inner = [other for other in blocks if block.line < other.line and other.end <= end]
                found, inner_spans = self._timeline_blocks(inner, zone, stated, [day])
                if found:  # `### 2023-07-20` above a list or table of times of day
                    entries.extend(found)
                    spans += [(block.line, block.line), *inner_spans]
                    continue
            body = _text([(no, text) for no, text in section.body if block.line < no <= end])
            spans.append((block.line, end))
            self._assumed(parsed, stated, block.line)
            text = "\n\n".join(part for part in (rest, body) if part)
            entries.append(self._event(parsed, time_text, text, block.line))
        return entries, spans

    def _timeline_blocks(
        self, blocks: list[Block], zone: tzinfo, stated: bool, day: list[date | None] | None = None
    ) -> tuple[list[TimelineEntry], list[tuple[int, int]]]:
        """A timeline of tables, lists or lines that start with a time, in order; a date on a line of its own
        ("2019-01-22", "2015-10-21 (*all times UTC*)") gives the day of the times of day below it."""
        tables = any(block.kind == "table" for block in blocks)
        entries: list[TimelineEntry] = []
        spans: list[tuple[int, int]] = []
        day = day or [None]
        for block in blocks:
            if block.kind == "table":
                entries.extend(self._timeline_table(block, zone, stated, day))
                spans.append((block.line, block.end))
            elif block.kind == "list" and not tables:
                for item in block.items:
                    entries.extend(self._timeline_items(item, zone, stated, day, entries))
                spans.append((block.line, block.end))
            elif block.kind == "paragraph":
                found, pure = _date_line(block.lines)
                if found is not None:
                    day[0] = found
                    if pure:
                        spans.append((block.line, block.end))
                elif not tables and self._timed_paragraph(block, zone, stated, day, entries):
                    spans.append((block.line, block.end))
        return entries, spans

    def _timed_paragraph(
        self, block: Block, zone: tzinfo, stated: bool, day: list[date | None], entries: list[TimelineEntry]
    ) -> bool:
        """Lines that start with a time, outside any list ("12:17 UTC – alert fires"): each such line is an event,
        the lines after it continue it. False (and nothing read) when the first line does not start with a time."""
        found: list[TimelineEntry] = []
        for offset, raw in enumerate(block.lines):
            previous = next((e.at for e in reversed([*entries, *found]) if e.at), None)
            parsed, time_text, rest = self._event_time(raw.strip(), zone, previous, day[0])
            if parsed.at is not None and rest:
                self._assumed(parsed, stated, block.line + offset)
                found.append(self._event(parsed, time_text, rest, block.line + offset))
            elif not found:
                return False
            else:
                found[-1].text = f"{found[-1].text} {raw.strip()}"
        entries.extend(found)
        return True

    def _timeline_items(
        self, item: Item, zone: tzinfo, stated: bool, day: list[date | None], entries: list[TimelineEntry]
    ) -> list[TimelineEntry]:
        """One list item as an event; an item that is only a date (`- 2023-07-20`) gives its nested items' day."""
        if item.children:
            parsed, rest = split_time(_plain(item.text), zone)
            if parsed.day is not None and not rest:
                day[0] = parsed.day
                found: list[TimelineEntry] = []
                for child in item.children:
                    found.extend(self._timeline_items(child, zone, stated, day, [*entries, *found]))
                return found
        return [self._timeline_item(item, zone, entries, stated=stated, day=day)]

    def _event_time(
        self, text: str, zone: tzinfo, previous: datetime | None, day: date | None
    ) -> tuple[ParsedTime, str, str]:
        """The time an event's line starts with (`[08:47]`, `12:17 UTC –`, `2023-09-18 13:42`, `2:54 PM PST:`) as
        read, as written, and the rest of the line; a time of day alone takes the day above it, or else the
        document's date (then its text is kept)."""
        plain = _plain(text)
        bracket = re.match(r"^\[([^\]]+)\]\s*[-–—:|]?\s*(.*)$", plain)
        if bracket:
            parsed, tail = split_time(bracket.group(1), zone, previous, day or self._doc_day)
            rest = f"{tail} {bracket.group(2)}".strip() if tail else bracket.group(2)
            time_text = bracket.group(1)[: len(bracket.group(1)) - len(tail)].strip() if tail else bracket.group(1)
        else:
            parsed, rest = split_time(plain, zone, previous, day or self._doc_day)
            time_text = plain[: len(plain) - len(rest)].strip(" -–—:|,") if rest else plain
        if parsed.at is not None and day is None and previous is None and self._doc_day is not None:
            parsed.keep_text = parsed.keep_text or not re.match(r"^\d{4}-", time_text)
        return parsed, time_text.strip(), rest

    @staticmethod
    def _event(parsed: ParsedTime, time_text: str, text: str, line: int) -> TimelineEntry:
        moment = None
        found = _TEXT_MOMENT.match(text)
        if found:
            moment = _MOMENT_WORDS[found.group(1).lower()]
        kept = time_text if parsed.keep_text or parsed.at is None else None
        return TimelineEntry(at=parsed.at, time_text=kept or None, text=text, key_moment=moment, line=line)

    def _timeline_table(
        self, block: Block, zone: tzinfo, stated: bool = True, day: list[date | None] | None = None
    ) -> list[TimelineEntry]:
        table = read_table(block)
        day = day if day is not None else [None]
        names: dict[str, int] = {}
        time_column = date_column = None
        for index, header in enumerate(table.header):
            label = re.sub(r"\s+in\s+.*$", "", header.strip().lower())
            if time_column is None and ("time" in label or "date" in label or label in ("when", "at")):
                time_column = index
            elif "time" in label and time_column is not None and "time" not in table.header[time_column].lower():
                date_column, time_column = time_column, index  # a "Date" column, then a "Time" column
            elif label in _TIMELINE_COLUMNS:
                names.setdefault(_TIMELINE_COLUMNS[label], index)
        time_column = 0 if time_column is None else time_column
        if "text" not in names:
            names["text"] = next((i for i in range(len(table.header)) if i not in (time_column, date_column)), 1)
        header_zone = find_zone(table.header[time_column]) if table.header else None
        zone, stated = header_zone or zone, stated or header_zone is not None
        entries: list[TimelineEntry] = []
        for line, cells in table.rows:

            def cell(index: int | None, cells: list[str] = cells) -> str:
                return cells[index] if index is not None and index < len(cells) else ""

            values = {name: cell(index) or None for name, index in names.items()}
            previous = next((entry.at for entry in reversed(entries) if entry.at), None)
            when = " ".join(part for part in (cell(date_column), cell(time_column)) if part)
            text = values.pop("text") or ""
            if not text and not any(values.values()) and split_time(_plain(when), zone)[0].day is not None:
                day[0] = split_time(_plain(when), zone)[0].day  # a row that only gives the date of the rows below
                continue
            at, time_text, moment, canonical = self._time_cell(when, zone, previous, line, day, stated)
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
        self,
        cell: str,
        zone: tzinfo,
        previous: datetime | None,
        line: int,
        day: list[date | None] | None = None,
        stated: bool = True,
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
        known = day[0] if day else None
        parsed = parse_time(_plain(cell), zone, previous, known or (None if previous else self._doc_day))
        if day is not None and parsed.day is not None:
            day[0] = parsed.day
        if parsed.problem:
            self.warn(line, f"timeline {parsed.problem}; kept with no time")
            return None, cell, moment, False
        self._assumed(parsed, stated, line)
        inferred = known is None and previous is None and not re.match(r"^\W*\d{4}-", cell)
        return parsed.at, cell if parsed.keep_text or inferred else None, moment, False

    def _timeline_item(
        self,
        item: Item,
        zone: tzinfo,
        entries: list[TimelineEntry],
        *,
        stated: bool = True,
        day: list[date | None] | None = None,
    ) -> TimelineEntry:
        text = flatten(item)
        day = day if day is not None else [None]
        previous = next((entry.at for entry in reversed(entries) if entry.at), None)
        bold = re.match(r"^\*\*(.+?)\*\*\s*[-–—:|]?\s*(.*)$", text)
        if bold:
            parsed = parse_time(bold.group(1), zone, previous, day[0])
            if parsed.at is not None:
                self._assumed(parsed, stated, item.line)
                time_text = bold.group(1) if parsed.keep_text else None
                return TimelineEntry(at=parsed.at, time_text=time_text, text=bold.group(2), line=item.line)
        parsed, time_text, rest = self._event_time(text, zone, previous, day[0])
        if parsed.at is None and parsed.day is None:
            found = re.match(r"^(.+?)(?:\s+[-–—|]\s+|:\s+)(.*)$", text)
            if found:
                parsed = parse_time(found.group(1), zone, previous, day[0])
                time_text, rest = found.group(1), found.group(2)
        if parsed.at is not None:
            self._assumed(parsed, stated, item.line)
            return self._event(parsed, time_text, rest, item.line)
        if parsed.day is not None:  # "- 2023-09-18: the day's summary" — a date without a time of day
            day[0] = parsed.day
            return TimelineEntry(time_text=time_text, text=rest or text, line=item.line)
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
        """Action items from tables, lists and paragraphs; a sub-heading groups the items below it (kept as their
        `Group` detail, and their type where it names one: "Process improvements" → process)."""
        actions: list[ActionItemData] = []
        group: str | None = None
        notes: list[Block] = []
        grouped = any(block.kind == "heading" for block in blocks)
        listed: set[str | None] = set()  # the groups that list or tabulate their items
        for block in blocks:
            if block.kind == "heading":
                group = _heading_name(block.lines[0].strip().lstrip("#")) or None
            elif block.kind in ("list", "table"):
                listed.add(group)
        group = None
        for block in blocks:
            if block.kind == "heading":
                group = _heading_name(block.lines[0].strip().lstrip("#")) or None
                continue
            kind: str | None = self.key_of(group) if group else None
            if kind in LIST_SECTIONS[1:]:  # "### What went wrong" among the action items: lessons of that kind
                self.append("lessons", [LessonData(kind=kind, text=t, line=n) for n, t in self._list_texts([block])])
                continue
            if block.kind == "paragraph" and (group in listed or (grouped and group is None)):
                notes.append(block)  # prose beside listed items, or before the first group, introduces them
                continue
            if block.kind == "table":
                found = self._action_table(block)
            elif block.kind in ("list", "paragraph"):
                found = [self._action_text(line, text) for line, text in self._list_texts([block])]
            else:
                if block.kind == "fence":
                    self.warn(block.line, "code block in the action items ignored")
                continue
            actions.extend(self._grouped(action, group) for action in found)
        self.append("actions", actions)
        if notes:
            body = "\n\n".join("\n".join(block.lines).strip() for block in notes)
            self.append("sections", [SectionData(heading=ACTION_NOTES, body=body, line=notes[0].line)])

    def _grouped(self, action: ActionItemData, group: str | None) -> ActionItemData:
        if group is None:
            return action
        named = self.mapping.value_for("type", group)
        if named is None:
            words = _GROUP_TYPE.search(group)
            named = TYPE_WORDS.get(words.group(1).lower()) if words else None
        update: dict[str, Any] = {"details": {"Group": group, **action.details}}
        if named and not action.type:
            update["type"] = named
        return action.model_copy(update=update)

    def _action_table(self, block: Block) -> list[ActionItemData]:
        """Rows of an action table; a column the reader has no field for is kept in the item's details by its
        heading, and a tracker reference in the row fills the tracker when no column names it."""
        table = read_table(block)
        names: dict[str, int] = {}
        details: dict[str, int] = {}
        for index, header in enumerate(table.header):
            label = header.strip()
            bare = re.sub(r"\s*\([^)]*\)\s*$", "", label).lower()
            name = self.mapping.column_for(label) or _ACTION_COLUMNS.get(label.lower()) or _ACTION_COLUMNS.get(bare)
            if name in _ACTION_FIELDS and name not in names:
                names[name] = index
            elif label:
                details.setdefault(label, index)
        if "title" not in names:
            names["title"] = 0
            details = {label: i for label, i in details.items() if i != 0}
        actions = []
        for line, cells in table.rows:
            values = {name: cells[i] if i < len(cells) else "" for name, i in names.items()}
            kept = {label: cells[i] for label, i in details.items() if i < len(cells) and cells[i]}
            due = None
            if values.get("due"):
                try:
                    due = date.fromisoformat(values["due"])
                except ValueError:
                    self.warn(line, f"action item due date {values['due']!r} not understood; kept in its details")
                    kept["Due (as written)"] = values["due"]
            tracker = values.get("tracker") or _tracker_ref(" ".join([values["title"], *kept.values()]))
            actions.append(
                ActionItemData(
                    title=values["title"],
                    type=self._mapped("type", values.get("type")),
                    owner=values.get("owner") or None,
                    due=due,
                    priority=self._mapped("priority", values.get("priority")),
                    status=self._action_status(values.get("status") or "", line),
                    tracker=tracker,
                    addresses=values.get("addresses") or None,
                    details=kept,
                    line=line,
                )
            )
        return actions

    def _mapped(self, name: str, written: str | None) -> str | None:
        """A written value as the mapping names it, else as written (the import checks and maps vocabularies)."""
        if not written or not written.strip():
            return None
        return self.mapping.value_for(name, written) or written.strip()

    def _action_status(self, text: str, line: int) -> str:
        """An action item's stated status in this tool's words ("Closed" → done); one not understood stays open."""
        word = re.sub(r"\s+", " ", re.sub(r"[*_`~]", "", text)).strip().lower()
        if not word:
            return "open"
        status = self.mapping.value_for("status", word) or _ACTION_STATUS_WORDS.get(word)
        if status is None:
            self.warn(line, f"action item status {text.strip()!r} not understood; kept open")
            return "open"
        return status

    @staticmethod
    def _action_text(line: int, text: str) -> ActionItemData:
        """A listed action item: `[x]` and a DONE mark (`**DONE**`, `(DONE)`, `DONE:`) make it done; a tracker
        reference in it (`#123`, `OPS-12`, an issue link) fills its tracker."""
        status = "open"
        box = _CHECKBOX.match(text)
        if box:
            status = "open" if box.group(1) == " " else "done"
            text = text[box.end() :]
        mark = _DONE_MARK.search(text)
        if mark:
            status = "done"
            text = (text[: mark.start()] + " " + text[mark.end() :]).strip()
        return ActionItemData(title=text, status=status, tracker=_tracker_ref(text), line=line)

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

    def stated_moments(self, body: list[tuple[int, str]], heading: str = "", *, meta: bool = False) -> None:
        """Collect the moments lines state ("Start time: 2021-03-04 10:12 UTC", "Resolved 2023-09-20 19:18"), and
        label/time pairs of table cells; under a "Key events" / "Incident timing" heading (or ### heading) a time not
        understood is a warning. With `meta` (the top of a document), "Date:", "Authors:", "Status:", "Severity:"
        lines and label/value cells of a metadata table fill those fields too."""
        block = bool(_KEY_EVENT_HEADINGS.match(_heading_name(heading)))
        stated = find_zone(heading) or find_zone("\n".join(text for _, text in body)) if block else None
        zone = stated or self._doc_zone or UTC  # the zone the document states for all its times, else UTC
        for no, raw in body:
            text = raw.strip()
            if text.startswith("#"):
                block = bool(_KEY_EVENT_HEADINGS.match(_heading_name(text.lstrip("#"))))
                continue
            if text.startswith("|"):
                cells = [re.sub(r"[*_`]", "", cell).strip() for cell in text.strip("|").split("|")]
                pairs = [(cells[i], cells[i + 1]) for i in range(len(cells) - 1)]
            else:
                plain = re.sub(r"^[-*+]\s+", "", text.replace("**", "").replace("__", ""))
                found = _STATED_LINE.match(plain) or _STATED_WORDS.match(plain)
                pairs = [(found.group(1), found.group(2))] if found else []
            for label, value in pairs:
                name = re.sub(r"\s+", " ", label.strip().lower())
                if meta and name in _META_HEADINGS and value.strip() and name not in _STATED_LABELS:
                    self.metadata(_META_HEADINGS[name], value.strip(), no, label.strip())
                    continue
                moment = _STATED_LABELS.get(name)
                if moment is None or not value.strip() or moment in self.stated:
                    continue
                parsed = parse_time(value.strip().rstrip("."), zone)
                if parsed.at is not None:
                    self.stated[moment] = (parsed.at, no, label.strip())
                elif block:
                    self.warn(no, f"key moment '{label.strip()}': {parsed.problem}; ignored")

    def metadata(self, name: str, value: str, line: int, label: str) -> bool:
        """Read one stated field (`date`, `authors`, `status`, `severity`, `started`, `resolved`) unless the front
        matter set it; whether the value was understood (a status not understood is kept in extra)."""
        fields, value = self.fields, _one_line(value).strip().rstrip(".")
        if name in ("started", "resolved", "date"):
            moment = "started" if name == "date" else name
            parsed = parse_time(value, self._doc_zone or UTC)
            if parsed.at is not None:
                self.stated.setdefault(moment, (parsed.at, line, label))
                return True
            day = _find_date(value) if name == "date" else None
            if day is not None and self.stated_date is None:
                self.stated_date = (day, line, label)
            return day is not None
        if name == "authors":
            names = [_one_line(part).strip() for part in re.split(r",|;|\band\b", value)]
            if not fields.get("authors"):
                fields["authors"] = [part for part in names if part]
                self.lines.setdefault("authors", line)
            return True
        if name == "severity":
            if not fields.get("severity"):
                fields["severity"] = value
                self.lines.setdefault("severity", line)
            return True
        if name == "status":
            lowered = value.lower()
            first = re.split(r"[,;(–—-]", lowered)[0].strip()
            status = _REVIEW_STATUS_WORDS.get(lowered) or _REVIEW_STATUS_WORDS.get(first)
            if status and "status" not in fields:
                fields["status"] = status
                self.note(line, f"status {status} from '{label}: {value}'")
            if status is None or lowered != status:
                fields["extra"].setdefault("stated_status", value)
            return True
        fields["extra"].setdefault(name, value)
        return True

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
        for entry in sorted((e for e in timeline if e.at and not e.key_moment), key=_at):
            said = _SAID_MOMENT.search(entry.text)  # "… **Outage begins.**", "Start of incident. …"
            if said is None or self.exact or entry.at is None:
                continue
            said_moment = _STATED_LABELS[said.group(1).lower()]
            if said_moment not in known:
                known[said_moment] = fields[f"{said_moment}_at"] = entry.at
                self.note(entry.line or 1, f"{said_moment}_at from the timeline row that says '{said.group(1)}'")
        if self.exact:
            return
        timed = sorted((e for e in timeline if e.at is not None), key=_at)
        stated = self._document_day()
        dated = _first_dated_row(timeline, stated[0] if stated else None)
        if "started" not in known and dated and (not timed or dated[0] < _at(timed[0]).date()):
            # "### 2018-01-11" (no time) above the first timed row: the incident began that day
            day, line = dated
            known["started"] = fields["started_at"] = datetime(day.year, day.month, day.day, tzinfo=UTC)
            self.note(line, f"started_at from the timeline's first dated row ({day.isoformat()}, no time of day)")
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
        stated = self._document_day()
        if stated is not None:
            day, line, said = stated
            self.fields["started_at"] = datetime(day.year, day.month, day.day, tzinfo=UTC)
            self.note(line, f"started_at from {said}")

    def _document_day(self) -> tuple[date, int, str] | None:
        """The day the document says the incident was, its line and where it says so: a date line ("Date: …"), else
        a date in the title, the file name or the summary's first sentence."""
        if self.stated_date is not None:
            day, line, label = self.stated_date
            return day, line, f"'{label}' ({day.isoformat()}, no time of day)"
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
                            int(month) if month.isdigit() else MONTH_NUMBERS[month.lower()],
                            int(found.group(d)) if d else 1,
                        )
                        precision = "no time of day" if d else "month only: its first day"
                        return day, line, f"the date in the {where} ({day.isoformat()}, {precision})"
        return None

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
            if not self.exact and _one_line(title[1]) != fields["title"]:  # front matter names it otherwise: keep both
                extra.setdefault("document_heading", title[1])
                self.note(title[0], "title from the front matter; the document's own heading kept in extra")
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


def _first_dated_row(timeline: list[TimelineEntry], since: date | None) -> tuple[date, int] | None:
    """The earliest day a timeline row states without a time of day ("### 2018-01-11"), and its line; rows before
    `since` (the day the document names, when it names one) are background, not the incident."""
    days = [
        (parsed.day, entry.line or 1)
        for entry in timeline
        if entry.at is None and entry.time_text
        if (parsed := parse_time(entry.time_text, UTC)).day is not None and (since is None or parsed.day >= since)
    ]
    return min(days) if days else None


def _at(entry: TimelineEntry) -> datetime:
    assert entry.at is not None
    return entry.at


_TIME_AND_ZONE = re.compile(r"^\S*?\s?\d{1,2}:\d{2}\s*(?:[AaPp]\.?[Mm]\.?\s*)?([A-Z]{2,5})(?![A-Za-z])")


def _plain(text: str) -> str:
    """A timeline time without the bold that marks it (`**10:02**`)."""
    return re.sub(r"^\*\*([^*]+)\*\*", r"\1", text.strip())


def _date_line(lines: list[str]) -> tuple[date | None, bool]:
    """The day a short paragraph of a timeline states without a time of day ("2019-01-22", "2015-10-21 (*all times
    UTC*)", "All times in PST, on February 5th 2019"), and whether the paragraph is only that date."""
    text = " ".join(line.strip() for line in lines)
    if len(text) > 120 or re.search(r"\d{1,2}:\d{2}", text):
        return None, False
    parsed, rest = split_time(_plain(text), UTC)
    if parsed.day is not None:
        return parsed.day, not re.sub(r"\([^)]*\)|[*_:.,\s]", "", rest)
    return _day_in(text), False


def _day_in(text: str) -> date | None:
    """The first full date (year, month and day) a text gives, as a title or a date line writes it."""
    for pattern, (y, m, d) in _TITLE_DATES[:3]:
        found = pattern.search(text)
        if found:
            month = found.group(m)
            with contextlib.suppress(ValueError):
                number = int(month) if month.isdigit() else MONTH_NUMBERS[month.lower()]
                return date(int(found.group(y)), number, int(found.group(d)))
    return None


def _heading_name(heading: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*_:]", "", heading)).strip()


def _tracker_ref(text: str) -> str | None:
    """The first tracker reference a text makes: an issue or pull-request link, a Jira key (`OPS-12`), `#123`."""
    for pattern in _TRACKER_REFS:
        found = pattern.search(text)
        if found:
            return found.group(0)[:200]
    return None


def _find_date(text: str) -> date | None:
    """The first whole date a text writes ("2023-09-18", "March 3, 2021", "3rd March 2021"), or None."""
    for pattern, (y, m, d) in _TITLE_DATES[:3]:
        for found in pattern.finditer(text):
            month = found.group(m)
            with contextlib.suppress(ValueError):
                return date(
                    int(found.group(y)),
                    int(month) if month.isdigit() else MONTH_NUMBERS[month.lower()],
                    int(found.group(d)),
                )
    return None


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


_LABEL_BULLET = re.compile(r"^[-*+]\s+\*\*([^*]{1,60}?)\s*:?\s*\*\*\s*:?\s*(.*)$")
_CONTAINERS = ("timeline", "actions", "whys")  # sections whose sub-headings and bold labels are their own content


def _split_sections(
    lines: list[str], start: int, key_of: Callable[[str], str | None] = section_key
) -> tuple[tuple[int, str] | None, list[tuple[int, str]], list[_Section]]:
    """The title, the lines before the first section, and the sections: `#`/`##` headings; a deeper heading that
    names a section (`### What went well` under `## Lessons learned`), or any heading before the first section; and
    MoJ-style bold-label bullets that name one (`- **Impact**: …`), unless inside a timeline, whys or action items."""
    title: tuple[int, str] | None = None
    preamble: list[tuple[int, str]] = []
    sections: list[_Section] = []
    label: _Section | None = None  # the bold-label section being read, and the section it interrupted
    for line in scan(lines, start):
        heading = line.heading
        container = bool(sections) and key_of(sections[-1].heading) in _CONTAINERS
        if heading is not None and (
            heading.level <= 2 or not sections or (key_of(heading.text) is not None and not container)
        ):
            # `## Timeline <!-- afteraction: ignore … -->` is still the Timeline section: the scanner drops comments
            label = None
            if heading.level == 1 and title is None and not sections:
                title = (line.no, heading.text)
                continue
            sections.append(_Section(heading.text, line.no))
            continue
        found = _LABEL_BULLET.match(line.text) if line.kind == "text" and not container else None
        if found and key_of(found.group(1)) is not None:
            label = label or (sections[-1] if sections else None)
            sections.append(_Section(found.group(1).strip(), line.no, [(line.no, found.group(2))]))
            continue
        if label is not None and sections and line.text.strip() and not line.text[:1].isspace():
            previous = sections[-1].body[-1][1] if sections[-1].body else ""
            if not previous.strip():  # the bold-label list has ended: the rest belongs to the section it was in
                sections.append(_Section(label.heading, line.no))
                label = None
        (sections[-1].body if sections else preamble).append((line.no, line.text))
    return title, preamble, sections


def parse_markdown(text: str, *, path: str = "<text>", mapping: ImportMapping | None = None) -> PostmortemDocument:
    """Read a post-mortem from Markdown: the afteraction format exactly, other teams' documents leniently (with a
    company's `mapping` of its template, when given)."""
    lines = split_lines(text)
    reader = _Reader(path, mapping)
    start = reader.front_matter(lines)
    reader.timeline_context(lines[start:])
    title, preamble, sections = _split_sections(lines, start, reader.key_of)
    reader.stated_moments(preamble, meta=True)
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
    `max_depth` deep (default: AFTERACTION_JSON_MAX_DEPTH's default). An `.html`, `.htm` or `.docx` file (a Confluence
    or Google Docs export, a Word document) is turned into Markdown first (documents/convert.py), then read as one.
    """
    from afteraction.documents import convert  # bs4, markdownify and mammoth load only for such files

    if path.suffix.lower() in convert.CONVERTED_SUFFIXES:
        mapped = mapping or ImportMapping()
        markdown = convert.convert_file(
            path, is_section=lambda heading: bool(section_key(heading) or mapped.section_for(heading))
        )
        if not markdown.strip():
            raise InvalidInput(f"{path}: no text in it: no post-mortem")
        return parse_markdown(markdown, path=str(path), mapping=mapping)
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
