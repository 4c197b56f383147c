"""Sending the outbox: each pending notification that is due is claimed, sent outside any transaction, and then
marked sent, or retried later with backoff, or failed.

Claiming is one conditional UPDATE per row (`… WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until
<= now)`): of several senders (`afteraction notify`, each `serve` process) only one sees its update change the row,
and only that one sends it; the others go on to the next row. A claim lasts `CLAIM` (longer than one send can take,
AFTERACTION_OUTBOUND_TIMEOUT), so a sender that died mid-send leaves its row to the next one after that.

A failed send is retried after 1, 2, 4, 8 … minutes (at most an hour); after `MAX_ATTEMPTS` the row is failed with
its last error. A person who cannot be reached (no address, the channel turned off, no way into Slack) fails at once,
saying why. Nothing raises out of `send_pending` for a message that could not be sent: it is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from afteraction.core.config import Settings
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import AfteractionError
from afteraction.notifications.delivery import post_chat_message, post_webhook, send_email, slack_text
from afteraction.notifications.models import Notification
from afteraction.people.models import Person
from afteraction.trackers import TrackerUnreachable

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=5)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
# A rate-limited Slack is retried with the backoff, not waited for inside a send (the claim would run out).
RATE_LIMIT_WAIT = 0.0


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try after `attempts` failed ones: 1, 2, 4, 8 … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class SendReport(BaseModel):
    """What one round of sending did: how many were sent on each channel, how many wait for a retry (and the
    earliest retry), how many failed for good, and how many wait for a channel that is not configured."""

    emails: int = 0
    slack_messages: int = 0
    retrying: int = 0
    next_retry_at: datetime | None = None
    failed: int = 0
    waiting: int = 0
    missing: list[str] = Field(default_factory=list)  # the settings whose absence keeps `waiting` rows unsent
    problems: list[str] = Field(default_factory=list)  # one line for each row retried or failed

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sent(self) -> int:
        """Notifications sent in this round."""
        return self.emails + self.slack_messages

    def retry_at(self, when: datetime) -> None:
        """Count one row retried at `when`."""
        self.retrying += 1
        self.next_retry_at = when if self.next_retry_at is None else min(self.next_retry_at, when)


def missing_settings(settings: Settings) -> dict[str, list[str]]:
    """For each channel that cannot send at all, the settings it lacks (empty when both can)."""
    missing: dict[str, list[str]] = {}
    email = [name for name, value in (("AFTERACTION_SMTP_HOST", settings.smtp_host),
                                      ("AFTERACTION_SMTP_FROM", settings.smtp_from)) if not value]  # fmt: skip
    if email:
        missing["email"] = email
    if not (settings.slack_bot_token or settings.slack_team_webhooks or settings.slack_webhook_url):
        missing["slack"] = [
            "AFTERACTION_SLACK_WEBHOOK_URL, AFTERACTION_SLACK_TEAM_WEBHOOKS or AFTERACTION_SLACK_BOT_TOKEN"
        ]
    return missing


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """A claimed row and its person, read in the claim's transaction and sent after it."""

    id: int
    channel: str
    kind: str
    subject: str
    body: str
    link: str | None
    attempts: int
    claimed_until: datetime
    name: str
    email: str | None
    slack_id: str | None
    team: str | None
    notify_email: bool
    notify_slack: bool


class _Unreachable(Exception):
    """The person cannot be reached on the row's channel: the row fails at once (retrying would not help)."""


class _Down(Exception):
    """A route found unreachable earlier in this round: the row is left for the next round, not tried."""


def absolute_link(settings: Settings, link: str | None) -> str | None:
    """A stored link as users can open it: a path under AFTERACTION_BASE_URL when that is set."""
    if not link:
        return None
    if link.startswith("/") and settings.base_url:
        return settings.base_url.rstrip("/") + link
    return link


def _one_line(text: str) -> str:
    return " ".join(text.split())


def email_of(settings: Settings, out: _Outgoing) -> EmailMessage:
    """The plain-text e-mail of a notification."""
    if not out.email:
        raise _Unreachable(f"{out.name} has no e-mail address in the directory of people")
    link = absolute_link(settings, out.link)
    message = EmailMessage()
    try:
        message["From"] = str(settings.smtp_from)
        message["To"] = _one_line(out.email)
        message["Subject"] = f"[afteraction] {_one_line(out.subject)}"
    except (ValueError, TypeError):
        raise _Unreachable(f"{out.name}'s e-mail address {out.email!r} cannot be written in a header") from None
    message["X-Afteraction-Notification"] = out.kind
    lines = [f"Hello {out.name},", "", out.subject.strip()]
    if out.body.strip():
        lines += ["", out.body.strip()]
    if link:
        lines += ["", f"Open it: {link}" if "://" in link else f"In afteraction: {link}"]
    lines += ["", "-- ", "afteraction; you choose your channels in your profile in the directory of people."]
    message.set_content("\n".join(lines) + "\n")
    return message


