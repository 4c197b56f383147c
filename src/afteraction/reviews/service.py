"""Use cases of post-mortems: load and save whole documents, import Markdown files, export them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from afteraction.accounts.schemas import Principal
from afteraction.actions.models import ActionItem
from afteraction.actions.schemas import (
    ACTION_STATUSES,
    ACTION_TYPES,
    CLOSED_ACTION_STATUSES,
    PRIORITIES,
    ActionItemData,
)
from afteraction.db import Database, utcnow
from afteraction.errors import InvalidInput
from afteraction.incidents.models import Incident, TimelineEvent
from afteraction.incidents.schemas import INCIDENT_STATUSES, KINDS, TimelineEntry
from afteraction.incidents.service import (
    check_choice,
    get_or_create_person,
    labels_of,
    load_incident,
    next_number,
    set_labels,
)
from afteraction.insights.search import refresh_search_index
from afteraction.reviews.models import (
    ContributingFactor,
    ExtraSection,
    Lesson,
    Postmortem,
    PostmortemPerson,
    WhyNode,
)
from afteraction.reviews.schemas import (
    POSTMORTEM_STATUSES,
    FactorData,
    LessonData,
    ParseWarning,
    PostmortemDocument,
    SectionData,
    WhyNodeData,
)
from afteraction.reviews.section_versions import touch_sections
from afteraction.timeline.service import TIMELINE_ORDER, derive_moments

_INC = re.compile(r"^INC-(\d+)$", re.IGNORECASE)
_ADDRESS = re.compile(r"^(?:F(\d+)|W(\d+(?:\.\d+)*))$", re.IGNORECASE)
EXPORT_FORMATS: tuple[str, ...] = ("md", "html", "json", "pdf")


@dataclass
class ImportResult:
    """What importing one file did."""

    path: str
    incident_id: str
    title: str
    created: bool
    warnings: list[ParseWarning] = field(default_factory=list)


@dataclass
class ImportReport:
    """What importing many files did."""

    results: list[ImportResult] = field(default_factory=list)

    @property
    def warnings(self) -> list[ParseWarning]:
        """Every warning of every file, in order."""
        return [warning for result in self.results for warning in result.warnings]


# ---------------------------------------------------------------- loading


def _why_tree(rows: Sequence[WhyNode]) -> tuple[list[WhyNodeData], dict[int, str]]:
    """The cause tree from flat rows, and each node's path (`1.2`) by row id."""
    children: dict[int | None, list[WhyNode]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    paths: dict[int, str] = {}

    def build(parent: int | None, prefix: str) -> list[WhyNodeData]:
        nodes = []
        for index, row in enumerate(sorted(children.get(parent, []), key=lambda r: (r.position, r.id)), 1):
            path = f"{prefix}{index}"
            paths[row.id] = path
            nodes.append(WhyNodeData(text=row.text, root_cause=row.is_root_cause, children=build(row.id, f"{path}.")))
        return nodes

    return build(None, ""), paths


def document_of(session: Session, incident: Incident) -> PostmortemDocument:
    """The whole post-mortem document of an incident row."""
    pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
    if pm is None:
        pm = Postmortem(incident_id=incident.id)
    pm_id = pm.id or -1
    people = session.scalars(
        select(PostmortemPerson)
        .where(PostmortemPerson.postmortem_id == pm_id)
        .options(joinedload(PostmortemPerson.person))
        .order_by(PostmortemPerson.position)
    ).all()
    whys, why_paths = _why_tree(session.scalars(select(WhyNode).where(WhyNode.postmortem_id == pm_id)).all())
    factor_rows = session.scalars(
        select(ContributingFactor)
        .where(ContributingFactor.postmortem_id == pm_id)
        .order_by(ContributingFactor.position)
    ).all()
    factor_refs = {row.id: f"F{index}" for index, row in enumerate(factor_rows, 1)}
    lessons = session.scalars(select(Lesson).where(Lesson.postmortem_id == pm_id).order_by(Lesson.position))
    sections = session.scalars(
        select(ExtraSection).where(ExtraSection.postmortem_id == pm_id).order_by(ExtraSection.position)
    )
    events = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident.id)
        .order_by(*TIMELINE_ORDER)
    )
    actions = session.scalars(
        select(ActionItem)
        .where(ActionItem.incident_id == incident.id)
        .options(joinedload(ActionItem.owner))
        .order_by(ActionItem.position, ActionItem.id)
    )
    timeline = [TimelineEntry.model_validate(event, from_attributes=True) for event in events]
    if incident.kind != "milestone":
        # Show derived key moments on the events they come from, so the Markdown timeline carries them.
        by_id = {entry.id: entry for entry in timeline}
        for moment, (_at, origin, event_id) in derive_moments(session, incident).items():
            entry = by_id.get(event_id)
            if origin == "derived" and entry is not None and entry.key_moment is None:
                entry.key_moment = moment
    extra = dict(incident.extra or {})
    external_ref = incident.external_ref
    return PostmortemDocument(
        id=incident.key,
        title=incident.title,
        kind=incident.kind,
        severity=incident.severity,
        status=pm.status or "draft",
        incident_status=incident.status,
        private=incident.private,
        services=labels_of(incident, "service"),
        teams=labels_of(incident, "team"),
        tags=labels_of(incident, "tag"),
        categories=labels_of(incident, "category"),
        authors=[p.person.name for p in people if p.role == "author"],
        reviewers=[p.person.name for p in people if p.role == "reviewer"],
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        due_date=pm.due_date,
        external_ref=external_ref,
        extra=extra,
        summary=pm.summary or "",
        impact=pm.impact or "",
        trigger=pm.trigger or "",
        detection=pm.detection or "",
        resolution=pm.resolution or "",
        timeline_note=pm.timeline_note or "",
        timeline=timeline,
        problem_statement=pm.problem_statement or "",
        whys=whys,
        factors=[FactorData(text=row.text, category=row.category) for row in factor_rows],
        lessons=[LessonData(kind=row.kind, text=row.text) for row in lessons],
        actions=[
            ActionItemData(
                id=f"AI-{item.id}",
                incident_id=incident.key,
                title=item.title,
                type=item.type,
                owner=item.owner.name if item.owner else None,
                due=item.due_date,
                priority=item.priority,
                status=item.status,
                tracker=item.tracker_key,
                addresses=factor_refs.get(item.factor_id or -1)
                or (f"W{why_paths[item.why_node_id]}" if item.why_node_id in why_paths else None),
            )
            for item in actions
        ],
        supporting_info=pm.supporting_info or "",
        sections=[SectionData(heading=row.heading, body=row.body) for row in sections],
    )


