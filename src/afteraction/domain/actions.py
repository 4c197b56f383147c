"""Domain objects of action items."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

ACTION_TYPES: tuple[str, ...] = ("prevent", "mitigate", "detect", "process", "repair", "learn")
PRIORITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")
ACTION_TITLE_MAX = 2000  # characters of an action item's title
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
    # What a document's action table said in columns of its own ("Bug #": "1234") and its grouping heading ("Group"),
    # stored with the item, shown on the post-mortem page and exported back.
    details: dict[str, str] = Field(default_factory=dict)
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
    details: dict[str, str] = Field(default_factory=dict, exclude=True)  # a document's own columns: shown on pages


class ActionChanges(BaseModel):
    """The fields of an action item a change sets; None leaves a field as it is (an empty owner clears it)."""

    status: str | None = None
    owner: str | None = None
    due: date | None = None
    title: str | None = None
    type: str | None = None
    priority: str | None = None
    reason: str | None = None
    expected_version: int | None = None


# How an action item names the cause it addresses: a contributing factor (`F2`) or a why-node by its path (`W1.2`).
CAUSE_ADDRESS = re.compile(r"^(?:F(\d+)|W(\d+(?:\.\d+)*))$", re.IGNORECASE)