def slack_message(settings: Settings, out: _Outgoing, *, mention: bool) -> str:
    """The Slack text of a notification (mrkdwn): everything from the post-mortems escaped, only the mention and
    the link are markup. In a direct message no mention is needed; in a team's channel it says whom it is for."""
    link = absolute_link(settings, out.link)
    lines = [f"*{slack_text(_one_line(out.subject))}*"]
    if mention:
        who = f"<@{slack_text(out.slack_id)}>" if out.slack_id else f"*{slack_text(out.name)}*"
        lines[0] = f"{who}: {lines[0]}"
    if out.body.strip():
        lines.append(slack_text(out.body.strip()))
    if link and link.startswith(("https://", "http://")):
        lines.append(f"<{slack_text(link)}|Open in afteraction>")
    elif link:
        lines.append(slack_text(link))
    return "\n".join(lines)


def team_webhook(settings: Settings, team: str | None) -> tuple[str, str] | None:
    """The webhook URL a team's notifications go to, and the setting it comes from (a team of its own, matched
    without regard to case, else AFTERACTION_SLACK_WEBHOOK_URL)."""
    if team:
        wanted = team.strip().lower()
        for name, url in settings.slack_team_webhooks.items():
            if name.strip().lower() == wanted:
                return url.get_secret_value(), "AFTERACTION_SLACK_TEAM_WEBHOOKS"
    if settings.slack_webhook_url is not None:
        return settings.slack_webhook_url.get_secret_value(), "AFTERACTION_SLACK_WEBHOOK_URL"
    return None


def _deliver(settings: Settings, out: _Outgoing, down: dict[str, str]) -> str:
    """Send one notification; the route it took (a key of `down`). Raises _Unreachable for a person who cannot be
    reached, _Down for a route found unreachable earlier in this round, an AfteractionError for a failed send."""
    if out.channel == "email":
        if not out.notify_email:
            raise _Unreachable(f"{out.name} turned e-mail notifications off")
        message = email_of(settings, out)
        _check_up(down, "smtp")
        send_email(settings, message)
        return "smtp"
    if out.channel != "slack":
        raise _Unreachable(f"unknown channel {out.channel!r}")
    if not out.notify_slack:
        raise _Unreachable(f"{out.name} turned Slack notifications off")
    if settings.slack_bot_token is not None and out.slack_id:
        _check_up(down, "bot")
        post_chat_message(settings, out.slack_id, slack_message(settings, out, mention=False),
                          max_wait=RATE_LIMIT_WAIT)  # fmt: skip
        return "bot"
    hook = team_webhook(settings, out.team)
    if hook is None:
        how = "no Slack id" if not out.slack_id else "a Slack id but no AFTERACTION_SLACK_BOT_TOKEN"
        team = f"no webhook for team {out.team!r}" if out.team else "no team"
        raise _Unreachable(
            f"{out.name} cannot be reached on Slack: {how}, and {team} (AFTERACTION_SLACK_TEAM_WEBHOOKS) or "
            "AFTERACTION_SLACK_WEBHOOK_URL"
        )
    url, setting = hook
    route = f"webhook:{url}"
    _check_up(down, route)
    post_webhook(settings, url, {"text": slack_message(settings, out, mention=True)}, setting=setting,
                 max_wait=RATE_LIMIT_WAIT)  # fmt: skip
    return route


def _check_up(down: dict[str, str], route: str) -> None:
    if route in down:
        raise _Down(down[route])


def _route_of(settings: Settings, out: _Outgoing) -> str:
    """The route a row would take (to remember one found unreachable)."""
    if out.channel == "email":
        return "smtp"
    if settings.slack_bot_token is not None and out.slack_id:
        return "bot"
    hook = team_webhook(settings, out.team)
    return f"webhook:{hook[0]}" if hook else "none"


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Notification.state == "pending",
        Notification.next_attempt_at <= now,
        or_(Notification.claimed_until.is_(None), Notification.claimed_until <= now),
    ]


