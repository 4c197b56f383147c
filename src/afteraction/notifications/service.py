"""Writing notifications into the outbox, in the transaction of the change they tell of.

`notify` is what the areas call (reviews: a review request, an approval, a send-back, a publication; comments: a
mention; actions: an item assigned or due soon). It writes one row per person and channel the person wants and can be
reached on; sending happens later, outside any request (notifications.sender). A `key` names the event: the same key
for the same person and channel is written once, however often the change is retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from afteraction.core.db import utcnow
from afteraction.notifications.models import Notification
from afteraction.people.models import Person

KINDS = ("review-requested", "approved", "sent-back", "published", "mentioned", "assigned", "due-soon", "minutes")


@dataclass(frozen=True, slots=True)
class Message:
    """What to tell: a subject line, a plain-text body and a link to the page it concerns (absolute or a path)."""

    kind: str
    subject: str
    body: str = ""
    link: str | None = None
    incident_id: int | None = None  # the incident's row id, so its removal removes the notification


def channels_of(person: Person, *, slack_possible: bool = True) -> list[str]:
    """The channels a person wants and can be reached on: e-mail with an address, Slack with an id (or a team
    webhook, when `slack_possible` says the sender has one)."""
    found: list[str] = []
    if person.notify_email and person.email:
        found.append("email")
    if person.notify_slack and (person.slack_id or (slack_possible and person.team)):
        found.append("slack")
    return found


def notify(session: Session, people: Iterable[Person], message: Message, *, key: str, skip: Iterable[int] = ()) -> int:
    """Write the message for each person (once per person, not for the people in `skip`, usually the one who acted)
    on each channel they want; the number of rows written. `key` names the event (`review-requested:INC-4:17`)."""
    if message.kind not in KINDS:
        raise ValueError(f"unknown notification kind {message.kind!r}")
    skipped = set(skip)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    written = 0
    now = utcnow()
    for person in dict.fromkeys(people):
        if person.id in skipped:
            continue
        for channel in channels_of(person):
            values = {
                "person_id": person.id, "channel": channel, "kind": message.kind, "incident_id": message.incident_id,
                "subject": message.subject[:300], "body": message.body, "link": message.link,
                "dedupe_key": f"{key}:{person.id}:{channel}"[:300], "state": "pending", "attempts": 0,
                "next_attempt_at": now, "created_at": now,
            }  # fmt: skip
            inserted = session.execute(
                dialect.insert(Notification).values(**values).on_conflict_do_nothing().returning(Notification.id)
            ).first()
            written += inserted is not None
    return written


def pending_for(session: Session, person_id: int) -> list[Notification]:
    """A person's notifications not sent yet, oldest first (for the account page and tests)."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.person_id == person_id, Notification.state == "pending")
            .order_by(Notification.id)
        )
    )
