"""Post-mortems: the whole document, each prose section, the cause tree, factors and lessons, each with a version."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from afteraction.domain.reviews import FactorData, LessonData, WhyNodeData
from afteraction.reviews import sections
from afteraction.web.api.common import Text, Version
from afteraction.web.deps import AppPolicy, Db, Editor, IfMatch, IncidentId, Viewer, etag, pick_version

router = APIRouter(tags=["post-mortems"])

SectionName = Literal[
    "summary", "impact", "trigger", "detection", "resolution", "problem_statement", "supporting_info", "timeline_note"
]
SectionPath = Annotated[SectionName, Path(description="A prose section of the post-mortem.")]
LongText = Annotated[Text, Field(max_length=200_000)]


class TextSectionIn(BaseModel):
    """The new text of a prose section, based on a version (If-Match or `version`)."""

    model_config = ConfigDict(extra="forbid")

    text: LongText
    version: Version | None = None


class WhyNodeIn(BaseModel):
    """A why of the cause tree, with the whys below it."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[Text, Field(min_length=1, max_length=10_000)]
    root_cause: bool = False
    children: Annotated[list[WhyNodeIn], Field(max_length=50)] = []

    def data(self) -> WhyNodeData:
        """The domain node."""
        return WhyNodeData(text=self.text, root_cause=self.root_cause, children=[c.data() for c in self.children])


class WhysIn(BaseModel):
    """The whole cause tree, replacing the current one."""

    model_config = ConfigDict(extra="forbid")

    nodes: Annotated[list[WhyNodeIn], Field(max_length=50)]
    version: Version | None = None


class FactorIn(BaseModel):
    """A contributing factor and its category."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[Text, Field(min_length=1, max_length=10_000)]
    category: Annotated[Text | None, Field(max_length=60)] = None


class FactorsIn(BaseModel):
    """Every contributing factor, replacing the current ones."""

    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[FactorIn], Field(max_length=200)]
    version: Version | None = None


class LessonIn(BaseModel):
    """A lesson: went-well, went-wrong, lucky or learned."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["went-well", "went-wrong", "lucky", "learned"]
    text: Annotated[Text, Field(min_length=1, max_length=10_000)]


class LessonsIn(BaseModel):
    """Every lesson, replacing the current ones."""

    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[LessonIn], Field(max_length=200)]
    version: Version | None = None


@router.get("/incidents/{incident_id}/postmortem", response_model=sections.PostmortemView)
def get_postmortem(incident_id: IncidentId, user: Viewer, db: Db) -> sections.PostmortemView:
    """The whole post-mortem: incident fields, sections, timeline, whys, factors, lessons, action items, and the
    version of each section."""
    return sections.get_postmortem(db, incident_id=incident_id, actor=user)


@router.get("/incidents/{incident_id}/postmortem/sections/{name}", response_model=sections.TextSection)
def get_section(
    incident_id: IncidentId, name: SectionPath, user: Viewer, db: Db, response: Response
) -> sections.TextSection:
    """One prose section and its version (the ETag)."""
    found = sections.get_text_section(db, incident_id=incident_id, name=name, actor=user)
    response.headers["ETag"] = etag(found.version)
    return found


@router.put("/incidents/{incident_id}/postmortem/sections/{name}", response_model=sections.TextSection)
def put_section(
    incident_id: IncidentId,
    name: SectionPath,
    body: TextSectionIn,
    user: Editor,
    db: Db,
    if_match: IfMatch,
    response: Response,
    policy: AppPolicy,
) -> sections.TextSection:
    """Replace a prose section; 409 with the current version when someone changed it since yours."""
    found = sections.update_text_section(
        db,
        incident_id=incident_id,
        name=name,
        text=body.text,
        expected_version=pick_version(if_match, body.version),
        actor=user,
        policy=policy,
    )
    response.headers["ETag"] = etag(found.version)
    return found


@router.get("/incidents/{incident_id}/postmortem/whys", response_model=sections.WhysSection)
def get_whys(incident_id: IncidentId, user: Viewer, db: Db, response: Response) -> sections.WhysSection:
    """The cause tree (five whys, any depth, several branches) and its version."""
    found = sections.get_whys(db, incident_id=incident_id, actor=user)
    response.headers["ETag"] = etag(found.version)
    return found


@router.put("/incidents/{incident_id}/postmortem/whys", response_model=sections.WhysSection)
def put_whys(
    incident_id: IncidentId,
    body: WhysIn,
    user: Editor,
    db: Db,
    if_match: IfMatch,
    response: Response,
    policy: AppPolicy,
) -> sections.WhysSection:
    """Replace the cause tree; comments and action items stay on the why each concerns (matched by its text, then
    its place). A published post-mortem is marked amended (and, by policy, returns to review)."""
    found = sections.replace_whys(
        db,
        incident_id=incident_id,
        nodes=[node.data() for node in body.nodes],
        expected_version=pick_version(if_match, body.version),
        actor=user,
        policy=policy,
    )
    response.headers["ETag"] = etag(found.version)
    return found


@router.get("/incidents/{incident_id}/postmortem/factors", response_model=sections.FactorsSection)
def get_factors(incident_id: IncidentId, user: Viewer, db: Db, response: Response) -> sections.FactorsSection:
    """The contributing factors and their version."""
    found = sections.get_factors(db, incident_id=incident_id, actor=user)
    response.headers["ETag"] = etag(found.version)
    return found


@router.put("/incidents/{incident_id}/postmortem/factors", response_model=sections.FactorsSection)
def put_factors(
    incident_id: IncidentId,
    body: FactorsIn,
    user: Editor,
    db: Db,
    if_match: IfMatch,
    response: Response,
    policy: AppPolicy,
) -> sections.FactorsSection:
    """Replace the contributing factors; comments and action items stay on the factor each concerns."""
    found = sections.replace_factors(
        db,
        incident_id=incident_id,
        items=[FactorData(text=item.text, category=item.category) for item in body.items],
        expected_version=pick_version(if_match, body.version),
        actor=user,
        policy=policy,
    )
    response.headers["ETag"] = etag(found.version)
    return found


@router.get("/incidents/{incident_id}/postmortem/lessons", response_model=sections.LessonsSection)
def get_lessons(incident_id: IncidentId, user: Viewer, db: Db, response: Response) -> sections.LessonsSection:
    """The lessons and their version."""
    found = sections.get_lessons(db, incident_id=incident_id, actor=user)
    response.headers["ETag"] = etag(found.version)
    return found


@router.put("/incidents/{incident_id}/postmortem/lessons", response_model=sections.LessonsSection)
def put_lessons(
    incident_id: IncidentId,
    body: LessonsIn,
    user: Editor,
    db: Db,
    if_match: IfMatch,
    response: Response,
    policy: AppPolicy,
) -> sections.LessonsSection:
    """Replace the lessons."""
    found = sections.replace_lessons(
        db,
        incident_id=incident_id,
        items=[LessonData(kind=item.kind, text=item.text) for item in body.items],
        expected_version=pick_version(if_match, body.version),
        actor=user,
        policy=policy,
    )
    response.headers["ETag"] = etag(found.version)
    return found
