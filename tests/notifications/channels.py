"""Local stand-ins for what notifications reach: an SMTP server's mailbox (aiosmtpd) and the Slack Web API's
chat.postMessage. Used by the notification tests and the end-to-end walk."""

from __future__ import annotations

import email
import threading

from tests.usecases.fake_http import FakeService, Request, json_answer

BOT_TOKEN = "xoxb-test-token"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts, or refuses them all while `refuse` is set."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 mailbox temporarily unavailable"
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SlackApi(FakeService):
    """The Slack Web API's chat.postMessage: a bearer token, JSON {channel, text}; answers {"ok": true} or the
    error Slack gives (`invalid_auth`, `channel_not_found`) with status 200."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, str]] = []

    def handle(self, request: Request):
        if request.method != "POST" or request.path != "/api/chat.postMessage":
            return json_answer(404, {"ok": False, "error": "unknown_method"})
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return json_answer(200, {"ok": False, "error": "invalid_auth"})
        payload = request.json()
        if not str(payload.get("channel", "")).startswith("U"):
            return json_answer(200, {"ok": False, "error": "channel_not_found"})
        self.messages.append(payload)
        return json_answer(200, {"ok": True, "channel": payload["channel"], "ts": "1.2"})
