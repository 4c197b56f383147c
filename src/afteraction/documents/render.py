"""Render a post-mortem as Markdown (the format parse reads back), HTML, JSON or a Mermaid cause tree."""

from __future__ import annotations

import json
import re
import traceback
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from afteraction.core.errors import InvalidInput
from afteraction.documents.chat import render_document_text
from afteraction.documents.lenient import escape_cell, jsonable
from afteraction.documents.markdown import markdown_html, markdown_inline, safe_url
from afteraction.documents.picture import TimelinePicture, timeline_svg
from afteraction.domain.durations import format_duration
from afteraction.domain.reviews import LESSON_KINDS, PostmortemDocument, WhyNodeData

if TYPE_CHECKING:
    from afteraction.domain.actions import ActionItemData
    from afteraction.domain.incidents import TimelineEntry

MARKDOWN_TEMPLATE = "postmortem.md.j2"
HTML_TEMPLATE = "postmortem.html.j2"
LESSON_HEADINGS: dict[str, str] = {
    "went-well": "What Went Well",
    "went-wrong": "What Went Wrong",
    "lucky": "Where We Got Lucky",
    "learned": "Lessons Learned",
}
ACTION_COLUMNS: tuple[str, ...] = (
    "Action",
    "Type",
    "Owner",
    "Due",
    "Priority",
    "Status",
    "Tracker",
    "Addresses",
)
TIMELINE_COLUMNS: tuple[str, ...] = ("Time", "Event", "Source", "Actor", "Kind", "Link", "Evidence", "ID")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TIME_FIELDS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
_LIST_FIELDS = ("services", "teams", "tags", "categories", "authors", "reviewers")
# HTML exports run no script and load nothing: only inline styles and images embedded as data: URLs. The same policy
# is a <meta> in the page (so a saved file opened later is safe too) and, with frame-ancestors, the API's header.
EXPORT_CSP_META = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
EXPORT_CSP = EXPORT_CSP_META + "; frame-ancestors 'none'"
CSP_META_TAG = f'<meta http-equiv="Content-Security-Policy" content="{EXPORT_CSP_META}">'
# What a team template may use besides its variables: Jinja's range and dict, not lipsum, cycler, joiner, namespace.
TEMPLATE_GLOBALS = frozenset({"range", "dict"})
_DOCTYPE = re.compile(r"\A\ufeff?\s*<!doctype[^>]*>", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n?")
_LINE_BREAK = re.compile(r"[ \t]*\n\s*")


def format_time(at: datetime) -> str:
    """A time as RFC 3339 in UTC with a `Z`, at second precision."""
    return _utc(at).strftime(TIME_FORMAT)


def _utc(at: datetime) -> datetime:
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(microsecond=0)


def _block(text: str) -> str:
    return _NEWLINES.sub("\n", text).strip()


def _line(text: str) -> str:
    return _LINE_BREAK.sub(" ", _block(text))


def _optional(text: str | None) -> str | None:
    return (_line(text) or None) if text is not None else None


def _normal_why(node: WhyNodeData) -> WhyNodeData:
    children = [_normal_why(child) for child in node.children]
    return node.model_copy(update={"text": _line(node.text), "children": children})


def _normal_entry(entry: TimelineEntry) -> TimelineEntry:
    return entry.model_copy(
        update={
            "at": _utc(entry.at) if entry.at else None,
            "time_text": _optional(entry.time_text),
            "source": _line(entry.source) or "manual",
            "actor": _optional(entry.actor),
            "kind": _line(entry.kind) or "note",
            "text": _block(entry.text),
            "link": _optional(entry.link),
            "source_id": _optional(entry.source_id),
            "key_moment": _optional(entry.key_moment),
            "evidence": _optional(entry.evidence),
        }
    )


def _normal_action(action: ActionItemData) -> ActionItemData:
    update: dict[str, Any] = {
        name: _optional(getattr(action, name)) for name in ("type", "owner", "priority", "tracker", "addresses")
    }
    update["title"] = _line(action.title)
    update["details"] = {_line(name): _line(value) for name, value in action.details.items() if _line(name)}
    update["status"] = _line(action.status) or "open"
    return action.model_copy(update=update)


def normalise(doc: PostmortemDocument) -> PostmortemDocument:
    """The document as the Markdown format holds it: trimmed text, one-line items, UTC times to the second."""
    order = {kind: index for index, kind in enumerate(LESSON_KINDS)}
    lessons = [
        lesson.model_copy(
            update={"kind": lesson.kind if lesson.kind in order else "learned", "text": _line(lesson.text)}
        )
        for lesson in doc.lessons
    ]
    lessons = sorted((lesson for lesson in lessons if lesson.text), key=lambda lesson: order[lesson.kind])
    factors = [
        factor.model_copy(update={"text": _line(factor.text), "category": _optional(factor.category)})
        for factor in doc.factors
    ]
    entries = [_normal_entry(entry) for entry in doc.timeline]
    update: dict[str, Any] = {
        "id": _optional(doc.id),
        "title": _line(doc.title),
        "kind": _line(doc.kind) or "incident",
        "severity": _optional(doc.severity),
        "status": _line(doc.status) or "draft",
        "incident_status": _line(doc.incident_status) or "open",
        "external_ref": _optional(doc.external_ref),
        "extra": jsonable(doc.extra),
        "timeline_note": _block(doc.timeline_note),
        "timeline": [entry for entry in entries if not _is_empty(entry)],
        "whys": [_normal_why(node) for node in doc.whys],
        "factors": [factor for factor in factors if factor.text or factor.category],
        "lessons": lessons,
        "actions": [_normal_action(action) for action in doc.actions],
        "sections": [
            section.model_copy(update={"heading": _line(section.heading), "body": _block(section.body)})
            for section in doc.sections
        ],
    }
    for name in (
        "summary",
        "impact",
        "trigger",
        "detection",
        "resolution",
        "problem_statement",
        "supporting_info",
    ):
        update[name] = _block(getattr(doc, name))
    for name in _LIST_FIELDS:
        update[name] = [text for text in (_line(item) for item in getattr(doc, name)) if text]
    for name in _TIME_FIELDS:
        value = getattr(doc, name)
        update[name] = _utc(value) if value else None
    return doc.model_copy(update=update)


# --- Markdown ---------------------------------------------------------------------------------------


class _FrontMatterDumper(yaml.SafeDumper):
    """YAML dumper that writes times as plain `2026-03-14T10:08:10Z`."""


def _represent_time(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", format_time(value))


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flat = all(not isinstance(item, dict | list) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_FrontMatterDumper.add_representer(datetime, _represent_time)
_FrontMatterDumper.add_representer(list, _represent_list)


def _front_matter(doc: PostmortemDocument) -> str:
    data: dict[str, Any] = {}
    if doc.id:
        data["id"] = doc.id
    data["title"] = doc.title
    data["kind"] = doc.kind
    if doc.severity:
        data["severity"] = doc.severity
    data["status"] = doc.status
    if doc.amended_at:
        data["amended_at"] = doc.amended_at
    if doc.amended_by:
        data["amended_by"] = doc.amended_by
    if doc.incident_status != "open":
        data["incident_status"] = doc.incident_status
    if doc.private:
        data["private"] = True
    for name in _LIST_FIELDS:
        if getattr(doc, name):
            data[name] = list(getattr(doc, name))
    for name in _TIME_FIELDS:
        if getattr(doc, name):
            data[name] = getattr(doc, name)
    if doc.due_date:
        data["due_date"] = doc.due_date
    if doc.external_ref:
        data["external_ref"] = doc.external_ref
    if doc.extra:
        data["extra"] = doc.extra
    return yaml.dump(
        data,
        Dumper=_FrontMatterDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100_000,
    )


def _time_cell(entry: TimelineEntry) -> str:
    if entry.at is not None:
        text = format_time(entry.at)
        if entry.time_text:
            text += f" ({entry.time_text})"
    else:
        text = entry.time_text or ""
    if entry.key_moment:
        text = f"{text} **{entry.key_moment}**".strip()
    return text


def _is_empty(entry: TimelineEntry) -> bool:
    return not any(_timeline_cells(entry))


def _timeline_cells(entry: TimelineEntry) -> list[str]:
    return [
        _time_cell(entry),
        entry.text,
        "" if entry.source == "manual" else entry.source,
        entry.actor or "",
        "" if entry.kind == "note" else entry.kind,
        entry.link or "",
        entry.evidence or "",
        entry.source_id or "",
    ]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines.extend("| " + " | ".join(escape_cell(cell) for cell in row) + " |" for row in rows)
    return lines


def timeline_table(entries: list[TimelineEntry]) -> list[str]:
    """The timeline as Markdown table lines; optional columns appear only when some event uses them."""
    rows = [_timeline_cells(entry) for entry in entries]
    used = [index for index in range(len(TIMELINE_COLUMNS)) if index < 2 or any(row[index] for row in rows)]
    return _table([TIMELINE_COLUMNS[i] for i in used], [[row[i] for i in used] for row in rows])


def action_table(actions: list[ActionItemData]) -> list[str]:
    """The action items as Markdown table lines; the details a document kept (its own columns, its grouping
    heading) follow as columns of their own, so they are read back into the details."""
    extra = list(dict.fromkeys(name for action in actions for name in action.details))
    rows = [
        [
            action.title,
            action.type or "",
            action.owner or "",
            action.due.isoformat() if action.due else "",
            action.priority or "",
            action.status,
            action.tracker or "",
            action.addresses or "",
            *(action.details.get(name, "") for name in extra),
        ]
        for action in actions
    ]
    return _table([*ACTION_COLUMNS, *(escape_cell(name) for name in extra)], rows)


def why_lines(nodes: list[WhyNodeData], depth: int = 0) -> list[str]:
    """The five-whys tree as nested Markdown bullets, root causes marked."""
    lines: list[str] = []
    for node in nodes:
        marker = "**Root cause:** " if node.root_cause else ""
        lines.append(f"{'  ' * depth}- {marker}{node.text}".rstrip())
        lines.extend(why_lines(node.children, depth + 1))
    return lines


def why_paths(nodes: list[WhyNodeData], prefix: str = "W") -> list[tuple[str, WhyNodeData]]:
    """Every why node with its path (`W1`, `W1.2`, …), depth first, as action items refer to them."""
    found: list[tuple[str, WhyNodeData]] = []
    for index, node in enumerate(nodes, start=1):
        path = f"{prefix}{index}" if prefix == "W" else f"{prefix}.{index}"
        found.append((path, node))
        found.extend(why_paths(node.children, path))
    return found


def _mermaid_label(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;")):
        text = text.replace(char, code)
    return f'"{text}"'


def mermaid_whys(doc: PostmortemDocument) -> str:
    """The five-whys tree as a Mermaid `flowchart TD`, root causes styled."""
    lines = ["flowchart TD", f"    P[{_mermaid_label(_line(doc.problem_statement) or 'Problem')}]"]
    roots: list[str] = []

    def walk(nodes: list[WhyNodeData], parent: str, prefix: str) -> None:
        for index, node in enumerate(nodes, start=1):
            path = f"{prefix}{index}" if prefix == "W" else f"{prefix}_{index}"
            lines.append(f"    {path}[{_mermaid_label(node.text)}]")
            lines.append(f"    {parent} --> {path}")
            if node.root_cause:
                roots.append(path)
            walk(node.children, path, path)

    walk(doc.whys, "P", "W")
    lines.append("    classDef rootCause fill:#fdecea,stroke:#c0392b,stroke-width:2px,color:#7b241c")
    if roots:
        lines.append(f"    class {','.join(roots)} rootCause")
    return "\n".join(lines)


@lru_cache(maxsize=16)
def _environment(template_dir: Path | None) -> SandboxedEnvironment:
    """The templates' environment: sandboxed (no attribute starting with `_`, no unsafe call), with only the
    documented filters and globals."""
    loaders: list[Any] = [PackageLoader("afteraction", "documents/templates")]
    if template_dir is not None:
        if not template_dir.is_dir():
            raise InvalidInput(f"template folder {template_dir}: no such folder")
        loaders.insert(0, FileSystemLoader(template_dir))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: name is not None and ".html" in name,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    for name in set(env.globals) - TEMPLATE_GLOBALS:
        del env.globals[name]
    env.filters["md"] = markdown_html
    env.filters["md_inline"] = markdown_inline
    env.filters["safe_url"] = safe_url
    env.filters["event_text"] = render_document_text
    env.filters["utc"] = format_time
    env.globals["lesson_headings"] = LESSON_HEADINGS
    return env


def _template_name(filename: str, template_dir: Path | None) -> str:
    """A template file as its name in the template folder (never the server's path to it)."""
    path = Path(filename)
    if template_dir is not None and path.is_relative_to(template_dir):
        return path.relative_to(template_dir).as_posix()
    return path.name


def _render(template_dir: Path | None, name: str, **context: Any) -> str:
    """Render one template; a team template's mistake or unsafe access is one line naming its file and line."""
    try:
        return _environment(template_dir).get_template(name).render(**context)
    except TemplateError as error:
        where = getattr(error, "name", None) or name
        line = getattr(error, "lineno", None)
        if line is None:  # an error while rendering: Jinja puts the template's own line in the traceback
            frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.endswith(".py")]
            if frames:
                where, line = _template_name(frames[-1].filename, template_dir), frames[-1].lineno
        located = f"{where}:{line}" if line else where
        unsafe = "not allowed in a template: " if isinstance(error, SecurityError) else ""
        raise InvalidInput(f"template {located}: {unsafe}{error.message or error}") from None


def render_markdown(doc: PostmortemDocument, *, template_dir: Path | None = None) -> str:
    """The document in the afteraction Markdown format, which `parse_markdown` reads back to the same data."""
    doc = normalise(doc)
    return _render(
        template_dir,
        MARKDOWN_TEMPLATE,
        doc=doc,
        front_matter=_front_matter(doc),
        timeline_table=timeline_table(doc.timeline) if doc.timeline else [],
        why_lines=why_lines(doc.whys),
        mermaid=mermaid_whys(doc) if doc.whys else "",
        factors=[f"**[{f.category}]** {f.text}".rstrip() if f.category else f.text for f in doc.factors],
        lessons={kind: [lesson.text for lesson in doc.lessons_of(kind)] for kind in LESSON_KINDS},
        action_table=action_table(doc.actions) if doc.actions else [],
    )


# --- HTML and JSON ----------------------------------------------------------------------------------


def _metrics(doc: PostmortemDocument) -> list[tuple[str, str]]:
    pairs = (
        ("Time to detect", doc.started_at, doc.detected_at),
        ("Time to acknowledge", doc.detected_at, doc.acknowledged_at),
        ("Time to mitigate", doc.started_at, doc.mitigated_at),
        ("Time to resolve", doc.started_at, doc.resolved_at),
    )
    return [
        (label, format_duration((end - start).total_seconds()))
        for label, start, end in pairs
        if start is not None and end is not None and end >= start
    ]


def with_export_csp(html: str) -> str:
    """The page with the export Content-Security-Policy as its first element (after the doctype), whatever its
    template holds: no script, no request, only inline styles and data: images."""
    found = _DOCTYPE.match(html)
    head, rest = (html[: found.end()], html[found.end() :]) if found else ("", html)
    if rest.lstrip().startswith(CSP_META_TAG):
        return html
    return f"{head}\n{CSP_META_TAG}{rest}" if head else f"{CSP_META_TAG}\n{rest}"


def _safe_links(doc: PostmortemDocument) -> PostmortemDocument:
    """The document with every event link and evidence an http(s) or mailto URL, or none: a template that puts
    them in an href unfiltered links nowhere else."""
    timeline = [
        entry.model_copy(update={"link": safe_url(entry.link) or None, "evidence": safe_url(entry.evidence) or None})
        for entry in doc.timeline
    ]
    return doc.model_copy(update={"timeline": timeline})


def render_html(
    doc: PostmortemDocument, *, template_dir: Path | None = None, picture: TimelinePicture | None = None
) -> str:
    """The document as one self-contained, styled HTML page: no script, no external resource, links only http(s)
    and mailto, and a Content-Security-Policy <meta> that keeps it so even for a team template. With `picture`,
    the timeline's picture is drawn (inline SVG, documents.picture) at the top of its timeline."""
    doc = _safe_links(normalise(doc))
    html = _render(
        template_dir,
        HTML_TEMPLATE,
        doc=doc,
        metrics=_metrics(doc),
        lessons={kind: doc.lessons_of(kind) for kind in LESSON_KINDS},
        anchors={path for path, _ in why_paths(doc.whys)} | {f"F{i}" for i in range(1, len(doc.factors) + 1)},
        show_source=any(entry.source != "manual" for entry in doc.timeline),
        show_actor=any(entry.actor for entry in doc.timeline),
        mermaid=mermaid_whys(doc) if doc.whys else "",
        picture=Markup(timeline_svg(picture)) if picture is not None and not picture.empty else None,
    )
    return with_export_csp(html)


def render_json(doc: PostmortemDocument) -> str:
    """The document as stable JSON (indent 2), times RFC 3339 in UTC with a `Z`."""
    data = normalise(doc).model_dump(mode="json")
    return json.dumps(jsonable(data), indent=2, ensure_ascii=False) + "\n"
