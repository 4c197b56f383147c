"""Use case of `remind`: one digest per owner and period and channel, recorded so a second run sends nothing new."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from afteraction.actions import reminders
from afteraction.actions.models import ActionItem, SentDigest
from afteraction.actions.service import view_of
from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import ConfigurationError, TrackerError
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import OPEN_ACTION_STATUSES
from afteraction.domain.policy import Policy
from afteraction.incidents.models import Incident
from afteraction.trackers import TrackerUnreachable

CHANNELS: tuple[str, ...] = ("email", "slack")
Outcome = Literal["sent", "would-send", "already-sent", "no-address", "failed"]


class ReminderResult(BaseModel):
    """What happened to one owner's digest on one channel."""

    owner: str
    channel: str
    outcome: Outcome
    items: int = 0
    overdue: int = 0
    address: str | None = None
    detail: str = ""
    unreachable: bool = Field(default=False, exclude=True)  # the channel could not be reached: skip it this run


class RemindReport(BaseModel):
    """What one run of `remind` did."""

    period: str
    dry_run: bool = False
    results: list[ReminderResult] = Field(default_factory=list)


def period_of(today: date, period: str) -> str:
    """The key of the reminder period containing a day: `2026-W12` for weeks, `2026-03-14` for days."""
    if period == "day":
        return today.isoformat()
    if period == "week":
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    raise ConfigurationError(f"AFTERACTION_REMIND_PERIOD must be day or week, not {period!r}")


def collect_digests(db: Database, *, policy: Policy, period: str, today: date, actor: Actor) -> list[reminders.Digest]:
    """Every owner's open items (overdue ones first) of the incidents the actor may see, with how to reach the owner."""
    query = (
        select(ActionItem)
        .join(Incident, ActionItem.incident_id == Incident.id)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
        .where(ActionItem.status.in_(OPEN_ACTION_STATUSES), ActionItem.owner_id.is_not(None))
        .where(visible_clause(actor, Incident.id, Incident.private))
        .order_by(ActionItem.owner_id, ActionItem.due_date.asc().nulls_last(), ActionItem.id)
    )
    digests: dict[int, reminders.Digest] = {}
    with db.transaction() as session:
        for item in session.scalars(query):
            assert item.owner is not None
            digest = digests.get(item.owner.id)
            if digest is None:
                contact = policy.contact(item.owner.name)
                digest = reminders.Digest(owner=item.owner.name, period=period, today=today,
                                          email=item.owner.email or contact.email, slack=contact.slack)  # fmt: skip
                digests[item.owner.id] = digest
            digest.items.append(view_of(item, today=today))
    for digest in digests.values():
        digest.items.sort(key=lambda i: (not i.overdue, i.due or date.max, i.id or ""))
    return sorted(digests.values(), key=lambda d: d.owner.lower())


def configured_channels(settings: Settings) -> list[str]:
    """The channels whose settings are present."""
    return [c for c, ok in (("email", settings.smtp_host), ("slack", settings.slack_webhook_url)) if ok]


def send_reminders(
    db: Database,
    *,
    settings: Settings,
    policy: Policy,
    channels: Sequence[str] = (),
    today: date | None = None,
    dry_run: bool = False,
    actor: Actor,
) -> RemindReport:
    """Send each owner's digest once per period on each channel; a failed send is not recorded, so it is retried.

    A scheduled job runs as the system actor (every incident); the digests hold only the items the actor may see.
    """
    today = today or utcnow().date()
    period = period_of(today, settings.remind_period)
    wanted = list(channels) or configured_channels(settings)
    if not wanted:
        raise ConfigurationError(
            "no reminder channel is configured: set AFTERACTION_SMTP_HOST (e-mail) or AFTERACTION_SLACK_WEBHOOK_URL"
        )
    for channel in wanted:
        if channel not in CHANNELS:
            raise ConfigurationError(f"unknown reminder channel {channel!r}: expected email or slack")
    if "email" in wanted and not dry_run and not (settings.smtp_host and settings.smtp_from):
        raise ConfigurationError("e-mail reminders need AFTERACTION_SMTP_HOST and AFTERACTION_SMTP_FROM")
    if "slack" in wanted and not dry_run and not settings.slack_webhook_url:
        raise ConfigurationError("Slack reminders need AFTERACTION_SLACK_WEBHOOK_URL")
    report = RemindReport(period=period, dry_run=dry_run)
    # A channel that could not be reached (or missed its deadline) is not tried again in this run: otherwise each
    # owner would wait out the same dead server. Its digests stay unsent, so the next run sends them.
    unreachable: dict[str, str] = {}
    for digest in collect_digests(db, policy=policy, period=period, today=today, actor=actor):
        for channel in wanted:
            if channel in unreachable:
                report.results.append(_skipped(digest, channel, unreachable[channel]))
                continue
            result = _deliver(db, settings, digest, channel, dry_run)
            if result.unreachable:
                unreachable[channel] = result.detail or f"{channel} could not be reached"
            report.results.append(result)
    return report


def _skipped(digest: reminders.Digest, channel: str, why: str) -> ReminderResult:
    address = digest.email if channel == "email" else (digest.slack or "webhook")
    return ReminderResult(owner=digest.owner, channel=channel, outcome="failed", items=len(digest.items),
                          overdue=len(digest.overdue), address=address,
                          detail=f"not tried: {why}")  # fmt: skip


def _deliver(db: Database, settings: Settings, digest: reminders.Digest, channel: str, dry_run: bool) -> ReminderResult:
    address = digest.email if channel == "email" else (digest.slack or "webhook")
    result = ReminderResult(owner=digest.owner, channel=channel, outcome="sent", items=len(digest.items),
                            overdue=len(digest.overdue), address=address)  # fmt: skip
    if channel == "email" and not digest.email:
        result.outcome = "no-address"
        result.detail = f"no e-mail address for {digest.owner}: add it to [people] in afteraction.toml"
        return result
    key = (SentDigest.owner == digest.owner, SentDigest.period == digest.period, SentDigest.channel == channel)
    try:
        with db.transaction() as session:
            if session.scalar(select(SentDigest.id).where(*key)) is not None:
                result.outcome = "already-sent"
                return result
            if dry_run:
                result.outcome = "would-send"
                return result
            # Recorded before sending, in the same transaction: a concurrent run blocks on the unique key and then
            # skips, and a failed send rolls the record back so the next run tries again.
            session.add(SentDigest(owner=digest.owner, period=digest.period, channel=channel, address=address,
                                   items=len(digest.items), sent_at=utcnow()))  # fmt: skip
            session.flush()
            if channel == "email":
                assert settings.smtp_from
                reminders.send_email(
                    settings, reminders.email_message(digest, sender=settings.smtp_from, base_url=settings.base_url)
                )
            else:
                reminders.post_slack(settings, reminders.slack_payload(digest, settings.base_url))
    except IntegrityError:
        result.outcome = "already-sent"
    except TrackerError as exc:
        result.outcome = "failed"
        result.detail = exc.message
        result.unreachable = isinstance(exc, TrackerUnreachable)
    return result
