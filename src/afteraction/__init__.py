"""afteraction: open-source post-mortem analysis — timelines, cause trees, blameless reviews, action items."""

from __future__ import annotations

from afteraction.actions.schemas import ActionItemData, ActionItemView
from afteraction.config import Settings
from afteraction.db import Database
from afteraction.errors import (
    AfteractionError,
    ConfigurationError,
    Conflict,
    DatabaseUnavailable,
    InvalidInput,
    NotFound,
)
from afteraction.incidents.schemas import IncidentSummary, TimelineEntry
from afteraction.reviews.schemas import (
    FactorData,
    LessonData,
    ParseWarning,
    PostmortemDocument,
    SectionData,
    WhyNodeData,
)

__version__ = "0.1.0"

__all__ = [
    "ActionItemData",
    "ActionItemView",
    "AfteractionError",
    "ConfigurationError",
    "Conflict",
    "Database",
    "DatabaseUnavailable",
    "FactorData",
    "IncidentSummary",
    "InvalidInput",
    "LessonData",
    "NotFound",
    "ParseWarning",
    "PostmortemDocument",
    "SectionData",
    "Settings",
    "TimelineEntry",
    "WhyNodeData",
    "__version__",
]
