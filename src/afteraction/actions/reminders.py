"""Reminder digests: their text, and delivery by e-mail (SMTP, STARTTLS, login) and to a Slack incoming webhook
(the delivery itself is notifications.delivery's, shared with the notifications).

E-mails are plain text (no HTML, so no link or markup of user data is ever rendered); Slack posts escape the
characters Slack's mrkdwn gives a meaning (`<`, `>`, `&`), so a title cannot mention @channel or hide a link.
Each SMTP conversation and each Slack post has a deadline for the whole of it (AFTERACTION_OUTBOUND_TIMEOUT).
Passwords and the webhook URL (which is itself a secret) never appear in a message or a log line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage

from afteraction.domain.actions import ActionItemView
from afteraction.notifications.delivery import DeadlineSMTP, post_slack, send_email, slack_text

# Delivery is the notifications area's (reminders and notifications send alike); named here for reminders' callers.
__all__ = [
    "DeadlineSMTP", "Digest", "digest_text", "email_message", "post_slack", "send_email", "slack_payload", "slack_text",
    "subject",
]  # fmt: skip


@dataclass
class Digest:
    """One owner's open and overdue action items for one period."""

    owner: str
    period: str
    today: date
    items: list[ActionItemView] = field(default_factory=list)
    email: str | None = None
    slack: str | None = None

    @property
    def overdue(self) -> list[ActionItemView]:
        """The items past their due date."""
        return [item for item in self.items if item.overdue]


def _item_line(item: ActionItemView, today: date, base_url: str | None) -> str:
    due = "no due date" if item.due is None else f"due {item.due.isoformat()}"
    if item.overdue and item.due is not None:
        due += f", {(today - item.due).days} days overdue"
    extra = ", ".join(p for p in (item.priority, item.tracker) if p)
    where = f"{item.incident_id} {item.incident_title or ''}".strip()
    link = f" {base_url.rstrip('/')}/incidents/{item.incident_id}" if base_url else ""
    return f"- {item.id} {item.title} ({where}) — {due}" + (f" — {extra}" if extra else "") + link


def subject(digest: Digest) -> str:
    """The subject line of a digest (on one line, whatever the owner's name holds)."""
    overdue = f", {len(digest.overdue)} overdue" if digest.overdue else ""
    plural = "s" if len(digest.items) != 1 else ""
    owner = " ".join(digest.owner.split())
    return f"[afteraction] {len(digest.items)} open action item{plural} for {owner}{overdue}"


def digest_text(digest: Digest, base_url: str | None = None) -> str:
    """The plain-text body of a digest."""
    lines = [f"Hello {digest.owner},", "", f"Your open post-mortem action items ({digest.period}):", ""]
    overdue = digest.overdue
    rest = [item for item in digest.items if not item.overdue]
    if overdue:
        lines += ["Overdue:"] + [_item_line(i, digest.today, base_url) for i in overdue] + [""]
    if rest:
        lines += ["Open:"] + [_item_line(i, digest.today, base_url) for i in rest] + [""]
    lines += [
        "When one is done: afteraction actions update AI-<n> --status done",
        "If it will not be done: afteraction actions update AI-<n> --status wont-do --reason '…'",
    ]
    return "\n".join(lines) + "\n"


def email_message(digest: Digest, *, sender: str, base_url: str | None = None) -> EmailMessage:
    """The e-mail of a digest."""
    assert digest.email
    message = EmailMessage()
    message["From"] = sender
    message["To"] = digest.email
    message["Subject"] = subject(digest)
    message["X-Afteraction-Period"] = digest.period
    message.set_content(digest_text(digest, base_url))
    return message


def slack_payload(digest: Digest, base_url: str | None = None) -> dict[str, str]:
    """The Slack message of a digest (mrkdwn), mentioning the owner when their member id is known.

    Everything from the post-mortems (titles, names) is escaped; only the mention is markup."""
    who = f"<@{slack_text(digest.slack)}>" if digest.slack else f"*{slack_text(digest.owner)}*"
    lines = [f"{who}: {slack_text(subject(digest).removeprefix('[afteraction] '))}"]
    for item in digest.items:
        line = slack_text(_item_line(item, digest.today, base_url).removeprefix("- "))
        lines.append(("• :warning: " if item.overdue else "• ") + line)
    return {"text": "\n".join(lines)}
