"""The post-mortem document: everything one review holds, as the Markdown format and the services exchange it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from afteraction.domain.actions import ActionItemData
from afteraction.domain.incidents import TimelineEntry

POSTMORTEM_STATUSES: tuple[str, ...] = ("draft", "in-review", "approved", "published", "closed")
LESSON_KINDS: tuple[str, ...] = ("went-well", "went-wrong", "lucky", "learned")


class WhyNodeData(BaseModel):
    """A node of the cause tree: the answer to one "why?", with its own whys below it."""

    text: str
    root_cause: bool = False
    children: list[WhyNodeData] = Field(default_factory=list)
    line: int | None = Field(default=None, exclude=True)


class FactorData(BaseModel):
    """A contributing factor and its category."""

    text: str
    category: str | None = None
    line: int | None = Field(default=None, exclude=True)


class LessonData(BaseModel):
    """One lesson: went-well, went-wrong, lucky, or a general lesson learned."""

    kind: str
    text: str
    line: int | None = Field(default=None, exclude=True)


class SectionData(BaseModel):
    """A section kept verbatim because the format has no field for it."""

    heading: str
    body: str = ""
    line: int | None = Field(default=None, exclude=True)


class ParseWarning(BaseModel):
    """Something in a document that could not be understood, kept as text and reported."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class PostmortemDocument(BaseModel):
    """One incident and its post-mortem, whole: what export writes and import reads."""

    id: str | None = None
    title: str
    kind: str = "incident"
    severity: str | None = None
    status: str = "draft"
    incident_status: str = "open"
    # Changed after it was published: when and by whom ("amended after publication").
    amended_at: datetime | None = None
    amended_by: str | None = None
    private: bool = False
    services: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    due_date: date | None = None
    external_ref: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    summary: str = ""
    impact: str = ""
    trigger: str = ""
    detection: str = ""
    resolution: str = ""
    timeline_note: str = ""
    timeline: list[TimelineEntry] = Field(default_factory=list)
    problem_statement: str = ""
    whys: list[WhyNodeData] = Field(default_factory=list)
    factors: list[FactorData] = Field(default_factory=list)
    lessons: list[LessonData] = Field(default_factory=list)
    actions: list[ActionItemData] = Field(default_factory=list)
    supporting_info: str = ""
    sections: list[SectionData] = Field(default_factory=list)

    path: str | None = Field(default=None, exclude=True)
    section_lines: dict[str, int] = Field(default_factory=dict, exclude=True)
    warnings: list[ParseWarning] = Field(default_factory=list, exclude=True)
    notes: list[ParseWarning] = Field(default_factory=list, exclude=True)  # where import found each key moment

    def lessons_of(self, kind: str) -> list[LessonData]:
        """The lessons of one kind, in order."""
        return [lesson for lesson in self.lessons if lesson.kind == kind]
