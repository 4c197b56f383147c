"""Imports every table so that the metadata is complete (for migrations and tests)."""

from __future__ import annotations

from afteraction.actions.followup_models import SentDigest, TrackerLink
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
from afteraction.reviews.workflow_models import ReviewEvent

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
    "ReviewEvent",
    "SentDigest",
    "TimelineEvent",
    "TrackerLink",
    "WhyNode",
    "metadata",
]
