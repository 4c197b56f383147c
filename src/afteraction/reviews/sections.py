"""Use cases of single post-mortem sections: read one with its version, write one only from its current version."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import cast

from pydantic import BaseModel, Field
from sqlalchemy import Table, delete, select, update

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.documents.parse import section_key
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import (
    LESSON_KINDS,
    FactorData,
    LessonData,
    PostmortemDocument,
    SectionData,
    WhyNodeData,
)
from afteraction.incidents.service import load_incident
from afteraction.reviews.amendments import SECTION_NAMES, note_amendment
from afteraction.reviews.document import carry, document_of, postmortem_row, remember, save_whys, why_tree
from afteraction.reviews.models import ContributingFactor, ExtraSection, Lesson, Postmortem, WhyNode
from afteraction.reviews.section_versions import SECTIONS, TEXT_SECTIONS, claim_section, section_versions

# Table-level UPDATEs: they leave the rows' own versions alone, so that edits of other sections never clash.
_POSTMORTEMS = cast(Table, Postmortem.__table__)
_ACTIONS = cast(Table, ActionItem.__table__)


class PostmortemView(PostmortemDocument):
    """The whole post-mortem with the version of each section (for If-Match on section writes)."""

    section_versions: dict[str, int] = Field(default_factory=dict)


class TextSection(BaseModel):
    """One prose section (summary, impact, trigger, …) and its version."""

    name: str
    text: str
    version: int


class WhysSection(BaseModel):
    """The cause tree (five whys, any depth and branches) and its version."""

    nodes: list[WhyNodeData]
    version: int


class FactorsSection(BaseModel):
    """The contributing factors and their version."""

    items: list[FactorData]
    version: int


class LessonsSection(BaseModel):
    """The lessons (went well, went wrong, lucky, learned) and their version."""

    items: list[LessonData]
    version: int


class ExtraSections(BaseModel):
    """The custom sections (those the format has no field for, such as an imported "Attendees") and their version."""

    items: list[SectionData]
    version: int


def _check_name(name: str) -> None:
    if name not in SECTIONS:
        raise NotFound(f"no post-mortem section {name!r}: expected one of {', '.join(SECTIONS)}")


def get_postmortem(db: Database, *, incident_id: str, actor: Actor) -> PostmortemView:
    """The whole post-mortem document of an incident, with its section versions."""
    return postmortem_and_document(db, incident_id=incident_id, actor=actor)[0]


def postmortem_and_document(
    db: Database, *, incident_id: str, actor: Actor
) -> tuple[PostmortemView, PostmortemDocument]:
    """The post-mortem with its section versions and the document it was read from (which keeps its action items'
    ids), read once: the editor needs both."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        doc = document_of(session, incident)
        pm = postmortem_row(session, incident)
        return PostmortemView(**doc.model_dump(), section_versions=section_versions(session, pm.id)), doc


def get_text_section(db: Database, *, incident_id: str, name: str, actor: Actor) -> TextSection:
    """One prose section of a post-mortem, with its version."""
    if name not in TEXT_SECTIONS:
        raise NotFound(f"no prose section {name!r}: expected one of {', '.join(TEXT_SECTIONS)}")
    with db.transaction() as session:
        pm = postmortem_row(session, load_incident(session, incident_id, actor))
        return TextSection(name=name, text=getattr(pm, name) or "", version=section_versions(session, pm.id)[name])


def update_text_section(
    db: Database,
    *,
    incident_id: str,
    name: str,
    text: str,
    expected_version: int | None = None,
    actor: Actor,
    policy: Policy | None = None,
) -> TextSection:
    """Replace one prose section; Conflict when it moved past `expected_version` meanwhile."""
    if name not in TEXT_SECTIONS:
        raise NotFound(f"no prose section {name!r}: expected one of {', '.join(TEXT_SECTIONS)}")
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = postmortem_row(session, incident)
        version = claim_section(session, pm.id, name, expected_version, f"the {name} of {incident.key}")
        changed = [SECTION_NAMES.get(name, name)] if (getattr(pm, name) or "") != text else []
        note_amendment(session, pm, actor, changed, policy=policy)
        session.execute(update(_POSTMORTEMS).where(Postmortem.id == pm.id).values({name: text, "updated_at": utcnow()}))
        return TextSection(name=name, text=text, version=version)


