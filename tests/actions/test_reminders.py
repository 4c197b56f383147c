"""Reminder delivery keeps to its deadline (a whole SMTP conversation, one Slack post), and Slack posts show the
post-mortems' text as text."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from datetime import date
from email.message import EmailMessage

import pytest

from afteraction.actions.reminders import Digest, send_email, slack_payload
from afteraction.core.config import Settings
from afteraction.core.errors import TrackerError
from afteraction.domain.actions import ActionItemView
from tests.trackers.drip import GREETING, DripServer

TIMEOUT = 0.6


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "afteraction@example.com", "bo@example.com", "digest"
    mail.set_content("Hello")
    return mail


def settings(port: int, **more: object) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, outbound_timeout=TIMEOUT, **more)  # type: ignore[arg-type]


def timed_failure(config: Settings) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(TrackerError) as caught:
        send_email(config, message())
    return caught.value.message, time.monotonic() - started


@pytest.mark.parametrize(("head", "drip"), [(b"", GREETING), (b"220 mail.test ESMTP\r\n", b"250-" + b"." * 100)],
                         ids=["greeting", "ehlo-reply"])  # fmt: skip
def test_an_smtp_server_dripping_its_answer_fails_at_the_deadline(head, drip):
    server = DripServer(drip, head=head, interval=0.1, give_up=5.0).start()
    try:
        text, took = timed_failure(settings(server.port))
    finally:
        server.stop()
    where = f"127.0.0.1:{server.port}"
    assert text == f"the SMTP server {where} did not answer within 0.6 s (AFTERACTION_OUTBOUND_TIMEOUT)"
    assert TIMEOUT - 0.05 < took < TIMEOUT + 0.5


def test_a_server_dripping_after_starttls_is_cut_off_at_the_deadline_too(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            reader = conn.makefile("rb")
            conn.sendall(b"220 mail.test ESMTP\r\n")
            reader.readline()  # EHLO
            conn.sendall(b"250-mail.test\r\n250 STARTTLS\r\n")
            reader.readline()  # STARTTLS
            conn.sendall(b"220 go ahead\r\n")
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1024)  # EHLO again, now encrypted
                for byte in b"250 " + b"." * 100:
                    if stop.wait(0.1):
                        return
                    tls.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        text, took = timed_failure(settings(listener.getsockname()[1], smtp_ca_file=cert))
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
    assert text.endswith("did not answer within 0.6 s (AFTERACTION_OUTBOUND_TIMEOUT)")
    assert TIMEOUT - 0.05 < took < TIMEOUT + 0.5


def test_a_refused_connection_is_still_its_own_message():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    text, took = timed_failure(settings(port))
    assert text.startswith(f"cannot send e-mail through 127.0.0.1:{port}:") and took < TIMEOUT


def test_slack_posts_show_titles_and_names_as_text_not_markup():
    item = ActionItemView(id="AI-1", title="<!channel> read <https://evil.example|the runbook> & fix",
                          incident_id="INC-1", incident_title="Checkout <b>down</b>", owner="Bo <@U999>")  # fmt: skip
    digest = Digest(owner="Bo <@U999>", period="2030-W15", today=date(2030, 4, 10), items=[item])
    text = slack_payload(digest)["text"]
    assert "<!channel>" not in text and "<https://" not in text and "<@U999>" not in text
    assert "&lt;!channel&gt; read &lt;https://evil.example|the runbook&gt; &amp; fix" in text
    assert text.startswith("*Bo &lt;@U999&gt;*: 1 open action item for Bo &lt;@U999&gt;")
    mentioned = Digest(owner="Bo Chen", period="2030-W15", today=date(2030, 4, 10), items=[item], slack="U02BO")
    assert slack_payload(mentioned)["text"].startswith("<@U02BO>: 1 open action item for Bo Chen")
