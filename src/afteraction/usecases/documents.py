"""Use cases of post-mortems: load and save whole documents, import Markdown files, export them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from afteraction.actions.service import replace_actions
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import AfteractionError, InvalidInput, NotFound
from afteraction.core.validation import check_choice
from afteraction.core.visibility import can_see
from afteraction.domain.actions import ACTION_TITLE_MAX, CAUSE_ADDRESS, ActionItemData
from afteraction.domain.incidents import INCIDENT_STATUSES, KINDS
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import (
    POSTMORTEM_STATUSES,
    ParseWarning,
    PostmortemDocument,
)
from afteraction.domain.vocabulary import map_value, value_key
from afteraction.incidents.models import Incident
from afteraction.incidents.service import (
    record_document_incident,
)
from afteraction.insights.search import refresh_search_index
from afteraction.reviews.amendments import AMENDABLE, changed_sections, note_amendment
from afteraction.reviews.document import document_of, load_document, save_postmortem
from afteraction.reviews.models import Postmortem
from afteraction.timeline.picture import picture_data
from afteraction.timeline.service import replace_timeline

if TYPE_CHECKING:
    from afteraction.documents.mapping import ImportMapping
    from afteraction.documents.pdf import Printer

_INC = re.compile(r"^INC-(\d+)$", re.IGNORECASE)
EXPORT_FORMATS: tuple[str, ...] = ("md", "html", "json", "pdf")


@dataclass
class ImportResult:
    """What importing one file did: the incident, what was read into which field (`counts`), the custom sections,
    what was kept as text because no value fits, the fields edited in the tool that a re-import kept, the warnings."""

    path: str
    incident_id: str
    title: str
    created: bool
    warnings: list[ParseWarning] = field(default_factory=list)
    notes: list[ParseWarning] = field(default_factory=list)
    status: str = "draft"
    counts: dict[str, int] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    custom_sections: list[str] = field(default_factory=list)
    kept_as_text: list[ParseWarning] = field(default_factory=list)
    kept_from_tool: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The result as `import --json` and `--report` write it."""
        return {
            "path": self.path,
            "id": self.incident_id,
            "title": self.title,
            "created": self.created,
            "status": self.status,
            "counts": dict(self.counts),
            "fields": list(self.fields),
            "custom_sections": list(self.custom_sections),
            "kept_as_text": [w.model_dump() for w in self.kept_as_text],
            "kept_from_tool": list(self.kept_from_tool),
            "warnings": [w.model_dump() for w in self.warnings],
            "notes": [n.model_dump() for n in self.notes],
        }


@dataclass
class ImportFailure:
    """A file that could not be imported at all, and why (one line naming the file)."""

    path: str
    message: str


@dataclass
class ImportReport:
    """What importing many files did: the files imported, and the files that could not be."""

    results: list[ImportResult] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)

    @property
    def warnings(self) -> list[ParseWarning]:
        """Every warning of every file, in order."""
        return [warning for result in self.results for warning in result.warnings]

    @property
    def notes(self) -> list[ParseWarning]:
        """Where every file's key moments and status came from, in order."""
        return [note for result in self.results for note in result.notes]

    @property
    def exit_code(self) -> int:
        """0 when every file imported cleanly, 1 when some only with warnings, 2 when a file could not be imported."""
        if self.failures:
            return 2
        return 1 if self.warnings else 0

    def to_json(self) -> dict[str, Any]:
        """The whole report for machines (`import --report FILE.json`)."""
        return {
            "imported": len(self.results),
            "created": sum(1 for r in self.results if r.created),
            "warnings": len(self.warnings),
            "exit_code": self.exit_code,
            "files": [r.to_json() for r in self.results],
            "failures": [{"path": f.path, "message": f.message} for f in self.failures],
        }


