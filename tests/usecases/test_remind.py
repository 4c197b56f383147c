"""What owners receive from `afteraction remind`: real mail through a local SMTP server, real posts to a local
Slack webhook, once per period."""

from __future__ import annotations

import email
import json
import ssl
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from afteraction.domain.actions import ActionItemData
from tests.conftest import free_port
from tests.factories import make_document
from tests.usecases.fake_http import SlackReceiver

TODAY = "2030-04-10"
ITEMS = [
    ActionItemData(title="Validate config before push", owner="Bo Chen", due=date(2030, 4, 1), priority="P1"),
    ActionItemData(title="Page on checkout errors", owner="Bo Chen", due=date(2030, 4, 20)),
    ActionItemData(title="Write the rollback runbook", owner="Ann Lee", due=date(2030, 4, 30)),
    ActionItemData(title="Remove the old flag", owner="Ann Lee", due=date(2030, 4, 2), status="done"),
]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def people(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text(
        '[people]\n"Bo Chen" = { email = "bo@example.com", slack = "U02BO" }\n"Ann Lee" = "ann@example.com"\n'
    )
    monkeypatch.setenv("AFTERACTION_SMTP_FROM", "afteraction@example.com")
    monkeypatch.setenv("AFTERACTION_BASE_URL", "https://postmortems.example.com")


@pytest.fixture
def smtp(people, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("AFTERACTION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AFTERACTION_SMTP_PORT", str(controller.port))
    yield inbox
    controller.stop()


@pytest.fixture
def tls_smtp(people, certificate, monkeypatch):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[str] = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        if ok:
            logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=authenticate, auth_require_tls=True)  # fmt: skip
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SMTP_USERNAME": "mailer",
                        "SMTP_PASSWORD": "s3cret", "SMTP_CA_FILE": str(cert)}.items():  # fmt: skip
        monkeypatch.setenv(f"AFTERACTION_{name}", value)
    inbox.logins = logins  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest.fixture
def slack(people, monkeypatch):
    receiver = SlackReceiver().start()
    monkeypatch.setenv("AFTERACTION_SLACK_WEBHOOK_URL", receiver.webhook_url)
    yield receiver
    receiver.stop()


