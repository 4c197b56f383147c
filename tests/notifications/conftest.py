"""Fixtures of the notification tests: a real SMTP server, a fake Slack Web API and a team's incoming webhook."""

from __future__ import annotations

import json

import pytest
from aiosmtpd.controller import Controller

from afteraction.people.service import PersonChanges, add_person
from tests.conftest import free_port
from tests.factories import make_users
from tests.notifications.channels import BOT_TOKEN, Inbox, SlackApi
from tests.usecases.fake_http import SlackReceiver


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
