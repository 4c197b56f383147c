"""Fixtures of the notification tests: a real SMTP server, a fake Slack Web API and a team's incoming webhook."""

from __future__ import annotations

import email
import json
import threading

import pytest
from aiosmtpd.controller import Controller

from afteraction.people.service import PersonChanges, add_person
from tests.conftest import free_port
from tests.factories import make_users
from tests.usecases.fake_http import FakeService, Request, SlackReceiver, json_answer

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


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("AFTERACTION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AFTERACTION_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("AFTERACTION_SMTP_FROM", "afteraction@example.com")
    monkeypatch.setenv("AFTERACTION_BASE_URL", "https://postmortems.example.com")
    monkeypatch.setenv("AFTERACTION_OUTBOUND_TIMEOUT", "5")
    yield inbox
    controller.stop()


@pytest.fixture
def slack_api(monkeypatch):
    api = SlackApi().start()
    monkeypatch.setenv("AFTERACTION_SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("AFTERACTION_SLACK_API_URL", api.url + "/api")
    yield api
    api.stop()


@pytest.fixture
def team_hook(monkeypatch):
    receiver = SlackReceiver(path="/services/TSRE/B1/secret").start()
    monkeypatch.setenv("AFTERACTION_SLACK_TEAM_WEBHOOKS", json.dumps({"sre": receiver.webhook_url}))
    yield receiver
    receiver.stop()


@pytest.fixture
def dana(db):
    """A reviewer: the account `dana` and her person (named as the account: approvals match reviewers by that name),
    with an e-mail address and a Slack id."""
    make_users(db, "dana")
    add_person(db, name="dana", changes=PersonChanges(account="dana", email="dana@example.com", slack_id="U0DANA"))
    return "dana"
