"""The deadline of one outbound HTTP request covers its whole answer: a server that drips bytes fails at it."""

from __future__ import annotations

import time

import httpcore
import pytest

from afteraction.trackers import TrackerUnreachable
from afteraction.trackers.deadline import deadline, time_left, too_slow
from afteraction.trackers.http import HttpClient
from tests.trackers.drip import BODY, BODY_HEAD, HEADERS, DripServer
from tests.usecases.fake_http import SlackReceiver

TIMEOUT = 0.6
DRIP = 0.1  # far below the timeout: no single read ever waits long enough to time out


@pytest.fixture
def drip_server():
    servers: list[DripServer] = []

    def start(drip: bytes, **kwargs) -> DripServer:
        server = DripServer(drip, interval=kwargs.pop("interval", DRIP), give_up=5.0, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def timed_failure(client: HttpClient, path: str) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(TrackerUnreachable) as caught:
        client.request("GET", path)
    return caught.value.message, time.monotonic() - started


@pytest.mark.parametrize(("head", "drip"), [(b"", HEADERS), (BODY_HEAD, BODY)], ids=["headers", "body"])
def test_an_answer_dripping_a_byte_at_a_time_fails_at_the_deadline(drip_server, head, drip):
    server = drip_server(drip, head=head)
    client = HttpClient("Jira", base_url=server.url, timeout=TIMEOUT)
    try:
        message, took = timed_failure(client, "/rest/api/3/issue/OPS-1")
    finally:
        client.close()
    assert message == "Jira did not answer GET /rest/api/3/issue/OPS-1 within 0.6 s (AFTERACTION_OUTBOUND_TIMEOUT)"
    assert TIMEOUT - 0.05 < took < TIMEOUT + 0.5


def test_a_slow_answer_that_finishes_in_time_is_read_and_each_request_has_its_own_deadline(drip_server):
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    server = drip_server(answer, interval=0.35 / len(answer))  # about 0.35 s per answer, two answers > the timeout
    client = HttpClient("GitHub", base_url=server.url, timeout=TIMEOUT)
    try:
        started = time.monotonic()
        assert [client.json(client.request("GET", "/repos/acme/shop/issues/1")) for _ in range(2)] == [{}, {}]
        assert time.monotonic() - started > TIMEOUT
    finally:
        client.close()
    assert server.connections == 2


def test_rate_limit_waits_are_not_part_of_a_request_deadline():
    receiver = SlackReceiver().start()
    receiver.fail_next("POST", receiver.path, status=429, headers={"Retry-After": "1"})
    client = HttpClient("Slack", timeout=0.5, max_wait=5)
    try:
        response = client.request("POST", receiver.webhook_url, json_body={"text": "hi"}, expect=(200,))
    finally:
        client.close()
        receiver.stop()
    assert response.status_code == 200 and client.waited == 1.0 and len(receiver.messages) == 1


def test_a_proxy_from_the_environment_is_held_to_the_deadline_too(drip_server, monkeypatch):
    server = drip_server(HEADERS)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, server.url)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = HttpClient("Linear", timeout=TIMEOUT)
    try:
        message, took = timed_failure(client, "http://linear.example/graphql")
    finally:
        client.close()
    assert server.connections == 1 and "Linear did not answer" in message and took < TIMEOUT + 0.5


def test_time_left_is_the_shorter_of_the_operation_timeout_and_the_deadline():
    assert time_left(5.0, httpcore.ReadTimeout) == 5.0  # no deadline set: httpx's own timeout
    with deadline(1.0):
        assert 0.9 < (time_left(5.0, httpcore.ReadTimeout) or 0) <= 1.0
        assert time_left(0.2, httpcore.ReadTimeout) == 0.2
        assert 0.9 < (time_left(None, httpcore.ReadTimeout) or 0) <= 1.0
    with deadline(0.0), pytest.raises(httpcore.WriteTimeout):
        time_left(5.0, httpcore.WriteTimeout)
    assert time_left(None, httpcore.ReadTimeout) is None


def test_the_message_names_the_service_the_time_and_the_setting():
    assert too_slow("Jira", 30.0, "POST /rest/api/3/issue") == (
        "Jira did not answer POST /rest/api/3/issue within 30 s (AFTERACTION_OUTBOUND_TIMEOUT)"
    )
    assert too_slow("the SMTP server mail:25", 2.5) == (
        "the SMTP server mail:25 did not answer within 2.5 s (AFTERACTION_OUTBOUND_TIMEOUT)"
    )