def load_document(db: Database, *, incident_id: str, viewer: Principal | None = None) -> PostmortemDocument:
    """The whole post-mortem document of an incident."""
    with db.transaction() as session:
        return document_of(session, load_incident(session, incident_id, viewer))


# ---------------------------------------------------------------- saving


def _external_ref(doc: PostmortemDocument) -> str | None:
    """A document's reference elsewhere: its external_ref, else an id that is not an INC id (PM2021-004, a uuid)."""
    if doc.external_ref:
        return doc.external_ref
    return doc.id if doc.id and not _INC.match(doc.id.strip()) else None


def _find_incident(session: Session, doc: PostmortemDocument) -> tuple[Incident | None, int | None]:
    """The incident a document updates (by INC id, then by external reference), and its wanted number."""
    wanted: int | None = None
    if doc.id:
        match = _INC.match(doc.id.strip())
        if match:
            wanted = int(match.group(1))
            found = session.scalar(select(Incident).where(Incident.number == wanted))
            if found is not None:
                return found, wanted
    ref = _external_ref(doc)
    if ref:
        found = session.scalar(select(Incident).where(Incident.external_ref == ref))
        if found is not None:
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


def _save_whys(session: Session, pm_id: int, nodes: Sequence[WhyNodeData]) -> dict[str, int]:
    """Insert the cause tree and return each node's row id by its path (`1.2`)."""
    paths: dict[str, int] = {}

    def insert(items: Sequence[WhyNodeData], parent: int | None, prefix: str) -> None:
        for index, node in enumerate(items, 1):
            row = WhyNode(
                postmortem_id=pm_id,
                parent_id=parent,
                text=node.text,
                is_root_cause=node.root_cause,
                position=index,
            )
            session.add(row)
            session.flush()
            path = f"{prefix}{index}"
            paths[path] = row.id
            insert(node.children, row.id, f"{path}.")

    insert(nodes, None, "")
    return paths


