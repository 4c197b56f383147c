"""Rows 5 and 12 of issue #14, against a live server: a session ends when it should (sign-out, deactivation, a
password reset or change, a role change) and a replayed cookie is signed out; API tokens expire and their list shows
expiry and last use; user names are unique regardless of case (through the API and the real command line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx

from tests.security.conftest import PASSWORD, LiveServer

COOKIE = "afteraction_session"


def replay(live: LiveServer, cookie: str) -> httpx.Client:
    """A client that sends nothing but this session cookie (an attacker who copied it)."""
    client = live.client()
    client.cookies.set(COOKIE, cookie)
    return client


def signed_in(client: httpx.Client) -> bool:
    """Whether the cookie still signs in: on the pages and on the REST API."""
    page = client.get("/dashboard")
    api = client.get("/api/v1/me")
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    return page.status_code == 200 and api.status_code == 200


def cli(live: LiveServer, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real `afteraction` command on the live server's database."""
    return subprocess.run(
        [sys.executable, "-m", "afteraction", "--database-url", live.database_url, *args],
        input=input, capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip


def test_a_cookie_replayed_after_sign_out_is_signed_out(live: LiveServer):
    live.add_user("leaver", role="editor")
    browser = live.sign_in("leaver")
    other_browser = live.sign_in("leaver")
    cookie = browser.cookies[COOKIE]
    assert signed_in(replay(live, cookie))
    out = browser.post("/logout", data={"csrf_token": live.csrf(browser)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert not signed_in(replay(live, cookie))
    assert not signed_in(other_browser)  # signing out ends every session of the user
    assert signed_in(live.sign_in("leaver"))  # and signing in again works


def test_deactivating_and_reactivating_a_user_kills_the_old_cookie(live: LiveServer):
    admin = live.add_user("admin-deact", role="admin")
    live.add_user("paused", role="editor")
    cookie = live.sign_in("paused").cookies[COOKIE]
    with live.client(admin) as api:
        assert api.patch("/api/v1/users/paused", json={"active": False}).json()["active"] is False
        assert not signed_in(replay(live, cookie))
        assert api.patch("/api/v1/users/paused", json={"active": True}).json()["active"] is True
    assert not signed_in(replay(live, cookie))


def test_a_password_reset_by_an_admin_or_at_the_shell_kills_the_old_cookie(live: LiveServer):
    admin = live.add_user("admin-reset", role="admin")
    live.add_user("forgetful", role="editor")
    cookie = live.sign_in("forgetful").cookies[COOKIE]
    with live.client(admin) as api:
        reset = api.put("/api/v1/users/forgetful/password", json={"password": "a fresh password"})
        assert reset.status_code == 204
    assert not signed_in(replay(live, cookie))
    with live.client() as client:
        refused = client.post("/api/v1/auth/token", json={"username": "forgetful", "password": PASSWORD})
        assert refused.status_code == 401
    browser = live.sign_in("forgetful", "a fresh password")
    again = cli(live, "user", "password", "forgetful", "--password-stdin", input="from the shell\n")
    assert again.returncode == 0, again.stderr
    assert "every session of forgetful is signed out" in again.stdout
    assert not signed_in(browser)
    assert signed_in(live.sign_in("forgetful", "from the shell"))


def test_a_password_change_on_the_page_keeps_this_browser_and_ends_every_other(live: LiveServer):
    live.add_user("changer", role="viewer")
    here, elsewhere = live.sign_in("changer"), live.sign_in("changer")
    form = {
        "current_password": PASSWORD,
        "new_password": "changed it myself",
        "new_password_again": "changed it myself",
    }
    done = here.post("/account/password", data={**form, "csrf_token": live.csrf(here, "/account/password")})
    assert done.status_code == 303 and done.headers["location"] == "/account/password"
    assert signed_in(here) and not signed_in(elsewhere)


def test_a_role_change_kills_the_old_cookie(live: LiveServer):
    admin = live.add_user("admin-role", role="admin")
    live.add_user("promoted", role="viewer")
    cookie = live.sign_in("promoted").cookies[COOKIE]
    with live.client(admin) as api:
        assert api.patch("/api/v1/users/promoted", json={"role": "editor"}).json()["role"] == "editor"
    assert not signed_in(replay(live, cookie))
    with live.client() as fresh:
        fresh.cookies.set(COOKIE, live.sign_in("promoted").cookies[COOKIE])
        assert fresh.get("/api/v1/me").json() == {"name": "promoted", "role": "editor"}


def test_an_expired_token_is_refused_and_the_list_shows_expiry_and_last_use(live: LiveServer):
    token = live.add_user("scripted", role="viewer")
    expires = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    with live.client(token) as api:
        made = api.post("/api/v1/tokens", json={"name": "short-lived", "expires_at": expires})
        assert made.status_code == 201
        with live.client(made.json()["token"]) as short:
            assert short.get("/api/v1/me").status_code == 200
            listed = {t["name"]: t for t in api.get("/api/v1/tokens").json()}
            assert listed["short-lived"]["expires_at"] is not None
            assert listed["short-lived"]["last_used_at"] is not None
            assert listed["security-tests"]["expires_at"] is None
            time.sleep(max(0.0, datetime.fromisoformat(expires).timestamp() - time.time()) + 0.5)
            for path in ("/api/v1/me", "/api/v1/incidents", "/api/v1/incidents/INC-1"):
                refused = short.get(path)
                assert refused.status_code == 401, path
                assert "expired" in refused.json()["detail"]
        assert api.get("/api/v1/me").status_code == 200
    shell = cli(live, "token", "list", "--user", "scripted", "--json")
    assert shell.returncode == 0, shell.stderr
    rows = {t["name"]: t for t in json.loads(shell.stdout)}
    assert rows["short-lived"]["expired"] is True and rows["short-lived"]["last_used_at"] is not None
    created = cli(live, "token", "create", "scripted", "--name", "quarterly", "--expires", "90d")
    assert created.returncode == 0 and "expires 20" in created.stderr
    table = cli(live, "token", "list", "--user", "scripted").stdout
    assert "Expires" in table and "Last used" in table and "expired" in table


def test_a_name_that_differs_only_in_case_is_refused_by_the_api_and_the_shell(live: LiveServer):
    admin = live.add_user("admin-names", role="admin")
    live.add_user("editor2", role="editor")
    body = {"name": "Editor2", "email": "impostor@example.org", "role": "admin", "password": "long enough"}
    with live.client(admin) as api:
        taken = api.post("/api/v1/users", json=body)
        assert taken.status_code == 409
        assert taken.json()["detail"] == "a user named 'editor2' exists already (user names are the same in any case)"
    shell = cli(live, "user", "create", "EDITOR2", "--email", "other@example.org", input="long enough\n")
    assert shell.returncode == 4
    assert shell.stderr == "error: a user named 'editor2' exists already (user names are the same in any case)\n"
    with live.client(admin) as api:
        assert [u["name"].lower() for u in api.get("/api/v1/users").json()].count("editor2") == 1
    assert signed_in(live.sign_in("EDITOR2"))  # and the one account signs in under any case
