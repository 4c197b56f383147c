"""Row 4 of issue #14, against a live server: guessing passwords is throttled (429 with Retry-After, on the API and
the sign-in page, per account and per client address), every failure is logged without the password, and 40
sign-ins at once neither blow up the server's memory nor hold up other requests."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.security.conftest import PASSWORD, LiveServer, start_live_server

# A first wait of 4 s: long enough for 25 quick tries on a slow machine, short enough to wait out in a test.
LIVE_ENV = {"SIGNIN_BACKOFF_SECONDS": "4"}
SIGN_IN = "/api/v1/auth/token"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def from_address(live: LiveServer, address: str) -> httpx.Client:
    """A client with a client address of its own: the server trusts X-Forwarded-For from loopback (uvicorn's
    proxy_headers), as it would from a proxy in front of it; address counts then do not spill between tests."""
    client = live.client()
    client.headers["X-Forwarded-For"] = address
    return client


def test_thirty_wrong_passwords_on_the_api_are_throttled_and_the_right_one_waits_too(live: LiveServer):
    live.add_user("guessed-api", role="viewer")
    with from_address(live, "198.51.100.4") as client:
        answers = [client.post(SIGN_IN, json={"username": "guessed-api", "password": f"guess-{n}"}) for n in range(30)]
        statuses = [answer.status_code for answer in answers]
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429] * 25, statuses
        throttled = answers[5]
        assert throttled.headers["content-type"] == "application/problem+json"
        wait = int(throttled.headers["retry-after"])
        assert 1 <= wait <= 4
        assert re.fullmatch(
            r"Too many failed sign-ins for this account: try again in \d seconds?\.", throttled.json()["detail"]
        )
        right = client.post(SIGN_IN, json={"username": "guessed-api", "password": PASSWORD})
        assert right.status_code == 429 and "token" not in right.text
        time.sleep(int(right.headers["retry-after"]) + 0.2)
        after = client.post(SIGN_IN, json={"username": "guessed-api", "password": PASSWORD})
        assert after.status_code == 201 and after.json()["token"].startswith("aa_")
        # The success cleared the account's failures: a wrong password is an ordinary 401 again.
        assert client.post(SIGN_IN, json={"username": "guessed-api", "password": "x"}).status_code == 401


def test_twenty_wrong_passwords_on_the_sign_in_page_get_a_429_page(live: LiveServer):
    live.add_user("guessed-page", role="viewer")
    with from_address(live, "198.51.100.5") as browser:
        csrf = _CSRF.search(browser.get("/login").text)
        assert csrf
        statuses = []
        for n in range(20):
            form = {"username": "guessed-page", "password": f"guess-{n}", "csrf_token": csrf[1]}
            page = browser.post("/login", data=form)
            statuses.append(page.status_code)
            csrf = _CSRF.search(page.text) or csrf
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 15, statuses
        assert page.headers["content-type"].startswith("text/html") and int(page.headers["retry-after"]) >= 1
        assert re.search(r"Too many failed sign-ins for this account: try again in \d seconds?\.", page.text)
        assert 'action="/login"' in page.text  # the form again
        right = browser.post("/login", data={"username": "guessed-page", "password": PASSWORD, "csrf_token": csrf[1]})
        assert right.status_code == 429 and "afteraction_session" not in right.headers.get("set-cookie", "")


def test_one_address_guessing_many_names_is_throttled_too(live: LiveServer):
    names = [f"crowd-{n}" for n in range(21)]
    for name in names:
        live.add_user(name, role="viewer")
    with from_address(live, "198.51.100.6") as client:
        statuses = [client.post(SIGN_IN, json={"username": name, "password": "guess"}).status_code for name in names]
        assert statuses == [401] * 20 + [429]
        refused = client.post(SIGN_IN, json={"username": "crowd-0", "password": PASSWORD})
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("Too many failed sign-ins from this address: try again in")
    with from_address(live, "198.51.100.7") as other:
        assert other.post(SIGN_IN, json={"username": "crowd-0", "password": PASSWORD}).status_code == 201


def test_each_failed_sign_in_is_logged_with_name_and_address_and_never_the_password(live: LiveServer):
    live.add_user("logged", role="viewer")
    secret = "Pa55-never-in-any-log-7f3a"
    with from_address(live, "198.51.100.8") as client:
        for _ in range(6):
            client.post(SIGN_IN, json={"username": "logged", "password": secret})
        client.post(SIGN_IN, json={"username": "nobody-here", "password": secret})
    deadline = time.monotonic() + 5
    while "'nobody-here'" not in live.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = live.log()
    assert log.count("failed sign-in for 'logged' from 198.51.100.8: wrong password") == 5
    assert "failed sign-in for 'logged' from 198.51.100.8: throttled" in log
    assert "failed sign-in for 'nobody-here' from 198.51.100.8: no such user" in log
    assert secret not in log


def test_forty_sign_ins_at_once_keep_memory_low_and_other_requests_prompt(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    backend = "postgresql" if live.database_url.startswith("postgresql") else "sqlite"
    # A server of its own, with the default settings: its peak memory is this test's alone. The names are unknown,
    # so each try spends a hash of argon2's default cost (64 MiB), as a guess at a real account does.
    with start_live_server(backend, tmp_path / "storm") as server:
        token = server.add_user("reader", role="viewer")
        with server.client(token) as reader:
            assert reader.get("/api/v1/incidents").status_code == 200
            before = server.rss_bytes()
            start = threading.Barrier(41)
            statuses: list[int] = []

            def guess(index: int) -> None:
                with server.client() as client:
                    start.wait()
                    answer = client.post(SIGN_IN, json={"username": f"storm-{index}", "password": "guess"})
                    statuses.append(answer.status_code)

            threads = [threading.Thread(target=guess, args=(index,)) for index in range(40)]
            for thread in threads:
                thread.start()
            start.wait()
            time.sleep(0.3)  # the sign-ins are in: two hashing, the rest queued
            began = time.monotonic()
            listed = reader.get("/api/v1/incidents")
            waited = time.monotonic() - began
            busy = any(thread.is_alive() for thread in threads)
            for thread in threads:
                thread.join()
            peak = server.peak_rss_bytes()
    with capsys.disabled():
        print(
            f"\n[{backend}] 40 sign-ins at once: RSS {before / 2**20:.0f} MiB before, peak {peak / 2**20:.0f} MiB; "
            f"an authenticated GET /api/v1/incidents meanwhile took {waited * 1000:.0f} ms; "
            f"answers: {statuses.count(401)} x 401, {statuses.count(429)} x 429"
        )
    assert listed.status_code == 200 and busy, "the GET was not made while the sign-ins were hashing"
    assert waited < 1.0
    # Two hashes at once (AFTERACTION_PASSWORD_HASH_CONCURRENCY) of 64 MiB each, not forty.
    assert peak - before < 250 * 2**20 and peak < 400 * 2**20
    # One address: its 20 free failures are spent (and at most one more, hashing beside the 20th), the tries queued
    # behind them are refused unhashed.
    assert 20 <= statuses.count(401) <= 21 and statuses.count(401) + statuses.count(429) == 40
