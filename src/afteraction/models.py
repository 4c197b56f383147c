"""Imports every table so that the metadata is complete (for migrations and tests)."""

from __future__ import annotations

from afteraction.accounts.models import ApiToken, SignInFailure, User, WebSecret
from afteraction.actions.models import ActionItem, SentDigest, TrackerLink
from afteraction.core.db import Base
from afteraction.incidents.models import Incident, IncidentLabel, IncidentMember, Person
from afteraction.insights.models import FactorCategory, InsightCategory, SearchDocument, SearchTerm
from afteraction.reviews.models import (
    ContributingFactor,
    ExtraSection,
    Lesson,
    Postmortem,
    PostmortemPerson,
    ReviewEvent,
    SectionVersion,
    WhyNode,
)
from afteraction.timeline.models import ImportRecord, TimelineEvent
from afteraction.webhooks.models import WebhookDelivery

metadata = Base.metadata

__all__ = [
    "ActionItem",
    "ApiToken",
    "ContributingFactor",
    "ExtraSection",
    "FactorCategory",
    "ImportRecord",
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
    "SignInFailure",
    "TimelineEvent",
    "TrackerLink",
    "User",
    "WebSecret",
    "WebhookDelivery",
    "WhyNode",
    "metadata",
]