@dataclass(frozen=True)
class ImportOptions:
    """How an import treats history: `as_published` publishes every document; `owner_default` owns the action items
    that name no owner; a document without a status whose incident started more than `published_after_days` ago
    (AFTERACTION_IMPORT_PUBLISHED_AFTER_DAYS) is published, a newer or undated one stays a draft."""

    as_published: bool = False
    owner_default: str | None = None
    published_after_days: int = 90
    now: datetime | None = None  # for tests: when "now" is; default the clock

    def history_before(self) -> datetime:
        """Incidents that happened before this are history (published, their items closed back then)."""
        return (self.now or datetime.now(UTC)) - timedelta(days=self.published_after_days)


def earliest_moment(doc: PostmortemDocument) -> datetime | None:
    """When a document's incident happened: its start, else its earliest stated moment or timed timeline row."""
    if doc.started_at is not None:
        return doc.started_at
    times = [getattr(doc, name) for name in ("detected_at", "acknowledged_at", "mitigated_at", "resolved_at")]
    times += [entry.at for entry in doc.timeline]
    return min((at for at in times if at is not None), default=None)


def as_imported(doc: PostmortemDocument, options: ImportOptions) -> PostmortemDocument:
    """The document as history: its post-mortem status (stated, forced by `as_published`, or published when old) and
    its owner-less action items given `owner_default`; each decision is noted."""
    line = doc.section_lines.get("front_matter.status") or doc.section_lines.get("title") or 1
    where = doc.path or "<text>"
    notes = list(doc.notes)
    status = doc.status
    if options.as_published:
        status = "published"
        notes.append(ParseWarning(path=where, line=line, message="status published (import --as-published)"))
    elif "status" not in doc.model_fields_set:
        began = earliest_moment(doc)
        if began is not None and began < options.history_before():
            status = "published"
            notes.append(
                ParseWarning(
                    path=where,
                    line=line,
                    message=f"status published: the incident started {began.date().isoformat()}, more than "
                    f"{options.published_after_days} days ago (AFTERACTION_IMPORT_PUBLISHED_AFTER_DAYS)",
                )
            )
    owner = (options.owner_default or "").strip() or None
    actions = [
        action.model_copy(update={"owner": owner}) if owner and not (action.owner or "").strip() else action
        for action in doc.actions
    ]
    return doc.model_copy(update={"status": status, "actions": actions, "notes": notes})


# ---------------------------------------------------------------- saving


def _external_ref(doc: PostmortemDocument) -> str | None:
    """A document's reference elsewhere: its external_ref, else an id that is not an INC id (PM2021-004, a uuid)."""
    if doc.external_ref:
        return doc.external_ref
    return doc.id if doc.id and not _INC.match(doc.id.strip()) else None


def _find_incident(
    session: Session, doc: PostmortemDocument, actor: Actor, source_path: str | None = None
) -> tuple[Incident | None, int | None]:
    """The incident a document updates (by INC id, then by external reference, then, for a document without
    either, by the file it was imported from, then by its title and the day it happened), and its wanted number.

    One the actor may not see is NotFound, as everywhere: a document never overwrites a private incident of others.
    """
    wanted: int | None = None
    if doc.id:
        match = _INC.match(doc.id.strip())
        if match:
            wanted = int(match.group(1))
            found = session.scalar(select(Incident).where(Incident.number == wanted))
            if found is not None:
                if not can_see(session, actor, found.id, found.private):
                    raise NotFound(f"no incident INC-{wanted}")
                return found, wanted
    ref = _external_ref(doc)
    if ref:
        found = session.scalar(select(Incident).where(Incident.external_ref == ref))
        if found is not None:
            if not can_see(session, actor, found.id, found.private):
                raise NotFound(f"no incident {ref}")
            return found, wanted
    if doc.id or ref:
        return None, wanted
    found = _same_document(session, doc, source_path)
    if found is not None and not can_see(session, actor, found.id, found.private):
        raise NotFound(f"no incident imported from {source_path or doc.title}")
    return found, wanted


