"""The post-mortem as one document: read whole from its rows, and its cause tree saved."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.actions import (
    ActionItemData,
)
from afteraction.domain.carry import Placed, carry_over
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import (
    FactorData,
    LessonData,
    PostmortemDocument,
    SectionData,
    WhyNodeData,
)
from afteraction.incidents.models import Incident
from afteraction.incidents.service import labels_of, load_incident
from afteraction.people.service import get_or_create_person
from afteraction.reviews.models import (
    Comment,
    ContributingFactor,
    ExtraSection,
    Lesson,
    Postmortem,
    PostmortemPerson,
    WhyNode,
)
from afteraction.reviews.section_versions import touch_sections
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import TIMELINE_ORDER, derive_moments


def why_tree(rows: Sequence[WhyNode]) -> tuple[list[WhyNodeData], dict[int, str]]:
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


def postmortem_row(session: Session, incident: Incident) -> Postmortem:
    """The post-mortem row of an incident, added (and flushed, so it has its id) when it has none: incidents always
    get one on creation, but a row written by hand may lack it."""
    pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
    if pm is None:
        pm = Postmortem(incident_id=incident.id)
        session.add(pm)
        session.flush()
    return pm


def document_of(session: Session, incident: Incident, *, whole_timeline: bool = False) -> PostmortemDocument:
    """The post-mortem document of an incident row. Its timeline is the highlights (the events that tell the story,
    read along their own index: a timeline of a million events costs what its highlights do); `whole_timeline`
    reads every event instead (the JSON export)."""
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
    whys, why_paths = why_tree(session.scalars(select(WhyNode).where(WhyNode.postmortem_id == pm_id)).all())
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
    events_query = select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
    if not whole_timeline:
        events_query = events_query.where(TimelineEvent.highlight)
    events = session.scalars(events_query.order_by(*TIMELINE_ORDER))
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
        amended_at=pm.amended_at,
        amended_by=pm.amended_by,
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
                details=dict(item.details or {}),
                addresses=factor_refs.get(item.factor_id or -1)
                or (f"W{why_paths[item.why_node_id]}" if item.why_node_id in why_paths else None),
            )
            for item in actions
        ],
        supporting_info=pm.supporting_info or "",
        sections=[SectionData(heading=row.heading, body=row.body) for row in sections],
    )


def load_document(db: Database, *, incident_id: str, whole_timeline: bool = False, actor: Actor) -> PostmortemDocument:
    """The post-mortem document of an incident, its timeline the highlights (every event with `whole_timeline`)."""
    with db.transaction() as session:
        return document_of(session, load_incident(session, incident_id, actor), whole_timeline=whole_timeline)


def save_whys(session: Session, pm_id: int, nodes: Sequence[WhyNodeData]) -> dict[str, int]:
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


def save_postmortem(
    session: Session, *, incident: Incident, doc: PostmortemDocument, source_path: str | None
) -> tuple[list[int], dict[str, int]]:
    """Write the post-mortem a document describes (its fields, people, cause tree, factors, lessons, sections);
    returns the factors' row ids in order and the why-nodes' row ids by path, for action items to address."""
    pm = postmortem_row(session, incident)
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

    before = remember(session, pm.id)
    for table in (PostmortemPerson, WhyNode, ContributingFactor, Lesson, ExtraSection):
        session.execute(delete(table).where(table.postmortem_id == pm.id))
    for role, names in (("author", doc.authors), ("reviewer", doc.reviewers)):
        for position, name in enumerate(dict.fromkeys(n.strip() for n in names if n.strip())):
            person = get_or_create_person(session, name)
            session.add(PostmortemPerson(postmortem_id=pm.id, person_id=person.id, role=role, position=position))
    why_ids = save_whys(session, pm.id, doc.whys)
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
    carry(session, before)  # comments stay on what they concern (flushes)
    return [factor.id for factor in factors], why_ids


# ---------------------------------------------------------------- rewriting keeps links
#
# Comments and action items stay on what they concern when a post-mortem's whys, factors, lessons or custom sections
# are written anew (each write deletes the rows and inserts them again, with new ids):
#
#     before = remember(session, pm.id, ("why",))
#     ... delete and insert the whys ...
#     became = carry(session, before)["why"]     # comments moved; old row id -> new row id, for action items
#
# A comment whose target is gone keeps it as a negative id (-old), which no row has: the page shows the thread as
# "removed since" under the label it had, and a row that later gets the old id (SQLite reuses them) is not its
# target. domain/carry.py says how a row is matched to the row it became.


REWRITTEN_KINDS: tuple[str, ...] = ("why", "factor", "lesson", "section")


@dataclass(frozen=True)
class Before:
    """A post-mortem's rows of some kinds and the comments on them, as they were before a rewrite."""

    postmortem_id: int
    rows: dict[str, list[Placed]]
    comments: dict[str, list[tuple[int, int]]]  # kind: (comment id, target row id)


