"""The REST API's accounts: throttled sign-in (429 with Retry-After), a bounded number of password hashes at once,
an admin's password reset, token expiry, and user names unique regardless of case."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import update

from afteraction.accounts import service as accounts
from afteraction.accounts.models import ApiToken
from afteraction.core.db import utcnow
from afteraction.web import create_app
from tests.conftest import serve_in_thread
from tests.web.conftest import Api, add_people, make_settings

SIGN_IN = "/api/v1/auth/token"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def throttled(database_url: str) -> Iterator[Api]:
    """The app with 3 free failures per account and a first wait of 30 s (long enough for any slow machine)."""
    settings = make_settings(database_url, signin_free_failures=3, signin_backoff_seconds=30)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        found = Api(client=client, settings=settings)
        add_people(found)
        yield found


def sign_in(api: Api, name: str, password: str, **extra: Any) -> httpx.Response:
    return api.call(None, "POST", SIGN_IN, json={"username": name, "password": password, **extra})


def browser_of(api: Api, name: str) -> TestClient:
    """A browser signed in through the sign-in page (its session cookie kept)."""
    browser = TestClient(api.client.app, raise_server_exceptions=False)
    page = browser.get("/login")
    found = _CSRF.search(page.text)
    assert found
    done = browser.post(
        "/login", data={"username": name, "password": "correct horse", "csrf_token": found[1]}, follow_redirects=False
    )
    assert done.status_code == 303
    return browser


def test_after_the_free_failures_a_sign_in_waits_and_even_the_right_password_is_refused(throttled: Api, caplog):
    caplog.set_level(logging.WARNING, logger="afteraction.accounts")
    statuses = [sign_in(throttled, "viewer", f"wrong guess {n}").status_code for n in range(3)]
    assert statuses == [401, 401, 401]
    refused = sign_in(throttled, "Viewer", "correct horse")
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    assert 28 <= int(refused.headers["retry-after"]) <= 30
    assert re.fullmatch(
        r"Too many failed sign-ins for this account: try again in \d+ seconds\.", refused.json()["detail"]
    )
    assert sign_in(throttled, "editor", "correct horse").status_code == 201  # other accounts sign in
    messages = [r.getMessage() for r in caplog.records if r.name == "afteraction.accounts"]
    assert messages == [
        "failed sign-in for 'viewer' from testclient: wrong password",
        "failed sign-in for 'viewer' from testclient: wrong password",
        "failed sign-in for 'viewer' from testclient: wrong password",
        "failed sign-in for 'Viewer' from testclient: throttled",
    ]
    assert "guess" not in caplog.text and "correct horse" not in caplog.text


def test_a_success_clears_the_accounts_failures(throttled: Api):
    assert [sign_in(throttled, "viewer", "wrong").status_code for _ in range(2)] == [401, 401]
    assert sign_in(throttled, "viewer", "correct horse").status_code == 201
    assert [sign_in(throttled, "viewer", "wrong").status_code for _ in range(3)] == [401, 401, 401]
    assert sign_in(throttled, "viewer", "wrong").status_code == 429


def test_unknown_names_are_throttled_alike_so_throttling_tells_no_names(throttled: Api):
    assert [sign_in(throttled, "nobody", "wrong").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_at_most_the_configured_number_of_password_hashes_run_at_once(database_url: str, monkeypatch):
    running, most, lock = 0, 0, threading.Lock()

    class CountingHasher(PasswordHasher):
        def _count(self, call: Any, *args: Any) -> Any:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)
            try:
                return call(*args)
            finally:
                with lock:
                    running -= 1

        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            return self._count(super().hash, password)

        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            return self._count(super().verify, hash, password)

    monkeypatch.setattr(accounts, "_hasher", lambda: CountingHasher(time_cost=1, memory_cost=8, parallelism=1))
    settings = make_settings(database_url, password_hash_concurrency=2, signin_address_free_failures=1000)
    app = create_app(settings)
    accounts.create_user(app.state.db, name="ana", email="ana@example.org", role="viewer", password="correct horse")
    most = 0
    statuses: list[int] = []
    with serve_in_thread(app) as port:

        def try_once(index: int) -> None:
            body = {"username": f"user{index}" if index % 2 else "ana", "password": "correct horse"}
            statuses.append(httpx.post(f"http://127.0.0.1:{port}{SIGN_IN}", json=body, timeout=30).status_code)

        threads = [threading.Thread(target=try_once, args=(index,)) for index in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    app.state.db.dispose()
    assert sorted(statuses) == [201] * 6 + [401] * 6
    assert most == 2


def test_an_admin_resets_a_password_and_every_session_of_the_user_ends(api: Api):
    browser = browser_of(api, "viewer")
    assert browser.get("/api/v1/me").json()["name"] == "viewer"
    for persona, status in (("viewer", 403), ("editor", 403), (None, 401)):
        refused = api.call(persona, "PUT", "/api/v1/users/viewer/password", json={"password": "a new password"})
        assert refused.status_code == status
    short = api.call("admin", "PUT", "/api/v1/users/viewer/password", json={"password": "short"})
    assert short.status_code == 422 and short.json()["field"] == "password"
    missing = api.call("admin", "PUT", "/api/v1/users/nobody/password", json={"password": "a new password"})
    assert missing.status_code == 404 and missing.json()["detail"] == "no user 'nobody'"
    reset = api.call("admin", "PUT", "/api/v1/users/VIEWER/password", json={"password": "a new password"})
    assert reset.status_code == 204 and reset.content == b""
    assert browser.get("/api/v1/me").status_code == 401
    assert browser.get("/dashboard", follow_redirects=False).headers["location"].startswith("/login")
    assert sign_in(api, "viewer", "correct horse").status_code == 401
    assert sign_in(api, "viewer", "a new password").status_code == 201
    assert api.call("viewer", "GET", "/api/v1/me").status_code == 200  # the API tokens keep working


@pytest.mark.parametrize("change", [{"role": "editor"}, {"active": False}])
def test_a_role_change_or_deactivation_ends_the_users_sessions(api: Api, change: dict[str, Any]):
    browser = browser_of(api, "viewer")
    assert browser.get("/api/v1/me").status_code == 200
    assert api.call("admin", "PATCH", "/api/v1/users/viewer", json=change).status_code == 200
    assert browser.get("/api/v1/me").status_code == 401
    if "active" in change:
        api.call("admin", "PATCH", "/api/v1/users/viewer", json={"active": True})
        assert browser.get("/api/v1/me").status_code == 401  # reactivated: still signed out


def test_tokens_may_expire_and_list_their_expiry_and_last_use(api: Api):
    made = api.call("viewer", "POST", "/api/v1/tokens", json={"name": "ci", "expires_in_days": 30})
    assert made.status_code == 201
    expires = datetime.fromisoformat(made.json()["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    dated = api.call("viewer", "POST", "/api/v1/tokens", json={"name": "cron", "expires_at": at.isoformat()})
    assert dated.status_code == 201 and dated.json()["expires_at"] == at.isoformat().replace("+00:00", "Z")
    signed = sign_in(api, "viewer", "correct horse", expires_in_days=1)
    assert signed.status_code == 201 and signed.json()["expires_at"] is not None
    both = api.call("viewer", "POST", "/api/v1/tokens", json={"expires_in_days": 3, "expires_at": at.isoformat()})
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    past = api.call("viewer", "POST", "/api/v1/tokens", json={"expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.json()["field"] == "expires"
    assert api.call("viewer", "POST", "/api/v1/tokens", json={"expires_in_days": 0}).status_code == 422
    token = made.json()["token"]
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = {t["name"]: t for t in api.call("viewer", "GET", "/api/v1/tokens").json()}
    assert listed["ci"]["last_used_at"] is not None and listed["ci"]["expires_at"] == made.json()["expires_at"]
    assert listed["cron"]["last_used_at"] is None and listed["tests"]["expires_at"] is None
    assert not listed["ci"]["expired"]


@pytest.mark.parametrize("fast_reads", [16, 0])
def test_an_expired_token_is_refused(database_url: str, fast_reads: int):
    settings = make_settings(database_url, fast_read_connections=fast_reads)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client=client, settings=settings)
        add_people(api)
        made = api.call("viewer", "POST", "/api/v1/tokens", json={"name": "ci", "expires_in_days": 1}).json()
        headers = {"Authorization": f"Bearer {made['token']}"}
        assert client.get("/api/v1/incidents/INC-1", headers=headers).status_code == 404  # valid: no such incident
        db = client.app.state.db  # type: ignore[attr-defined]
        with db.transaction() as session:
            session.execute(update(ApiToken).where(ApiToken.id == made["id"]).values(expires_at=utcnow()))
        for path in ("/api/v1/me", "/api/v1/incidents/INC-1", "/api/v1/incidents"):
            refused = client.get(path, headers=headers)
            assert refused.status_code == 401, path
            assert "expired" in refused.json()["detail"]
        listed = {t["name"]: t for t in api.call("viewer", "GET", "/api/v1/tokens").json()}
        assert listed["ci"]["expired"] is True


def test_a_user_name_taken_in_another_case_is_a_conflict(api: Api):
    body = {"name": "Editor", "email": "other@example.org", "role": "viewer", "password": "long enough"}
    taken = api.call("admin", "POST", "/api/v1/users", json=body)
    assert taken.status_code == 409
    assert taken.json()["detail"] == "a user named 'editor' exists already (user names are the same in any case)"
    assert [u["name"] for u in api.call("admin", "GET", "/api/v1/users").json()].count("editor") == 1