def _claim(db: Database, row_id: int, now: datetime) -> _Outgoing | None:
    """Claim one row for this sender: only one sender's conditional update changes it; None when another won."""
    until = now + CLAIM
    with db.transaction() as session:
        won = session.execute(
            update(Notification)
            .where(Notification.id == row_id, *_due(now))
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], won).rowcount != 1:
            return None
        row = session.execute(
            select(Notification, Person)
            .join(Person, Person.id == Notification.person_id)
            .where(Notification.id == row_id)
        ).one()
        note, person = row
        return _Outgoing(
            id=note.id, channel=note.channel, kind=note.kind, subject=note.subject, body=note.body or "",
            link=note.link, attempts=note.attempts, claimed_until=until, name=person.name, email=person.email,
            slack_id=person.slack_id, team=person.team, notify_email=person.notify_email,
            notify_slack=person.notify_slack,
        )  # fmt: skip


def _settle(db: Database, out: _Outgoing, **values: object) -> None:
    """Write the outcome of a send, if the claim is still this sender's."""
    with db.transaction() as session:
        done = session.execute(
            update(Notification)
            .where(Notification.id == out.id, Notification.claimed_until == out.claimed_until)
            .values(claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
    if cast(CursorResult[Any], done).rowcount != 1:
        log.warning("notification %s: its claim ran out before its outcome was written", out.id)


def _waiting(session: Session, now: datetime, channels: list[str]) -> int:
    if not channels:
        return 0
    return int(
        session.scalar(
            select(func.count()).select_from(Notification).where(*_due(now), Notification.channel.in_(channels))
        )
        or 0
    )


def send_pending(db: Database, settings: Settings, *, now: datetime | None = None, limit: int = 100) -> SendReport:
    """Send the pending notifications that are due (at most `limit`), each once; see the module's rules."""

    def clock() -> datetime:
        return now if now is not None else utcnow()

    started = clock()
    missing = missing_settings(settings)
    ready = [channel for channel in ("email", "slack") if channel not in missing]
    report = SendReport()
    with db.transaction() as session:
        report.waiting = _waiting(session, started, sorted(missing))
        ids = (
            list(
                session.scalars(
                    select(Notification.id)
                    .where(*_due(started), Notification.channel.in_(ready))
                    .order_by(Notification.next_attempt_at, Notification.id)
                    .limit(limit)
                )
            )
            if ready
            else []
        )
    if report.waiting:
        report.missing = [name for channel in sorted(missing) for name in missing[channel]]
    down: dict[str, str] = {}
    for row_id in ids:
        out = _claim(db, row_id, clock())
        if out is None:
            continue  # another sender has it
        _send_one(db, settings, out, down, clock, report)
    return report


def _send_one(
    db: Database,
    settings: Settings,
    out: _Outgoing,
    down: dict[str, str],
    clock: Callable[[], datetime],
    report: SendReport,
) -> None:
    """Send one claimed row and record the outcome; never raises for a failed send."""
    attempts = out.attempts + 1
    try:
        _deliver(settings, out, down)
    except _Down as exc:
        # Not tried: the route did not answer a moment ago. Released for the next round, without an attempt.
        _settle(db, out, last_error=f"not tried: {exc}")
        report.retry_at(clock())
        return
    except _Unreachable as exc:
        _settle(db, out, state="failed", attempts=attempts, last_error=str(exc))
        report.failed += 1
        report.problems.append(f"#{out.id} to {out.name} ({out.channel}) failed: {exc}")
        return
    except Exception as exc:  # a failed send is recorded, whatever it was
        error = exc.message if isinstance(exc, AfteractionError) else f"{type(exc).__name__}: {exc}"
        error = " ".join(error.split())
        if isinstance(exc, TrackerUnreachable):
            down[_route_of(settings, out)] = error
        if not isinstance(exc, AfteractionError):
            log.exception("notification %s could not be sent", out.id)
        if attempts >= MAX_ATTEMPTS:
            _settle(db, out, state="failed", attempts=attempts, last_error=error)
            report.failed += 1
            report.problems.append(f"#{out.id} to {out.name} ({out.channel}) failed after {attempts} tries: {error}")
            return
        when = clock() + backoff(attempts)
        _settle(db, out, attempts=attempts, next_attempt_at=when, last_error=error)
        report.retry_at(when)
        report.problems.append(f"#{out.id} to {out.name} ({out.channel}) will be retried: {error}")
        return
    _settle(db, out, state="sent", attempts=attempts, sent_at=utcnow(), last_error=None)
    if out.channel == "email":
        report.emails += 1
    else:
        report.slack_messages += 1