def _same_document(session: Session, doc: PostmortemDocument, source_path: str | None) -> Incident | None:
    """The imported incident of a document without an id: the one imported from the same file, else the one with
    the same title that happened the same day and whose file is gone (moved or renamed; never another file's)."""
    if source_path:
        found = session.scalar(
            select(Incident)
            .join(Postmortem, Postmortem.incident_id == Incident.id)
            .where(Postmortem.source_path == source_path, Incident.imported)
            .order_by(Incident.id)
            .limit(1)
        )
        if found is not None:
            return found
    began = earliest_moment(doc)
    if began is None or not doc.title.strip():
        return None
    for incident, path in session.execute(
        select(Incident, Postmortem.source_path)
        .join(Postmortem, Postmortem.incident_id == Incident.id)
        .where(Incident.title == doc.title.strip(), Incident.imported)
        .order_by(Incident.id)
    ).all():
        happened = incident.happened_at or incident.started_at
        if path and Path(path).exists():
            continue  # another file's incident, still there
        if happened is not None and happened.astimezone(UTC).date() == began.astimezone(UTC).date():
            return incident
    return None


def settle_values(
    doc: PostmortemDocument,
    *,
    severities: Sequence[str],
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    zone: str | None = None,
) -> tuple[PostmortemDocument, list[ParseWarning]]:
    """The document with every value in afteraction's words (domain.vocabulary; a mapping file's `values` win), and
    what could not be mapped: kept as written (an action item's in its title, the incident's in `extra`) with its
    default value and a warning naming the line. A timeline time without a zone is read in `zone` (default UTC)."""
    where = doc.path or doc.id or doc.title
    kept: list[ParseWarning] = []
    extra = dict(doc.extra)
    update: dict[str, Any] = {}

    def keep(line: int | None, message: str) -> None:
        kept.append(ParseWarning(path=where, line=line or 1, message=message))

    def line_of(name: str) -> int:
        return doc.section_lines.get(f"front_matter.{name}") or doc.section_lines.get("title") or 1

    def choose(value: str, allowed: Sequence[str]) -> str | None:
        wanted = value_key(value).replace(" ", "-")
        return next((choice for choice in allowed if choice.casefold() == wanted), None)

    for name, allowed, default in (
        ("kind", KINDS, "incident"),
        ("status", POSTMORTEM_STATUSES, "draft"),
        ("incident_status", INCIDENT_STATUSES, "open"),
    ):
        written = getattr(doc, name)
        value = choose(written, allowed)
        if value is None:
            extra[name] = written
            keep(line_of(name), f"{name} {written!r} is not one of {', '.join(allowed)}: {default}, kept as written")
            value = default
        update[name] = value
    if doc.severity is not None:
        severity = map_value("severity", doc.severity, overrides=overrides, severities=severities)
        if not severity:
            extra["severity"] = doc.severity
            keep(
                line_of("severity"),
                f"severity {doc.severity!r} is not one of {', '.join(severities)}: left empty, kept as written",
            )
        update["severity"] = severity or None
    update["actions"] = [_settle_action(doc, action, overrides, keep) for action in doc.actions]
    assumed = ZoneInfo(zone) if zone else UTC
    timeline = []
    for entry in doc.timeline:
        if entry.at is not None and entry.at.tzinfo is None:
            keep(entry.line, f"timeline time {entry.time_text or entry.at} states no zone: read as {zone or 'UTC'}")
            entry = entry.model_copy(update={"at": entry.at.replace(tzinfo=assumed).astimezone(UTC)})
        timeline.append(entry)
    update["timeline"] = timeline
    update["extra"] = extra
    update["warnings"] = [*doc.warnings, *kept]
    return doc.model_copy(update=update), kept


