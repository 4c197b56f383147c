"""The signed-in user's password page, sign-out everywhere, and a throttled sign-in page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from afteraction.web.pages.session import SESSION_COOKIE
from tests.web.pages.conftest import PASSWORD, Browser, Site, forms_of, make_site, text_of

NEW = "a brand new password"


def change(browser: Browser, current: str, new: str, again: str | None = None):
    browser.get("/account/password")
    data = {"current_password": current, "new_password": new, "new_password_again": new if again is None else again}
    return browser.post("/account/password", data)


def test_the_user_menu_leads_to_the_password_form(site: Site):
    viewer = site.browser("viewer")
    dashboard = viewer.get("/dashboard")
    assert 'href="/account/password"' in dashboard.text
    page = viewer.get("/account/password")
    assert page.status_code == 200 and "Change your password" in text_of(page)
    assert forms_of(page) == ["/logout", "/account/password"]
    for field in ("current_password", "new_password", "new_password_again"):
        assert f'name="{field}"' in page.text
    assert site.browser().get("/account/password").url.path == "/login"


def test_a_new_password_keeps_this_browser_signed_in_and_signs_out_every_other(site: Site):
    here = site.browser("viewer")
    elsewhere = Browser(TestClient(site.app, raise_server_exceptions=False))
    assert elsewhere.sign_in("viewer").url.path == "/dashboard"
    done = change(here, PASSWORD, NEW)
    assert done.status_code == 200 and done.url.path == "/account/password"
    assert "Your password is changed; every other session of yours is signed out." in text_of(done)
    assert here.get("/dashboard").url.path == "/dashboard"
    assert elsewhere.get("/dashboard").url.path == "/login"
    visitor = site.browser()
    assert visitor.sign_in("viewer", PASSWORD).status_code == 401
    assert visitor.sign_in("viewer", NEW).url.path == "/dashboard"


def test_password_form_mistakes_say_so_and_change_nothing(site: Site):
    viewer = site.browser("viewer")
    differs = change(viewer, PASSWORD, NEW, "something else entirely")
    assert differs.status_code == 422 and "The two new passwords are not the same." in text_of(differs)
    short = change(viewer, PASSWORD, "short")
    assert short.status_code == 422 and "The password needs at least 8 characters." in text_of(short)
    wrong = change(viewer, "not my password", NEW)
    assert wrong.status_code == 422 and "The current password is not right." in text_of(wrong)
    assert viewer.get("/dashboard").url.path == "/dashboard"  # still signed in, with the old password
    assert site.browser().sign_in("viewer", PASSWORD).url.path == "/dashboard"


def test_the_current_password_is_throttled_like_a_sign_in(database_url: str):
    site = make_site(database_url, signin_free_failures=2, signin_backoff_seconds=30)
    viewer = site.browser("viewer")
    assert [change(viewer, "wrong one", NEW).status_code for _ in range(2)] == [422, 422]
    refused = change(viewer, PASSWORD, NEW)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 28
    assert re.search(r"Too many failed sign-ins for this account: try again in \d+ seconds\.", text_of(refused))
    site.db.dispose()


def test_a_throttled_sign_in_shows_the_form_again_with_how_long_to_wait(database_url: str):
    site = make_site(database_url, signin_free_failures=3, signin_backoff_seconds=8)
    visitor = site.browser()
    assert [visitor.sign_in("editor", "wrong").status_code for _ in range(3)] == [401, 401, 401]
    refused = visitor.sign_in("editor", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] in {"7", "8"}
    assert re.search(r"Too many failed sign-ins for this account: try again in [78] seconds\.", text_of(refused))
    assert forms_of(refused) == ["/login"] and 'value="editor"' in refused.text
    assert visitor.get("/dashboard").url.path == "/login"
    site.db.dispose()


def test_signing_out_ends_every_session_of_the_user_and_an_old_cookie_stays_out(site: Site):
    here = site.browser("editor")
    elsewhere = Browser(TestClient(site.app, raise_server_exceptions=False))
    elsewhere.sign_in("editor")
    old_cookie = here.client.cookies[SESSION_COOKIE]
    out = here.post("/logout")
    assert out.url.path == "/login" and "You are signed out." in text_of(out)
    assert elsewhere.get("/dashboard").url.path == "/login"
    replay = TestClient(site.app, raise_server_exceptions=False)
    replay.cookies.set(SESSION_COOKIE, old_cookie)
    assert replay.get("/dashboard", follow_redirects=False).status_code == 303
    assert replay.get("/api/v1/me").status_code == 401
