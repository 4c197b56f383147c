"""Reminder digests: their text, and delivery by e-mail (SMTP, STARTTLS, login) and to a Slack incoming webhook.

E-mails are plain text (no HTML, so no link or markup of user data is ever rendered); Slack posts escape the
characters Slack's mrkdwn gives a meaning (`<`, `>`, `&`), so a title cannot mention @channel or hide a link.
Each SMTP conversation and each Slack post has a deadline for the whole of it (AFTERACTION_OUTBOUND_TIMEOUT).
Passwords and the webhook URL (which is itself a secret) never appear in a message or a log line."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage

from afteraction.core.config import Settings
from afteraction.core.errors import ConfigurationError, TrackerAuthError, TrackerError
from afteraction.domain.actions import ActionItemView
from afteraction.trackers import TrackerUnreachable
from afteraction.trackers.deadline import too_slow
from afteraction.trackers.http import HttpClient, redacted


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


class DeadlineSMTP(smtplib.SMTP):
    """An SMTP connection whose whole conversation ends at a deadline, `seconds` after it is made.

    smtplib's timeout is per socket operation, and a server that sends its greeting one byte a second never trips
    it; so a timer shuts the socket down at the deadline, and the read in progress fails at once. Call `finish()`
    when done (it stops the timer)."""

    _raw: socket.socket | None = None

    def __init__(self, host: str, port: int, seconds: float) -> None:
        self.deadline_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        try:
            super().__init__(host, port, timeout=seconds)
        except BaseException:
            self.finish()
            raise

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        left = self.deadline_at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the SMTP deadline has passed")
        sock = socket.create_connection((host, port), min(timeout, left), self.source_address)
        with self._lock:
            if self._expired:
                sock.close()
                raise TimeoutError("the SMTP deadline has passed")
            self._raw = sock
        return sock

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sock = self.sock or self._raw  # the TLS socket after STARTTLS; the plain one before `connect` returns
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain shutdown, under TLS too

    def finish(self) -> None:
        """Stop the timer (the connection is closed or about to be)."""
        self._timer.cancel()


def send_email(settings: Settings, message: EmailMessage) -> None:
    """Send one message through the configured SMTP server; STARTTLS when offered, and required before a login.

    The whole conversation, from connecting to QUIT, has AFTERACTION_OUTBOUND_TIMEOUT seconds."""
    if not settings.smtp_host:
        raise ConfigurationError("e-mail is not configured: set AFTERACTION_SMTP_HOST")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    login = settings.smtp_username is not None
    seconds = settings.outbound_timeout
    end = time.monotonic() + seconds
    smtp: DeadlineSMTP | None = None
    try:
        smtp = DeadlineSMTP(settings.smtp_host, settings.smtp_port, seconds)
        with smtp:
            smtp.ehlo()
            offered = smtp.has_extn("starttls")
            if settings.smtp_starttls or (settings.smtp_starttls is None and offered):
                if not offered:
                    raise TrackerError(f"the SMTP server {where} does not offer STARTTLS (AFTERACTION_SMTP_STARTTLS)")
                cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
                smtp.ehlo()
            elif login and settings.smtp_starttls is None:
                raise TrackerError(
                    f"the SMTP server {where} offers no STARTTLS: refusing to send the password unencrypted "
                    "(set AFTERACTION_SMTP_STARTTLS=false to allow it)"
                )
            if login:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(str(settings.smtp_username), password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError and TimeoutError are OSErrors
        if isinstance(exc, TimeoutError) or time.monotonic() >= end:
            raise TrackerUnreachable(too_slow(f"the SMTP server {where}", seconds)) from None
        raise _smtp_error(exc, where) from None
    finally:
        if smtp is not None:
            smtp.finish()


def _smtp_error(exc: smtplib.SMTPException | OSError, where: str) -> TrackerError:
    """The one line for an SMTP conversation that failed before its deadline."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TrackerAuthError(
            f"the SMTP server {where} refused the login: check AFTERACTION_SMTP_USERNAME and AFTERACTION_SMTP_PASSWORD"
        )
    if isinstance(exc, ssl.SSLError):
        return TrackerError(f"TLS with the SMTP server {where} failed: {exc.reason or exc} (AFTERACTION_SMTP_CA_FILE)")
    if isinstance(exc, OSError | smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return TrackerUnreachable(f"cannot send e-mail through {where}: {exc}")
    return TrackerError(f"cannot send e-mail through {where}: {exc}")


def slack_text(text: str) -> str:
    """Text shown as it is in Slack mrkdwn: `&`, `<` and `>` escaped, so it cannot mention, link or ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(digest: Digest, base_url: str | None = None) -> dict[str, str]:
    """The Slack message of a digest (mrkdwn), mentioning the owner when their member id is known.

    Everything from the post-mortems (titles, names) is escaped; only the mention is markup."""
    who = f"<@{slack_text(digest.slack)}>" if digest.slack else f"*{slack_text(digest.owner)}*"
    lines = [f"{who}: {slack_text(subject(digest).removeprefix('[afteraction] '))}"]
    for item in digest.items:
        line = slack_text(_item_line(item, digest.today, base_url).removeprefix("- "))
        lines.append(("• :warning: " if item.overdue else "• ") + line)
    return {"text": "\n".join(lines)}


def post_slack(settings: Settings, payload: dict[str, str]) -> None:
    """Post one message to the Slack incoming webhook."""
    if not settings.slack_webhook_url:
        raise ConfigurationError("Slack is not configured: set AFTERACTION_SLACK_WEBHOOK_URL")
    client = HttpClient(
        "Slack",
        timeout=settings.outbound_timeout,
        max_wait=settings.tracker_max_wait,
        auth_hint="AFTERACTION_SLACK_WEBHOOK_URL",
    )
    url = settings.slack_webhook_url.get_secret_value()
    try:
        with redacted(url):
            client.request("POST", url, json_body=payload, expect=(200,), shown="to the webhook")
    finally:
        client.close()