def _settle_action(
    doc: PostmortemDocument,
    action: ActionItemData,
    overrides: Mapping[str, Mapping[str, str]] | None,
    keep: Callable[[int | None, str], None],
) -> ActionItemData:
    """One action item in afteraction's words; what does not fit is appended to its title as written."""
    update: dict[str, Any] = {}
    unkept: list[str] = []
    for name, default in (("type", None), ("priority", None), ("status", "open")):
        written = getattr(action, name)
        if not written:
            continue
        value = map_value(name, written, overrides=overrides)
        if value is None:
            unkept.append(f"{name}: {written.strip()}")
            keep(action.line, f"action item {name} {written.strip()!r} not understood: kept in its title")
        update[name] = value or default
    if action.addresses and not _addresses_found(doc, action.addresses):
        unkept.append(f"addresses: {action.addresses.strip()}")
        keep(action.line, f"action item addresses {action.addresses.strip()!r}, no factor or why of the document: "
             "kept in its title")  # fmt: skip
        update["addresses"] = None
    if unkept:
        update["title"] = f"{action.title} ({'; '.join(unkept)})"[:ACTION_TITLE_MAX]
    return action.model_copy(update=update)


def _addresses_found(doc: PostmortemDocument, addresses: str) -> bool:
    """Whether an action item's `addresses` names a factor (F2) or why (W1.2) the document has."""
    match = CAUSE_ADDRESS.match(addresses.strip())
    if match is None:
        return False
    if match.group(1):
        return 0 < int(match.group(1)) <= len(doc.factors)
    nodes = doc.whys
    for part in match.group(2).split("."):
        index = int(part)
        if not 0 < index <= len(nodes):
            return False
        node = nodes[index - 1]
        nodes = node.children
    return True


# The document's fields a re-import merges one by one (its actions are merged item by item: `ACTION_MERGED`).
_NOT_MERGED = frozenset({"id", "external_ref", "actions", "path", "section_lines", "warnings", "notes"})
ACTION_MERGED: tuple[str, ...] = ("owner", "due", "status")


def _merge(
    session: Session, incident: Incident, doc: PostmortemDocument, overwrite: bool
) -> tuple[PostmortemDocument, list[str]]:
    """The document to write over an incident imported before: a field edited in the tool since the last import
    keeps the tool's value (unless `overwrite`), every other field takes the document's; and the fields kept."""
    pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
    snapshot = pm.import_snapshot if pm is not None else None
    if not snapshot or overwrite:
        return doc, []
    last_doc, last_stored = snapshot.get("document", {}), snapshot.get("stored", {})
    current = document_of(session, incident)
    now = current.model_dump(mode="json")
    new = doc.model_dump(mode="json")
    update: dict[str, Any] = {}
    kept: list[str] = []
    for name in PostmortemDocument.model_fields:
        if name in _NOT_MERGED or name not in last_stored or now.get(name) == last_stored.get(name):
            continue
        if new.get(name) == now.get(name):
            continue  # the document says what the tool says
        changed = " (the document's change to it not taken)" if new.get(name) != last_doc.get(name) else ""
        kept.append(f"{name}: edited in the tool since the last import, kept{changed}")
        update[name] = getattr(current, name)
    stored_items = {item["title"]: item for item in last_stored.get("actions", [])}
    current_items = {item.title: item for item in current.actions}
    actions = []
    for action in doc.actions:
        before, now_item = stored_items.get(action.title), current_items.get(action.title)
        changes: dict[str, Any] = {}
        if before is not None and now_item is not None:
            now_json = now_item.model_dump(mode="json")
            for name in ACTION_MERGED:
                if now_json[name] != before.get(name) and now_json[name] != action.model_dump(mode="json")[name]:
                    changes[name] = getattr(now_item, name)
                    kept.append(f"action item {action.title!r} {name}: edited in the tool since the last import, kept")
        actions.append(action.model_copy(update=changes) if changes else action)
    update["actions"] = actions
    return doc.model_copy(update=update), kept