def placed_rows(session: Session, postmortem_id: int, kind: str) -> list[Placed]:
    """The rows of one kind of a post-mortem with their place and text, in order."""
    if kind == "why":
        nodes = session.scalars(select(WhyNode).where(WhyNode.postmortem_id == postmortem_id)).all()
        _tree, paths = why_tree(nodes)
        return [Placed(node.id, paths.get(node.id, ""), node.text) for node in nodes]
    if kind == "factor":
        factors = session.scalars(
            select(ContributingFactor)
            .where(ContributingFactor.postmortem_id == postmortem_id)
            .order_by(ContributingFactor.position, ContributingFactor.id)
        )
        return [Placed(row.id, str(index), row.text) for index, row in enumerate(factors)]
    if kind == "lesson":
        lessons = session.scalars(
            select(Lesson).where(Lesson.postmortem_id == postmortem_id).order_by(Lesson.position, Lesson.id)
        )
        return [Placed(row.id, str(index), f"{row.kind}: {row.text}") for index, row in enumerate(lessons)]
    sections = session.scalars(
        select(ExtraSection)
        .where(ExtraSection.postmortem_id == postmortem_id)
        .order_by(ExtraSection.position, ExtraSection.id)
    )
    return [Placed(row.id, str(index), row.heading) for index, row in enumerate(sections)]


def remember(session: Session, postmortem_id: int, kinds: Iterable[str] = REWRITTEN_KINDS) -> Before:
    """The rows of `kinds` and the comments on them, before they are deleted and written again."""
    rows = {kind: placed_rows(session, postmortem_id, kind) for kind in kinds}
    targets = session.execute(
        select(Comment.id, Comment.target_kind, Comment.target_id).where(
            Comment.postmortem_id == postmortem_id,
            Comment.target_kind.in_(list(rows)),
            Comment.target_id.is_not(None),
        )
    ).all()
    comments: dict[str, list[tuple[int, int]]] = {kind: [] for kind in rows}
    for comment_id, kind, target_id in targets:
        if target_id is not None:
            comments[kind].append((comment_id, target_id))
    return Before(postmortem_id, rows, comments)


def carry(session: Session, before: Before) -> dict[str, dict[int, int]]:
    """After the rewrite: each comment moved to the row its target became (or marked gone); returns, per kind, the
    new row id of each old one, for the caller's other links (action items)."""
    session.flush()
    moved: dict[str, dict[int, int]] = {}
    for kind, old_rows in before.rows.items():
        mapping = carry_over(old_rows, placed_rows(session, before.postmortem_id, kind))
        moved[kind] = mapping
        for comment_id, target_id in before.comments[kind]:
            new_id = mapping.get(target_id, -abs(target_id)) if target_id > 0 else target_id
            if new_id != target_id:
                session.execute(update(Comment).where(Comment.id == comment_id).values(target_id=new_id))
    return moved