def _save_timeline(session: Session, incident_id: int, entries: Sequence[TimelineEntry]) -> None:
    """Replace an incident's timeline with the document's, keeping its order."""
    session.execute(delete(TimelineEvent).where(TimelineEvent.incident_id == incident_id))
    previous: datetime | None = None
    rows = []
    for position, entry in enumerate(entries):
        previous = entry.at or previous
        rows.append(
            TimelineEvent(
                incident_id=incident_id,
                at=entry.at,
                sort_at=previous,
                time_text=entry.time_text,
                source=entry.source,
                actor=entry.actor,
                kind=entry.kind,
                text=entry.text,
                link=entry.link,
                source_id=entry.source_id,
                key_moment=entry.key_moment,
                evidence=entry.evidence,
                position=position,
            )
        )
    session.add_all(rows)


def _save_actions(
    session: Session,
    incident: Incident,
    actions: Sequence[ActionItemData],
    factor_ids: Sequence[int],
    why_ids: dict[str, int],
    where: str,
) -> None:
    """Update the incident's action items to match the document, keeping the ids of items with the same title."""
    existing = list(
        session.scalars(select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(ActionItem.id))
    )
    by_title: dict[str, list[ActionItem]] = {}
    for item in existing:
        by_title.setdefault(item.title, []).append(item)
    kept: set[int] = set()
    for position, data in enumerate(actions):
        matches = by_title.get(data.title)
        item = matches.pop(0) if matches else ActionItem(incident_id=incident.id, opened_at=utcnow())
        factor_id = why_id = None
        if data.addresses:
            match = _ADDRESS.match(data.addresses.strip())
            if match and match.group(1) and 0 < int(match.group(1)) <= len(factor_ids):
                factor_id = factor_ids[int(match.group(1)) - 1]
            elif match and match.group(2) and match.group(2) in why_ids:
                why_id = why_ids[match.group(2)]
            else:
                raise InvalidInput(
                    f"{where}:{data.line or 0}: action item {data.title!r} addresses {data.addresses!r}, "
                    "which names no factor (F1…) or why (W1.2…) of this document",
                    field="addresses",
                )
        status = check_choice(data.status, ACTION_STATUSES, "status")
        if status in CLOSED_ACTION_STATUSES and item.closed_at is None:
            item.closed_at = utcnow()
        elif status not in CLOSED_ACTION_STATUSES:
            item.closed_at = None
        item.title = data.title
        item.type = check_choice(data.type, ACTION_TYPES, "type") if data.type else None
        item.priority = check_choice(data.priority, PRIORITIES, "priority") if data.priority else None
        item.owner = get_or_create_person(session, data.owner) if data.owner and data.owner.strip() else None
        item.due_date = data.due
        item.status = status
        item.tracker_key = data.tracker
        item.factor_id = factor_id
        item.why_node_id = why_id
        item.position = position
        session.add(item)
        session.flush()
        kept.add(item.id)
    for item in existing:
        if item.id not in kept:
            session.delete(item)