def save_document(
    session: Session,
    doc: PostmortemDocument,
    *,
    severities: Sequence[str],
    source_path: str | None = None,
    history_before: datetime | None = None,
    overwrite: bool = False,
    actor: Actor,
    policy: Policy | None = None,
) -> tuple[Incident, bool, list[str]]:
    """Create or update the incident and post-mortem a document describes; returns the row, whether it is new, and
    the fields edited in the tool since the last import that were kept (`overwrite`: none kept, the document wins).
    An incident that happened before `history_before` is history: its items were opened and closed back then.

    A document naming (by INC id or external reference) an incident the actor may not see is NotFound. Written over
    a published (or closed) post-mortem, it stays so (its review history, not the document, says so) and what it
    changed is noted as an amendment (`note_amendment`; back in review where the `policy` says so).
    """
    found, wanted = _find_incident(session, doc, actor, source_path)
    was = session.scalar(select(Postmortem).where(Postmortem.incident_id == found.id)) if found is not None else None
    published = None
    if found is not None and was is not None and was.status in AMENDABLE:
        published = (was.status, document_of(session, found))
    kept: list[str] = []
    imported = doc
    if found is not None:
        doc, kept = _merge(session, found, doc, overwrite)
    incident = record_document_incident(
        session, doc=doc, found=found, wanted=wanted, external_ref=_external_ref(doc), severities=severities
    )
    created = found is None
    factor_ids, why_ids = save_postmortem(session, incident=incident, doc=doc, source_path=source_path)
    if not any(line.startswith("timeline:") for line in kept):
        replace_timeline(session, incident.id, doc.timeline)
    where = doc.path or source_path or doc.id or doc.title
    replace_actions(session, incident, doc.actions, factor_ids, why_ids, where, history_before=history_before)
    session.flush()
    pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
    if pm is not None and published is not None:
        status, before = published
        pm.status = status
        session.flush()
        note_amendment(session, pm, actor, changed_sections(before, document_of(session, incident)), policy=policy)
    if pm is not None:
        stored = document_of(session, incident).model_dump(mode="json")
        pm.import_snapshot = {"document": imported.model_dump(mode="json"), "stored": stored}
        session.flush()
    return incident, created, kept


def _counts(doc: PostmortemDocument) -> dict[str, int]:
    """What a document filled, counted for the import's report."""
    texts = ("summary", "impact", "trigger", "detection", "resolution", "problem_statement", "supporting_info")
    return {
        "timeline_timed": sum(1 for entry in doc.timeline if entry.at is not None),
        "timeline_untimed": sum(1 for entry in doc.timeline if entry.at is None),
        "moments": sum(1 for name in MOMENTS if getattr(doc, name) is not None),
        "sections": sum(1 for name in texts if getattr(doc, name).strip()) + bool(doc.whys) + bool(doc.factors),
        "custom_sections": len(doc.sections),
        "action_items": len(doc.actions),
        "lessons": len(doc.lessons),
    }


MOMENTS: tuple[str, ...] = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
_FIELDS = ("id", "severity", "kind", "status", "incident_status", "external_ref", "due_date", "services", "teams",
           "tags", "categories", "authors", "reviewers")  # fmt: skip


_DEFAULTS = {"kind": "incident", "status": "draft", "incident_status": "open"}


def _result(
    doc: PostmortemDocument, incident: Incident, created: bool, path: str, kept: list[ParseWarning], tool: list[str]
) -> ImportResult:
    return ImportResult(
        path=path, incident_id=incident.key, title=incident.title, created=created, warnings=list(doc.warnings),
        notes=list(doc.notes), status=doc.status, counts=_counts(doc),
        fields=[name for name in (*_FIELDS, *MOMENTS) if getattr(doc, name) not in (None, [], _DEFAULTS.get(name))],
        custom_sections=[section.heading for section in doc.sections], kept_as_text=kept, kept_from_tool=tool,
    )  # fmt: skip


