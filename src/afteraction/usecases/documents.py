"""Use cases of post-mortems: load and save whole documents, import Markdown files, export them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from afteraction.actions.service import replace_actions
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.core.validation import check_choice
from afteraction.core.visibility import can_see
from afteraction.domain.actions import (
    ACTION_STATUSES,
    ACTION_TYPES,
    PRIORITIES,
)
from afteraction.domain.incidents import INCIDENT_STATUSES, KINDS
from afteraction.domain.reviews import (
    POSTMORTEM_STATUSES,
    ParseWarning,
    PostmortemDocument,
)
from afteraction.incidents.models import Incident
from afteraction.incidents.service import (
    record_document_incident,
)
from afteraction.insights.search import refresh_search_index
from afteraction.reviews.document import load_document, save_postmortem
from afteraction.timeline.picture import picture_data
from afteraction.timeline.service import replace_timeline

if TYPE_CHECKING:
    from afteraction.documents.pdf import Printer

_INC = re.compile(r"^INC-(\d+)$", re.IGNORECASE)
EXPORT_FORMATS: tuple[str, ...] = ("md", "html", "json", "pdf")


@dataclass
class ImportResult:
    """What importing one file did."""

    path: str
    incident_id: str
    title: str
    created: bool
    warnings: list[ParseWarning] = field(default_factory=list)
    notes: list[ParseWarning] = field(default_factory=list)
    status: str = "draft"


@dataclass
class ImportReport:
    """What importing many files did."""

    results: list[ImportResult] = field(default_factory=list)

    @property
    def warnings(self) -> list[ParseWarning]:
        """Every warning of every file, in order."""
        return [warning for result in self.results for warning in result.warnings]

    @property
    def notes(self) -> list[ParseWarning]:
        """Where every file's key moments and status came from, in order."""
        return [note for result in self.results for note in result.notes]


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


def _find_incident(session: Session, doc: PostmortemDocument, actor: Actor) -> tuple[Incident | None, int | None]:
    """The incident a document updates (by INC id, then by external reference), and its wanted number.

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
    return None, wanted


def _validate(doc: PostmortemDocument, where: str, severities: Sequence[str]) -> None:
    """Raise InvalidInput naming the file and field when a value is not one the domain allows."""

    def check(value: str | None, allowed: Sequence[str], name: str) -> None:
        if value is not None and value.lower() not in {a.lower() for a in allowed}:
            raise InvalidInput(f"{where}: invalid {name} {value!r}: expected one of {', '.join(allowed)}", field=name)

    check(doc.kind, KINDS, "kind")
    check(doc.severity, severities, "severity")
    check(doc.status, POSTMORTEM_STATUSES, "status")
    check(doc.incident_status, INCIDENT_STATUSES, "incident_status")
    for action in doc.actions:
        check(action.type, ACTION_TYPES, "action type")
        check(action.priority, PRIORITIES, "action priority")
        check(action.status, ACTION_STATUSES, "action status")
    for entry in doc.timeline:
        if entry.at is not None and entry.at.tzinfo is None:
            raise InvalidInput(f"{where}: timeline time {entry.at} has no zone", field="timeline")


def save_document(
    session: Session,
    doc: PostmortemDocument,
    *,
    severities: Sequence[str],
    source_path: str | None = None,
    history_before: datetime | None = None,
    actor: Actor,
) -> tuple[Incident, bool]:
    """Create or update the incident and post-mortem a document describes; returns the row and whether it is new.
    An incident that happened before `history_before` is history: its items were opened and closed back then.

    A document naming (by INC id or external reference) an incident the actor may not see is NotFound.
    """
    where = doc.path or source_path or doc.id or doc.title
    _validate(doc, where, severities)
    found, wanted = _find_incident(session, doc, actor)
    incident = record_document_incident(
        session, doc=doc, found=found, wanted=wanted, external_ref=_external_ref(doc), severities=severities
    )
    created = found is None
    factor_ids, why_ids = save_postmortem(session, incident=incident, doc=doc, source_path=source_path)
    replace_timeline(session, incident.id, doc.timeline)
    replace_actions(session, incident, doc.actions, factor_ids, why_ids, where, history_before=history_before)
    session.flush()
    return incident, created


def store_document(
    db: Database,
    *,
    doc: PostmortemDocument,
    severities: Sequence[str],
    source_path: str | None = None,
    options: ImportOptions | None = None,
    actor: Actor,
) -> ImportResult:
    """Create or update one post-mortem from a document, in one transaction (NotFound when it names an incident
    the actor may not see); with `options`, the document is read as history (`as_imported`)."""
    if options is not None:
        doc = as_imported(doc, options)
    with db.transaction() as session:
        incident, created = save_document(
            session, doc, severities=severities, source_path=source_path,
            history_before=options.history_before() if options is not None else None, actor=actor,
        )  # fmt: skip
        refresh_search_index(session, [incident.id])
        return ImportResult(
            path=source_path or "", incident_id=incident.key, title=incident.title, created=created,
            warnings=list(doc.warnings), notes=list(doc.notes), status=doc.status,
        )  # fmt: skip


def import_files(
    db: Database,
    *,
    paths: Sequence[Path],
    severities: Sequence[str],
    progress: Callable[[Path], None] | None = None,
    json_max_depth: int | None = None,
    options: ImportOptions | None = None,
    actor: Actor,
) -> ImportReport:
    """Import Markdown post-mortems: every file is parsed first, then all are written in one transaction (none when
    one names an incident the actor may not see: NotFound). JSON files nest at most `json_max_depth` deep
    (AFTERACTION_JSON_MAX_DEPTH; default: its default). Each document is read as history by `options` (default:
    `ImportOptions()`): see `as_imported`."""
    from afteraction.documents.parse import parse_file

    settle = options or ImportOptions()
    docs: list[tuple[Path, PostmortemDocument]] = []
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
        docs.append((path, as_imported(parse_file(path, max_depth=json_max_depth), settle)))
        if progress:
            progress(path)
    report = ImportReport()
    with db.transaction() as session:
        saved: list[int] = []
        for path, doc in docs:
            try:
                incident, created = save_document(
                    session, doc, severities=severities, source_path=str(path.resolve()),
                    history_before=settle.history_before(), actor=actor,
                )  # fmt: skip
            except InvalidInput as exc:  # say which file: the whole import is refused, nothing is written
                raise InvalidInput(f"{path}: {exc.message}", field=exc.field) from None
            saved.append(incident.id)
            report.results.append(
                ImportResult(
                    path=str(path),
                    incident_id=incident.key,
                    title=incident.title,
                    created=created,
                    warnings=list(doc.warnings),
                    notes=list(doc.notes),
                    status=doc.status,
                )
            )
        # One refresh for the whole batch: per document it would double the import time.
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
