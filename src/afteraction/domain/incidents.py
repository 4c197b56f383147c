"""Domain objects of the incident aggregate, as services return them and faces print them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["incident", "near-miss", "failed-deploy", "milestone"]
KINDS: tuple[str, ...] = ("incident", "near-miss", "failed-deploy", "milestone")
KEY_MOMENTS: tuple[str, ...] = ("started", "detected", "acknowledged", "mitigated", "resolved")
INCIDENT_STATUSES: tuple[str, ...] = ("open", "mitigated", "resolved", "closed")
MOMENT_ORIGINS: tuple[str, ...] = ("manual", "marked", "derived")


def status_after_moments(current: str, mitigated: bool, resolved: bool) -> str:
    """The status of an incident whose status nobody set by hand: resolved when it has a resolved moment, mitigated
    when only a mitigated one, else open; a closed incident stays closed."""
    if current == "closed":
        return current
    return "resolved" if resolved else "mitigated" if mitigated else "open"


class TimelineEntry(BaseModel):
    """One timeline event; `at` is UTC, or None when the source gave a time that could not be understood."""

    model_config = ConfigDict(from_attributes=True)

    id: int | None = Field(default=None, exclude=True)
    at: datetime | None = None
    time_text: str | None = None
    source: str = "manual"
    actor: str | None = None
    kind: str = "note"
    text: str
    link: str | None = None
    source_id: str | None = None
    key_moment: str | None = None
    evidence: str | None = None
    parent_source_id: str | None = Field(default=None, exclude=True)
    line: int | None = Field(default=None, exclude=True)
    channel: str | None = None  # where a chat message was said (a Slack channel's name)
    highlight: bool = False  # one of the events that tell the story (domain.highlights)


class KeyMoments(BaseModel):
    """The five key moments of an incident, in UTC."""

    started_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None


class IncidentSummary(BaseModel):
    """An incident as lists and detail views show it; its key moments are the effective ones (hand-set, else marked,
    else derived from the timeline), as stored on the incident."""

    id: str
    title: str
    kind: str = "incident"
    severity: str | None = None
    status: str = "open"
    private: bool = False
    services: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    # Where each effective moment above came from: manual (hand-set), marked (on an event) or derived (timeline).
    moment_origins: dict[str, str] = Field(default_factory=dict)
    time_to_detect_s: float | None = None
    time_to_acknowledge_s: float | None = None
    time_to_mitigate_s: float | None = None
    time_to_resolve_s: float | None = None
    status_set_by_hand: bool = False
    # When it happened, by which lists, the dashboard and insights count it; None: date unknown (an undated document).
    happened_at: datetime | None = None
    postmortem_status: str | None = None
    action_items_open: int = 0
    extra: dict[str, Any] = Field(default_factory=dict)
    version: int = 1
    created_at: datetime | None = None


TITLE_MAX = 500  # characters, as the incidents table stores them
LABEL_MAX = 200  # characters of one service, team or tag


class NewIncident(BaseModel):
    """What recording an incident takes; the incidents service checks it (kind, severity, lengths) for every face."""

    title: str
    severity: str | None = None
    kind: str = "incident"
    started_at: datetime | None = None
    services: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    private: bool = False
    members: list[int] = Field(default_factory=list)  # user ids besides the creator's


class IncidentChanges(BaseModel):
    """The fields of an incident a change sets; None leaves a field as it is. `moments` sets key moments by hand
    (a None value clears one); `expected_version` refuses a change based on an older version."""

    title: str | None = None
    severity: str | None = None
    kind: str | None = None
    status: str | None = None
    private: bool | None = None
    services: list[str] | None = None
    teams: list[str] | None = None
    tags: list[str] | None = None
    moments: dict[str, datetime | None] | None = None
    expected_version: int | None = None