def store_document(
    db: Database,
    *,
    doc: PostmortemDocument,
    severities: Sequence[str],
    source_path: str | None = None,
    options: ImportOptions | None = None,
    actor: Actor,
    policy: Policy | None = None,
) -> ImportResult:
    """Create or update one post-mortem from a document, in one transaction (NotFound when it names an incident
    the actor may not see); with `options`, the document is read as history (`as_imported`). A value no vocabulary
    maps is kept as text with a warning (`settle_values`)."""
    if options is not None:
        doc = as_imported(doc, options)
    doc, kept = settle_values(doc, severities=severities)
    with db.transaction() as session:
        incident, created, tool = save_document(
            session, doc, severities=severities, source_path=source_path,
            history_before=options.history_before() if options is not None else None, actor=actor, policy=policy,
        )  # fmt: skip
        refresh_search_index(session, [incident.id])
        return _result(doc, incident, created, source_path or "", kept, tool)


def import_files(
    db: Database,
    *,
    paths: Sequence[Path],
    severities: Sequence[str],
    progress: Callable[[Path], None] | None = None,
    json_max_depth: int | None = None,
    options: ImportOptions | None = None,
    mapping: ImportMapping | None = None,
    overwrite: bool = False,
    actor: Actor,
    policy: Policy | None = None,
) -> ImportReport:
    """Import post-mortem files, each in its own transaction: a file that cannot be read or written is reported
    (`ImportReport.failures`, one line naming it) and the others land. Values are mapped by `mapping`'s `values` and
    domain.vocabulary, else kept as text with a warning; a document imported before is merged (`_merge`: what was
    edited in the tool since is kept, unless `overwrite`). JSON files nest at most `json_max_depth` deep
    (AFTERACTION_JSON_MAX_DEPTH; default: its default). Each document is read as history by `options` (default:
    `ImportOptions()`): see `as_imported`."""
    from afteraction.documents.parse import parse_file

    settle = options or ImportOptions()
    report = ImportReport()
    saved: list[int] = []
    for path in paths:
        try:
            if not path.is_file():
                raise InvalidInput(f"{path}: no such file")
            doc = as_imported(parse_file(path, max_depth=json_max_depth, mapping=mapping), settle)
            doc, kept = settle_values(
                doc, severities=severities, overrides=mapping.values if mapping else None,
                zone=mapping.zone if mapping else None,
            )  # fmt: skip
            with db.transaction() as session:
                incident, created, tool = save_document(
                    session, doc, severities=severities, source_path=str(path.resolve()),
                    history_before=settle.history_before(), overwrite=overwrite, actor=actor, policy=policy,
                )  # fmt: skip
                saved.append(incident.id)
                report.results.append(_result(doc, incident, created, str(path), kept, tool))
        except AfteractionError as exc:
            message = exc.message if str(path) in exc.message else f"{path}: {exc.message}"
            report.failures.append(ImportFailure(path=str(path), message=message))
        if progress:
            progress(path)
    if saved:
        with db.transaction() as session:  # one refresh for the whole batch: per document it doubles the import time
            refresh_search_index(session, saved)
    return report


def export_document(
    db: Database,
    *,
    incident_id: str,
    fmt: str,
    template_dir: Path | None = None,
    browser: str | None = None,
    printer: Printer | None = None,
    actor: Actor,
) -> str | bytes:
    """The post-mortem of an incident as Markdown, HTML, JSON text or PDF bytes: the timeline of Markdown, HTML and
    PDF is the highlights, that of JSON every event.

    HTML (and the PDF printed from it) runs no script and loads nothing; a PDF is printed by `printer` (its browser,
    time limit and cap on prints at once; by default `browser` with the default limits).
    """
    from afteraction.documents import pdf, render

    fmt = check_choice(fmt, EXPORT_FORMATS, "format")
    # The JSON export is the whole record; the others are the document people read: the highlights.
    doc = load_document(db, incident_id=incident_id, whole_timeline=fmt == "json", actor=actor)
    if fmt == "md":
        return render.render_markdown(doc, template_dir=template_dir)
    if fmt == "json":
        return render.render_json(doc)
    picture = picture_data(db, incident_id=incident_id, actor=actor)  # the timeline drawn, read without its events
    html = render.render_html(doc, template_dir=template_dir, picture=picture)
    if fmt == "html":
        return html
    return pdf.html_to_pdf(html, printer=printer or pdf.Printer(browser=browser))
