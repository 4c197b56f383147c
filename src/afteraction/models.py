"""Imports every table so that the metadata is complete (for migrations and tests)."""

from __future__ import annotations

from afteraction.actions.models import ActionItem
from afteraction.db import Base
from afteraction.incidents.models import Incident, IncidentLabel, Person, TimelineEvent
from afteraction.reviews.models import (
    ContributingFactor,
    ExtraSection,
    Lesson,
    Postmortem,
    PostmortemPerson,
    WhyNode,
)

metadata = Base.metadata

__all__ = [
    "ActionItem",
    "ContributingFactor",
    "ExtraSection",
    "Incident",
    "IncidentLabel",
    "Lesson",
    "Person",
    "Postmortem",
    "PostmortemPerson",
    "TimelineEvent",
    "WhyNode",
    "metadata",
]