def test_each_owner_gets_one_email_digest_of_open_and_overdue_items(cli, store, smtp):
    store(make_document(actions=ITEMS))
    result = cli("remind", "--today", TODAY, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["period"] == "2030-W15"
    assert [(r["owner"], r["outcome"], r["items"], r["overdue"]) for r in report["results"]] == [
        ("Ann Lee", "sent", 1, 0), ("Bo Chen", "sent", 2, 1)]  # fmt: skip
    assert sorted(rcpt[0] for _, rcpt in smtp.envelopes) == ["ann@example.com", "bo@example.com"]
    bo = next(m for m in smtp.messages if m["To"] == "bo@example.com")
    assert bo["Subject"] == "[afteraction] 2 open action items for Bo Chen, 1 overdue"
    assert bo["From"] == "afteraction@example.com"
    body = bo.get_payload(decode=True).decode()
    assert body.index("Overdue:") < body.index("AI-1 Validate config before push") < body.index("Open:")
    assert "due 2030-04-01, 9 days overdue" in body and "https://postmortems.example.com/incidents/INC-1" in body
    assert "Remove the old flag" not in body


def test_running_remind_twice_in_a_period_sends_nothing_new(cli, store, smtp):
    store(make_document(actions=ITEMS))
    assert cli("remind", "--today", TODAY).exit_code == 0
    again = json.loads(cli("remind", "--today", "2030-04-12", "--json").stdout)
    assert {r["outcome"] for r in again["results"]} == {"already-sent"}
    assert len(smtp.messages) == 2
    next_week = json.loads(cli("remind", "--today", "2030-04-15", "--json").stdout)
    assert {r["outcome"] for r in next_week["results"]} == {"sent"} and len(smtp.messages) == 4


def test_mail_goes_through_starttls_and_login(cli, store, tls_smtp):
    store(make_document(actions=ITEMS))
    result = cli("remind", "--today", TODAY, "--channel", "email")
    assert result.exit_code == 0, result.stderr
    assert len(tls_smtp.messages) == 2 and tls_smtp.logins == ["mailer", "mailer"]


def test_a_refused_login_names_the_settings_and_is_retried_next_time(cli, store, tls_smtp, monkeypatch):
    store(make_document(actions=ITEMS))
    monkeypatch.setenv("AFTERACTION_SMTP_PASSWORD", "wrong")
    result = cli("remind", "--today", TODAY)
    assert result.exit_code == 6
    assert "refused the login: check AFTERACTION_SMTP_USERNAME and AFTERACTION_SMTP_PASSWORD" in result.stderr
    assert "wrong" not in result.stderr and tls_smtp.messages == []
    monkeypatch.setenv("AFTERACTION_SMTP_PASSWORD", "s3cret")
    assert cli("remind", "--today", TODAY).exit_code == 0
    assert len(tls_smtp.messages) == 2


def test_the_password_is_never_sent_without_tls(cli, store, smtp, monkeypatch):
    store(make_document(actions=ITEMS))
    monkeypatch.setenv("AFTERACTION_SMTP_USERNAME", "mailer")
    monkeypatch.setenv("AFTERACTION_SMTP_PASSWORD", "s3cret")
    result = cli("remind", "--today", TODAY)
    assert result.exit_code == 6 and "refusing to send the password unencrypted" in result.stderr
    assert smtp.messages == []


def test_slack_gets_one_post_per_owner_with_a_mention(cli, store, slack):
    store(make_document(actions=ITEMS))
    result = cli("remind", "--today", TODAY, "--channel", "slack")
    assert result.exit_code == 0, result.stderr
    texts = [m["text"] for m in slack.messages]
    assert len(texts) == 2
    bo = next(t for t in texts if "U02BO" in t)
    assert bo.startswith("<@U02BO>: 2 open action items for Bo Chen, 1 overdue")
    assert ":warning: AI-1 Validate config before push" in bo
    assert any(t.startswith("*Ann Lee*: 1 open action item for Ann Lee") for t in texts)
    assert cli("remind", "--today", TODAY, "--channel", "slack").exit_code == 0
    assert len(slack.messages) == 2


def test_a_rejected_webhook_is_one_line_without_the_secret_url(cli, store, slack, monkeypatch):
    store(make_document(actions=ITEMS))
    monkeypatch.setenv("AFTERACTION_SLACK_WEBHOOK_URL", slack.url + "/services/T000/B000/wrong")
    result = cli("remind", "--today", TODAY, "--channel", "slack")
    assert result.exit_code == 6
    assert "Slack answered 404 to POST to the webhook: no_service" in result.stderr
    assert "wrong" not in result.stderr


def test_owners_without_an_address_are_named_and_dry_run_sends_nothing(cli, store, smtp):
    store(make_document(actions=[*ITEMS, ActionItemData(title="Tidy dashboards", owner="Cy Noor")]))
    dry = json.loads(cli("remind", "--today", TODAY, "--dry-run", "--json").stdout)
    assert [(r["owner"], r["outcome"]) for r in dry["results"]] == [
        ("Ann Lee", "would-send"), ("Bo Chen", "would-send"), ("Cy Noor", "no-address")]  # fmt: skip
    assert smtp.messages == []
    assert "no e-mail address for Cy Noor" in dry["results"][2]["detail"]


def test_remind_without_a_channel_says_what_to_set(cli, store, people):
    result = cli("remind")
    assert result.exit_code == 2 and "AFTERACTION_SMTP_HOST" in result.stderr


def test_the_webhook_url_never_reaches_the_logs(cli, store, slack, caplog):
    import logging

    store(make_document(actions=ITEMS))
    with caplog.at_level(logging.DEBUG):
        assert cli("remind", "--today", TODAY, "--channel", "slack").exit_code == 0
    assert "[redacted]" in caplog.text and "B000/XXXXXXXX" not in caplog.text
