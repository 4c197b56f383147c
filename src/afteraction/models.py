"""Imports every table so that the metadata is complete (for migrations and tests)."""

from __future__ import annotations

from afteraction.accounts.models import ApiToken, IncidentMember, User
from afteraction.accounts.session_models import WebSecret
from afteraction.actions.followup_models import SentDigest, TrackerLink
from afteraction.actions.models import ActionItem
from afteraction.db import Base
from afteraction.incidents.models import Incident, IncidentLabel, Person, TimelineEvent
from afteraction.insights.models import FactorCategory, InsightCategory, SearchDocument, SearchTerm
from afteraction.reviews.models import (
    ContributingFactor,
    ExtraSection,
    Lesson,
    Postmortem,
    PostmortemPerson,
    WhyNode,
)
from afteraction.reviews.section_models import SectionVersion
from afteraction.reviews.workflow_models import ReviewEvent
from afteraction.webhooks.models import WebhookDelivery

metadata = Base.metadata

__all__ = [
    "ActionItem",
    "ApiToken",
    "ContributingFactor",
    "ExtraSection",
    "FactorCategory",
    "Incident",
    "IncidentLabel",
    "IncidentMember",
    "InsightCategory",
    "Lesson",
    "Person",
    "Postmortem",
    "PostmortemPerson",
    "ReviewEvent",
    "SearchDocument",
    "SearchTerm",
    "SectionVersion",
    "SentDigest",
    "TimelineEvent",
    "TrackerLink",
    "User",
    "WebSecret",
    "WebhookDelivery",
    "WhyNode",
    "metadata",
]