def save_document(
    session: Session, doc: PostmortemDocument, *, severities: Sequence[str], source_path: str | None = None
) -> tuple[Incident, bool]:
    """Create or update the incident and post-mortem a document describes; returns the row and whether it is new."""
    where = doc.path or source_path or doc.id or doc.title
    _validate(doc, where, severities)
    incident, wanted = _find_incident(session, doc)
    created = incident is None
    if incident is None:
        taken = wanted is not None and session.scalar(select(Incident.id).where(Incident.number == wanted))
        number = wanted if wanted is not None and not taken else next_number(session)
        incident = Incident(number=number, labels=[], extra={})
        session.add(incident)
    incident.title = doc.title.strip() or "Untitled"
    incident.kind = check_choice(doc.kind, KINDS, "kind")
    incident.severity = check_choice(doc.severity, severities, "severity") if doc.severity else None
    incident.status = doc.incident_status
    incident.private = doc.private
    incident.external_ref = _external_ref(doc)
    incident.extra = dict(doc.extra)
    for name in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        setattr(incident, name, getattr(doc, name))
    for kind, values in (
        ("service", doc.services),
        ("team", doc.teams),
        ("tag", doc.tags),
        ("category", doc.categories),
    ):
        set_labels(incident, kind, values)
    session.flush()

    pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
    if pm is None:
        pm = Postmortem(incident_id=incident.id)
        session.add(pm)
    pm.status = doc.status
    for name in (
        "summary", "impact", "trigger", "detection", "resolution",
        "problem_statement", "supporting_info", "timeline_note",
    ):  # fmt: skip
        setattr(pm, name, getattr(doc, name))
    pm.due_date = doc.due_date
    if source_path is not None:
        pm.source_path = source_path
    session.flush()
    touch_sections(session, pm.id)  # an editor holding an older section version must not overwrite this

    for table in (PostmortemPerson, WhyNode, ContributingFactor, Lesson, ExtraSection):
        session.execute(delete(table).where(table.postmortem_id == pm.id))
    for role, names in (("author", doc.authors), ("reviewer", doc.reviewers)):
        for position, name in enumerate(dict.fromkeys(n.strip() for n in names if n.strip())):
            person = get_or_create_person(session, name)
            session.add(PostmortemPerson(postmortem_id=pm.id, person_id=person.id, role=role, position=position))
    why_ids = _save_whys(session, pm.id, doc.whys)
    factors = [
        ContributingFactor(postmortem_id=pm.id, text=f.text, category=f.category, position=i)
        for i, f in enumerate(doc.factors)
    ]
    session.add_all(factors)
    session.add_all(
        Lesson(postmortem_id=pm.id, kind=lesson.kind, text=lesson.text, position=i)
        for i, lesson in enumerate(doc.lessons)
    )
    session.add_all(
        ExtraSection(postmortem_id=pm.id, heading=s.heading, body=s.body, position=i)
        for i, s in enumerate(doc.sections)
    )
    session.flush()
    _save_timeline(session, incident.id, doc.timeline)
    _save_actions(session, incident, doc.actions, [f.id for f in factors], why_ids, where)
    session.flush()
    return incident, created


def store_document(
    db: Database, *, doc: PostmortemDocument, severities: Sequence[str], source_path: str | None = None
) -> ImportResult:
    """Create or update one post-mortem from a document, in one transaction."""
    with db.transaction() as session:
        incident, created = save_document(session, doc, severities=severities, source_path=source_path)
        refresh_search_index(session, [incident.id])
        return ImportResult(
            path=source_path or "", incident_id=incident.key, title=incident.title, created=created,
            warnings=list(doc.warnings),
        )  # fmt: skip


def import_files(
    db: Database,
    *,
    paths: Sequence[Path],
    severities: Sequence[str],
    progress: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import Markdown post-mortems: every file is parsed first, then all are written in one transaction."""
    from afteraction.documents.parse import parse_file

    docs: list[tuple[Path, PostmortemDocument]] = []
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
        docs.append((path, parse_file(path)))
        if progress:
            progress(path)
    report = ImportReport()
    with db.transaction() as session:
        saved: list[int] = []
        for path, doc in docs:
            incident, created = save_document(session, doc, severities=severities, source_path=str(path.resolve()))
            saved.append(incident.id)
            report.results.append(
                ImportResult(
                    path=str(path),
                    incident_id=incident.key,
                    title=incident.title,
                    created=created,
                    warnings=list(doc.warnings),
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
    viewer: Principal | None = None,
) -> str | bytes:
    """The post-mortem of an incident as Markdown, HTML, JSON text or PDF bytes."""
    from afteraction.documents import pdf, render

    fmt = check_choice(fmt, EXPORT_FORMATS, "format")
    doc = load_document(db, incident_id=incident_id, viewer=viewer)
    if fmt == "md":
        return render.render_markdown(doc, template_dir=template_dir)
    if fmt == "html":
        return render.render_html(doc, template_dir=template_dir)
    if fmt == "json":
        return render.render_json(doc)
    return pdf.html_to_pdf(render.render_html(doc, template_dir=template_dir), browser=browser)
