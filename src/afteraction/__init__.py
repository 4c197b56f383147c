"""afteraction: open-source post-mortem analysis — timelines, cause trees, blameless reviews, action items."""

from __future__ import annotations

import typing

from afteraction.core.config import Settings
from afteraction.core.errors import (
    AfteractionError,
    ConfigurationError,
    Conflict,
    DatabaseUnavailable,
    InvalidInput,
    NotFound,
)
from afteraction.domain.actions import ActionItemData, ActionItemView
from afteraction.domain.incidents import IncidentSummary, TimelineEntry
from afteraction.domain.reviews import (
    FactorData,
    LessonData,
    ParseWarning,
    PostmortemDocument,
    SectionData,
    WhyNodeData,
)

if typing.TYPE_CHECKING:
    from afteraction.core.db import Database

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


def __getattr__(name: str) -> object:
    """The members imported on first use."""
    # Database brings in SQLAlchemy (~0.2 s): loaded on first use, so commands without a database start fast
    if name == "Database":
        from afteraction.core.db import Database

        return Database
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the ones imported on first use included."""
    return sorted({*globals(), *__all__})
