"""Domain objects of action items."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

ACTION_TYPES: tuple[str, ...] = ("prevent", "mitigate", "detect", "process", "repair", "learn")
PRIORITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")
ACTION_STATUSES: tuple[str, ...] = ("open", "in-progress", "done", "wont-do")
OPEN_ACTION_STATUSES: tuple[str, ...] = ("open", "in-progress")
CLOSED_ACTION_STATUSES: tuple[str, ...] = ("done", "wont-do")


class ActionItemData(BaseModel):
    """An action item: what, of which type, who, by when, how urgent, where it stands, where it is tracked."""

    model_config = ConfigDict(from_attributes=True)

    id: str | None = Field(default=None, exclude=True)
    incident_id: str | None = Field(default=None, exclude=True)
    title: str
    type: str | None = None
    owner: str | None = None
    due: date | None = None
    priority: str | None = None
    status: str = "open"
    tracker: str | None = None
    addresses: str | None = None
    line: int | None = Field(default=None, exclude=True)


class ActionItemView(ActionItemData):
    """An action item as `actions list` and the API show it, with its ids and times."""

    id: str | None = None
    incident_id: str | None = None
    incident_title: str | None = None
    status_reason: str | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    overdue: bool = False
    version: int = 1
    # The web address of the tracker issue once synced, for the pages to link; not part of the JSON shown.
    tracker_url: str | None = Field(default=None, exclude=True)
