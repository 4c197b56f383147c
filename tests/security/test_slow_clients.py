"""Row 11 of issue #14, its slow half: a client sending its headers or its body one byte every 2 seconds cannot keep a
connection of a live server open: headers must all be there within AFTERACTION_HEADER_TIMEOUT (2 s here), a body
within AFTERACTION_BODY_TIMEOUT (3 s here); meanwhile everyone else is served.
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import httpx

from tests.security.conftest import LiveServer

LIVE_ENV = {"HEADER_TIMEOUT": "2", "BODY_TIMEOUT": "3"}
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 3.0
SLACK = 2.0  # scheduling, the last byte's own wait


def _connect(live: LiveServer) -> socket.socket:
    address = urlsplit(live.base_url)
    conn = socket.create_connection((address.hostname, address.port), timeout=5)
    conn.settimeout(0.05)
    return conn


def _drip(conn: socket.socket, data: bytes, *, every: float, limit: float) -> tuple[float, bytes]:
    """Send one byte every `every` seconds until the server closes the connection (or `limit` seconds pass); the
    seconds it stayed open and what the server answered."""
    start = time.monotonic()
    answer = b""
    for byte in data:
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            break
        wait_until = time.monotonic() + every
        while time.monotonic() < wait_until:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                chunk = None
            except OSError:
                return time.monotonic() - start, answer
            if chunk == b"":
                return time.monotonic() - start, answer
            answer += chunk or b""
            if time.monotonic() - start > limit:
                return time.monotonic() - start, answer
    return time.monotonic() - start, answer


def _served_meanwhile(live: LiveServer, results: list[float]) -> threading.Thread:
    def ask() -> None:
        with httpx.Client(base_url=live.base_url, timeout=5) as client:
            for _ in range(3):
                started = time.monotonic()
                assert client.get("/healthz").status_code == 200
                results.append(time.monotonic() - started)
                time.sleep(0.5)

    thread = threading.Thread(target=ask)
    thread.start()
    return thread


def test_headers_sent_one_byte_every_2_seconds_are_cut_off(live: LiveServer) -> None:
    request = b"GET /api/v1/incidents HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    conn = _connect(live)
    served: list[float] = []
    others = _served_meanwhile(live, served)
    try:
        seconds, answer = _drip(conn, request, every=2.0, limit=HEADER_TIMEOUT + SLACK + 5)
    finally:
        conn.close()
        others.join()
    assert seconds < HEADER_TIMEOUT + SLACK, f"the connection stayed open {seconds:.1f} s"
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert len(served) == 3 and max(served) < 1.0, served
    assert "the request headers took longer than 2 seconds (AFTERACTION_HEADER_TIMEOUT)" in live.log()


def _closed(conn: socket.socket) -> bool:
    """Whether the server has closed the connection (after whatever it answered)."""
    try:
        while conn.recv(65536):
            pass
    except TimeoutError:
        return False
    except OSError:
        pass  # reset: closed as well
    return True


def test_a_silent_connection_and_a_crowd_of_slow_ones_are_closed(live: LiveServer) -> None:
    crowd = [_connect(live) for _ in range(50)]
    for index, conn in enumerate(crowd):
        if index % 2:
            conn.sendall(b"GET / HTTP/1.1\r\n")  # half start a request, half say nothing at all
    with httpx.Client(base_url=live.base_url, timeout=5) as client:
        assert client.get("/healthz").status_code == 200
    time.sleep(HEADER_TIMEOUT + SLACK)
    try:
        still_open = sum(not _closed(conn) for conn in crowd)
    finally:
        for conn in crowd:
            conn.close()
    assert still_open == 0, f"{still_open} of 50 connections are still open"


def test_a_body_sent_one_byte_every_2_seconds_is_cut_off_with_a_408(live: LiveServer) -> None:
    token = live.add_user("slowposter")
    body = b'{"title": "Slow", "severity": "SEV3"}'
    upload = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n' + body + b"\r\n--x--\r\n"
    for path, content_type, content in (("/api/v1/incidents", b"application/json", body),
                                        ("/api/v1/incidents/INC-1/timeline/import", b"multipart/form-data; boundary=x",
                                         upload),
                                        ("/api/v1/incidents", b"text/plain", body)):  # fmt: skip
        conn = _connect(live)
        head = (
            (
                f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Length: {len(content)}\r\n"
            ).encode()
            + b"Content-Type: "
            + content_type
            + b"\r\n\r\n"
        )
        conn.sendall(head)
        try:
            seconds, answer = _drip(conn, content, every=2.0, limit=BODY_TIMEOUT + SLACK + 5)
        finally:
            conn.close()
        assert seconds < BODY_TIMEOUT + SLACK, f"{path} {content_type!r}: open {seconds:.1f} s"
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b"AFTERACTION_BODY_TIMEOUT" in answer and b"connection: close" in answer.lower()
    with live.client(token) as api:  # nothing was written, and a body sent at once still works
        assert api.get("/api/v1/incidents").json()["items"] == []
        at_once = api.post("/api/v1/incidents", content=body, headers={"content-type": "application/json"})
        assert at_once.status_code == 201


def test_the_rest_of_a_body_the_server_did_not_need_cannot_keep_the_connection(live: LiveServer) -> None:
    conn = _connect(live)
    # No token: the answer (401) comes before the body is read, and the connection is closed after it.
    conn.sendall(b"GET /api/v1/incidents HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                 b"Content-Length: 20\r\n\r\n")  # fmt: skip
    try:
        seconds, answer = _drip(conn, b"x" * 20, every=2.0, limit=BODY_TIMEOUT + SLACK + 5)
    finally:
        conn.close()
    assert seconds < 1.5, f"open {seconds:.1f} s"
    assert answer.startswith(b"HTTP/1.1 401 ") and b"connection: close" in answer.lower(), answer
