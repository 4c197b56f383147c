"""Imports every table so that the metadata is complete (for migrations and tests)."""

from __future__ import annotations

from afteraction.accounts.models import ApiToken, SignInFailure, User, WebSecret
from afteraction.actions.models import ActionItem, SentDigest, TrackerLink
from afteraction.core.db import Base
from afteraction.incidents.models import Incident, IncidentLabel, IncidentMember
from afteraction.insights.models import FactorCategory, InsightCategory, SearchDocument, SearchTerm
from afteraction.meetings.models import Meeting, MeetingAttendee, MeetingNote
from afteraction.notifications.models import Notification
from afteraction.people.models import Person
from afteraction.reviews.models import (
    Comment,
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
    "Comment",
    "ContributingFactor",
    "ExtraSection",
    "FactorCategory",
    "ImportRecord",
    "Incident",
    "IncidentLabel",
    "IncidentMember",
    "InsightCategory",
    "Lesson",
    "Meeting",
    "MeetingAttendee",
    "MeetingNote",
    "Notification",
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
