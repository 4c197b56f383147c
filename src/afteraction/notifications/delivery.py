"""Delivery of one message: by e-mail (SMTP, STARTTLS, login), to a Slack incoming webhook, or by a Slack bot's
`chat.postMessage` to a person.

E-mails are plain text (no HTML, so no link or markup of user data is ever rendered); Slack posts escape the
characters Slack's mrkdwn gives a meaning (`<`, `>`, `&`), so a title cannot mention @channel or hide a link.
Each SMTP conversation and each Slack post has a deadline for the whole of it (AFTERACTION_OUTBOUND_TIMEOUT).
Passwords, tokens and webhook URLs (which are themselves secrets) never appear in a message or a log line.

Reminders (actions.reminders) and the sender of notifications (notifications.sender) both deliver through here.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
import time
from email.message import EmailMessage

from afteraction.core.config import Settings
from afteraction.core.errors import ConfigurationError, TrackerAuthError, TrackerError
from afteraction.trackers import TrackerUnreachable
from afteraction.trackers.deadline import too_slow
from afteraction.trackers.http import HttpClient, redacted


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


def post_webhook(
    settings: Settings, url: str, payload: dict[str, str], *, setting: str, max_wait: float | None = None
) -> None:
    """Post one message to a Slack incoming webhook `url` (a secret: never shown; `setting` names where it is set).

    `max_wait` caps the rate-limit waits (default AFTERACTION_TRACKER_MAX_WAIT)."""
    client = HttpClient(
        "Slack",
        timeout=settings.outbound_timeout,
        max_wait=settings.tracker_max_wait if max_wait is None else max_wait,
        auth_hint=setting,
    )
    try:
        with redacted(url):
            client.request("POST", url, json_body=payload, expect=(200,), shown="to the webhook")
    finally:
        client.close()


def post_slack(settings: Settings, payload: dict[str, str]) -> None:
    """Post one message to the Slack incoming webhook of AFTERACTION_SLACK_WEBHOOK_URL."""
    if not settings.slack_webhook_url:
        raise ConfigurationError("Slack is not configured: set AFTERACTION_SLACK_WEBHOOK_URL")
    url = settings.slack_webhook_url.get_secret_value()
    post_webhook(settings, url, payload, setting="AFTERACTION_SLACK_WEBHOOK_URL")


def post_chat_message(settings: Settings, channel: str, text: str, *, max_wait: float | None = None) -> None:
    """Send `text` to a Slack user or channel id by the bot of AFTERACTION_SLACK_BOT_TOKEN (`chat.postMessage` of
    the Slack Web API at AFTERACTION_SLACK_API_URL). Slack answers 200 with `"ok": false` for its refusals
    (`channel_not_found`, `invalid_auth`, …): those are errors too."""
    if settings.slack_bot_token is None:
        raise ConfigurationError("the Slack bot is not configured: set AFTERACTION_SLACK_BOT_TOKEN")
    token = settings.slack_bot_token.get_secret_value()
    client = HttpClient(
        "Slack",
        base_url=settings.slack_api_url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=settings.outbound_timeout,
        max_wait=settings.tracker_max_wait if max_wait is None else max_wait,
        auth_hint="AFTERACTION_SLACK_BOT_TOKEN",
    )
    try:
        with redacted(token):
            response = client.request("POST", "chat.postMessage", json_body={"channel": channel, "text": text},
                                      expect=(200,))  # fmt: skip
            answer = client.json(response)
    finally:
        client.close()
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        error = str(answer.get("error") or "no reason given") if isinstance(answer, dict) else "not an object"
        if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
            raise TrackerAuthError(f"Slack refused the bot's token ({error}): check AFTERACTION_SLACK_BOT_TOKEN")
        raise TrackerError(f"Slack refused the message to {channel}: {error}")