def get_whys(db: Database, *, incident_id: str, actor: Actor) -> WhysSection:
    """The cause tree of a post-mortem, with its version."""
    with db.transaction() as session:
        pm = postmortem_row(session, load_incident(session, incident_id, actor))
        nodes, _paths = why_tree(session.scalars(select(WhyNode).where(WhyNode.postmortem_id == pm.id)).all())
        return WhysSection(nodes=nodes, version=section_versions(session, pm.id)["whys"])


def replace_whys(
    db: Database,
    *,
    incident_id: str,
    nodes: Sequence[WhyNodeData],
    expected_version: int | None = None,
    actor: Actor,
    policy: Policy | None = None,
) -> WhysSection:
    """Replace the cause tree; comments and action items stay on the why each concerns (see reviews/carry.py)."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = postmortem_row(session, incident)
        version = claim_section(session, pm.id, "whys", expected_version, f"the whys of {incident.key}")
        note_amendment(session, pm, actor, [SECTION_NAMES["whys"]], policy=policy)
        before = remember(session, pm.id, ("why",))
        linked = session.execute(
            select(ActionItem.id, ActionItem.why_node_id).where(
                ActionItem.incident_id == incident.id, ActionItem.why_node_id.is_not(None)
            )
        ).all()
        session.execute(delete(WhyNode).where(WhyNode.postmortem_id == pm.id))
        save_whys(session, pm.id, nodes)
        became = carry(session, before)["why"]
        for action_id, node_id in linked:
            session.execute(
                update(_ACTIONS).where(ActionItem.id == action_id).values(why_node_id=became.get(node_id or -1))
            )
        return WhysSection(nodes=list(nodes), version=version)


def get_factors(db: Database, *, incident_id: str, actor: Actor) -> FactorsSection:
    """The contributing factors of a post-mortem, with their version."""
    with db.transaction() as session:
        pm = postmortem_row(session, load_incident(session, incident_id, actor))
        rows = session.scalars(
            select(ContributingFactor)
            .where(ContributingFactor.postmortem_id == pm.id)
            .order_by(ContributingFactor.position)
        )
        items = [FactorData(text=row.text, category=row.category) for row in rows]
        return FactorsSection(items=items, version=section_versions(session, pm.id)["factors"])


def replace_factors(
    db: Database,
    *,
    incident_id: str,
    items: Sequence[FactorData],
    expected_version: int | None = None,
    actor: Actor,
    policy: Policy | None = None,
) -> FactorsSection:
    """Replace the contributing factors; comments and action items stay on the factor each concerns."""
    for item in items:
        if not item.text.strip():
            raise InvalidInput("a contributing factor needs text", field="items")
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = postmortem_row(session, incident)
        version = claim_section(session, pm.id, "factors", expected_version, f"the factors of {incident.key}")
        note_amendment(session, pm, actor, [SECTION_NAMES["factors"]], policy=policy)
        before = remember(session, pm.id, ("factor",))
        linked = session.execute(
            select(ActionItem.id, ActionItem.factor_id).where(
                ActionItem.incident_id == incident.id, ActionItem.factor_id.is_not(None)
            )
        ).all()
        session.execute(delete(ContributingFactor).where(ContributingFactor.postmortem_id == pm.id))
        rows = [
            ContributingFactor(postmortem_id=pm.id, text=item.text.strip(), category=item.category, position=index)
            for index, item in enumerate(items)
        ]
        session.add_all(rows)
        became = carry(session, before)["factor"]
        for action_id, factor_id in linked:
            session.execute(
                update(_ACTIONS).where(ActionItem.id == action_id).values(factor_id=became.get(factor_id or -1))
            )
        return FactorsSection(items=list(items), version=version)


def get_lessons(db: Database, *, incident_id: str, actor: Actor) -> LessonsSection:
    """The lessons of a post-mortem, with their version."""
    with db.transaction() as session:
        pm = postmortem_row(session, load_incident(session, incident_id, actor))
        rows = session.scalars(select(Lesson).where(Lesson.postmortem_id == pm.id).order_by(Lesson.position))
        items = [LessonData(kind=row.kind, text=row.text) for row in rows]
        return LessonsSection(items=items, version=section_versions(session, pm.id)["lessons"])


def replace_lessons(
    db: Database,
    *,
    incident_id: str,
    items: Sequence[LessonData],
    expected_version: int | None = None,
    actor: Actor,
    policy: Policy | None = None,
) -> LessonsSection:
    """Replace the lessons (went-well, went-wrong, lucky, learned)."""
    for item in items:
        if item.kind not in LESSON_KINDS:
            raise InvalidInput(
                f"invalid lesson kind {item.kind!r}: expected one of {', '.join(LESSON_KINDS)}", field="kind"
            )
        if not item.text.strip():
            raise InvalidInput("a lesson needs text", field="text")
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = postmortem_row(session, incident)
        version = claim_section(session, pm.id, "lessons", expected_version, f"the lessons of {incident.key}")
        note_amendment(session, pm, actor, [SECTION_NAMES["lessons"]], policy=policy)
        before = remember(session, pm.id, ("lesson",))
        session.execute(delete(Lesson).where(Lesson.postmortem_id == pm.id))
        session.add_all(
            Lesson(postmortem_id=pm.id, kind=item.kind, text=item.text.strip(), position=index)
            for index, item in enumerate(items)
        )
        carry(session, before)
        return LessonsSection(items=list(items), version=version)


HEADING_MAX = 300  # the column's length
_TOP_HEADING = re.compile(r"^ {0,3}#{1,2}(?:[ \t]|$)")


def check_extra_section(item: SectionData, kept: Collection[str] = ()) -> SectionData:
    """A custom section with its heading and text cleaned; refused when it has no heading, when the heading names a
    section of its own (Summary, Lessons learned, …) unless it is one already `kept` (an import keeps a "Root Cause"
    written as prose so), or when its text starts a section of its own (a heading as large as the section's): once
    exported and read back, either would no longer be this section."""
    heading = " ".join(item.heading.split())
    if not heading:
        raise InvalidInput("a custom section needs a heading", field="heading")
    if len(heading) > HEADING_MAX:
        raise InvalidInput(f"a custom section's heading is at most {HEADING_MAX} characters", field="heading")
    if section_key(heading) is not None and heading not in kept:
        raise InvalidInput(
            f"{heading!r} is a section of its own in the post-mortem: write it there, or choose another heading",
            field="heading",
        )
    body = item.body.replace("\r\n", "\n").strip("\n")
    fenced = False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and _TOP_HEADING.match(line):
            raise InvalidInput(
                f"the text of {heading!r} has a heading as large as the section's own ({line.strip()[:60]!r}): "
                "make it a smaller heading, or add it as a section of its own",
                field="body",
            )
    return SectionData(heading=heading, body=body)


def get_extra_sections(db: Database, *, incident_id: str, actor: Actor) -> ExtraSections:
    """The custom sections of a post-mortem, in order, with their version."""
    with db.transaction() as session:
        pm = postmortem_row(session, load_incident(session, incident_id, actor))
        rows = session.scalars(
            select(ExtraSection).where(ExtraSection.postmortem_id == pm.id).order_by(ExtraSection.position)
        )
        items = [SectionData(heading=row.heading, body=row.body) for row in rows]
        return ExtraSections(items=items, version=section_versions(session, pm.id)["sections"])


def replace_extra_sections(
    db: Database,
    *,
    incident_id: str,
    items: Sequence[SectionData],
    expected_version: int | None = None,
    actor: Actor,
    policy: Policy | None = None,
) -> ExtraSections:
    """Replace the custom sections (heading and text, in order); Conflict when they moved past `expected_version`."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = postmortem_row(session, incident)
        kept = set(session.scalars(select(ExtraSection.heading).where(ExtraSection.postmortem_id == pm.id)).all())
        clean = [check_extra_section(item, kept) for item in items]
        version = claim_section(session, pm.id, "sections", expected_version, f"the custom sections of {incident.key}")
        note_amendment(session, pm, actor, [SECTION_NAMES["sections"]], policy=policy)
        before = remember(session, pm.id, ("section",))
        session.execute(delete(ExtraSection).where(ExtraSection.postmortem_id == pm.id))
        session.add_all(
            ExtraSection(postmortem_id=pm.id, heading=item.heading, body=item.body, position=index)
            for index, item in enumerate(clean)
        )
        carry(session, before)
        return ExtraSections(items=clean, version=version)
