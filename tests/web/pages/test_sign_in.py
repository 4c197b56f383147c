"""Signing in and out, sessions in signed cookies, CSRF protection, and who may open which page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from afteraction.core.config import Settings
from afteraction.core.errors import ConfigurationError
from afteraction.web import create_app
from afteraction.web.pages import create_pages
from afteraction.web.pages.session import SESSION_COOKIE, safe_next
from tests.web.pages.conftest import PASSWORD, Site, forms_of, make_site, new_incident, text_of


def page_routes(app: Any) -> list[APIRoute]:
    """Every route of the pages app (FastAPI >= 0.120 keeps included routers nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        return [route for route in app.routes if isinstance(route, APIRoute)]
    return [c.original_route for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def use_cookie(client: TestClient, value: str) -> None:
    """Make the client send this session cookie (and no other)."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)


def test_a_visitor_is_sent_to_sign_in_and_then_to_the_page_they_asked_for(site: Site):
    visitor = site.browser()
    front = visitor.client.get("/", follow_redirects=False)
    assert front.status_code == 303 and front.headers["location"] == "/login"
    page = visitor.get("/incidents?severity=SEV1")
    assert page.url.path == "/login" and 'name="next" value="/incidents?severity=SEV1"' in page.text
    done = visitor.post("/login", {"username": "viewer", "password": PASSWORD, "next": "/incidents?severity=SEV1"})
    assert done.url.path == "/incidents" and done.url.query == b"severity=SEV1"
    assert "viewer" in text_of(done) and "Sign out" in text_of(done)
    assert visitor.client.get("/", follow_redirects=False).headers["location"] == "/dashboard"


def test_a_wrong_password_says_so_and_signs_nobody_in(site: Site):
    visitor = site.browser()
    visitor.get("/login")
    wrong = visitor.post("/login", {"username": "editor", "password": "not it"})
    assert wrong.status_code == 401
    assert "The user name or the password is not right." in text_of(wrong)
    assert visitor.get("/incidents").url.path == "/login"


def test_sign_in_goes_only_to_pages_of_this_site():
    assert safe_next("/incidents/INC-3#actions") == "/incidents/INC-3#actions"
    for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "", None):
        assert safe_next(outside) == "/dashboard"


def test_the_session_cookie_is_signed_http_only_and_same_site(site: Site):
    visitor = site.browser()
    visitor.get("/login")
    response = visitor.client.post(
        "/login", data={"username": "editor", "password": PASSWORD, "csrf_token": visitor.csrf}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in tests; https (or an https base URL) adds it
    value = visitor.client.cookies[SESSION_COOKIE]
    use_cookie(visitor.client, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert visitor.get("/dashboard").url.path == "/login"


def test_cookies_are_secure_when_the_site_is_served_over_https(database_url: str):
    site = make_site(database_url, base_url="https://postmortems.example.org")
    response = site.browser().client.get("/login")
    assert "Secure" in response.headers["set-cookie"]
    site.db.dispose()


def test_a_form_without_this_sessions_csrf_token_changes_nothing(site: Site):
    editor = site.browser("editor")
    forged = editor.client.post("/incidents", data={"title": "Forged", "severity": "SEV2"})
    assert forged.status_code == 403 and "did not come from this site" in text_of(forged)
    other = site.browser("outsider")
    stolen = editor.client.post("/incidents", data={"title": "Forged", "severity": "SEV2", "csrf_token": other.csrf})
    assert stolen.status_code == 403
    assert "Forged" not in text_of(editor.get("/incidents"))


def test_signing_in_gives_a_new_csrf_token_and_signing_out_ends_the_session(site: Site):
    visitor = site.browser()
    visitor.get("/login")
    before = visitor.csrf
    visitor.post("/login", {"username": "editor", "password": PASSWORD})
    assert visitor.csrf and visitor.csrf != before
    out = visitor.post("/logout")
    assert out.url.path == "/login" and "You are signed out." in text_of(out)
    assert visitor.get("/incidents").url.path == "/login"


def test_a_deactivated_user_is_signed_out_at_once(site: Site):
    from afteraction.accounts import service as accounts

    editor = site.browser("editor")
    accounts.update_user(site.db, name="editor", active=False)
    assert editor.get("/dashboard").url.path == "/login"


def test_the_rest_api_knows_a_signed_in_browser_and_wants_the_csrf_header_for_changes(site: Site):
    editor = site.browser("editor")
    assert editor.client.get("/api/v1/me").json() == {"name": "editor", "role": "editor"}
    body = {"title": "From the browser", "severity": "SEV3"}
    refused = editor.client.post("/api/v1/incidents", json=body)
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    made = editor.client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": editor.csrf})
    assert made.status_code == 201
    assert site.browser().client.get("/api/v1/me").status_code == 401


def test_unknown_pages_are_html_and_unknown_api_paths_stay_problem_json(site: Site):
    viewer = site.browser("viewer")
    page = viewer.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no page at this address." in text_of(page)
    missing = viewer.get("/incidents/INC-99")
    assert missing.status_code == 404 and "No incident INC-99." in text_of(missing)
    api = viewer.client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert viewer.client.get("/healthz").json() == {"status": "ok"}


def test_pages_send_a_content_security_policy_and_the_static_files_are_served(site: Site):
    page = site.browser().get("/login")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert 'href="/static/app.css' in page.text
    assert site.browser().client.get("/static/app.css").status_code == 200
    assert "liveEditor" in site.browser().client.get("/static/app.js").text


def test_a_viewer_sees_no_edit_controls_and_cannot_post(site: Site):
    incident = new_incident(site)
    editor = site.browser("editor")
    editor.post(
        f"/incidents/{incident}/timeline", {"at": "2026-03-14T10:00:00", "text": "Alert fired", "kind": "alert"}
    )
    editor.post(f"/incidents/{incident}/postmortem/actions", {"title": "Add a pool alert", "owner": "Ana"})
    viewer = site.browser("viewer")
    for path in (
        f"/incidents/{incident}",
        f"/incidents/{incident}/postmortem",
        f"/incidents/{incident}/review",
        "/actions",
        "/incidents",
        "/dashboard",
    ):
        page = viewer.get(path)
        assert page.status_code == 200, path
        assert forms_of(page) == ["/logout"], f"{path} shows edit controls to a viewer: {forms_of(page)}"
        assert "<textarea" not in page.text and "New incident" not in page.text, path
    assert "New incident" in text_of(editor.get("/incidents"))
    assert len(forms_of(editor.get(f"/incidents/{incident}/postmortem"))) > 10
    refused = viewer.post(f"/incidents/{incident}/timeline", {"at": "2026-03-14T10:05:00", "text": "Sneaky"})
    assert refused.status_code == 403 and "needs the editor role" in text_of(refused)
    assert viewer.get("/incidents/new").status_code == 403


def test_every_page_route_declares_who_may_open_it():
    app = create_app(Settings(database_url="sqlite://"))
    routes = page_routes(create_pages(app))
    assert len(routes) > 25

    def declared(dependant: Any) -> set[str]:
        found = {getattr(dependant.call, "authorization", None)}
        for sub in dependant.dependencies:
            found |= declared(sub)
        return found - {None}

    for route in routes:
        marks = declared(route.dependant)
        assert marks & {"public", "viewer", "editor"}, f"{route.path}: no authorization"
        if route.path in ("/account/password", "/people/{person_id}/channels"):  # one's own password, channels
            assert marks == {"viewer"}, route.path
        elif "POST" in route.methods and route.path not in ("/login", "/logout"):
            assert "editor" in marks, f"POST {route.path} must need the editor role"


def test_a_short_secret_key_is_refused_when_the_app_is_built():
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        create_app(Settings(database_url="sqlite://", secret_key="too-short"))


def test_a_configured_secret_key_signs_sessions_that_every_server_process_accepts(database_url: str):
    key = "k" * 40
    first, second = make_site(database_url, secret_key=key), None
    try:
        editor = first.browser("editor")
        second = create_app(Settings(database_url=database_url, secret_key=key))
        other = TestClient(second)
        use_cookie(other, editor.client.cookies[SESSION_COOKIE])
        assert other.get("/dashboard").url.path == "/dashboard"
        third = TestClient(create_app(Settings(database_url=database_url, secret_key="x" * 40)))
        use_cookie(third, editor.client.cookies[SESSION_COOKIE])
        assert third.get("/dashboard").url.path == "/login"
    finally:
        first.db.dispose()
        if second is not None:
            second.state.db.dispose()


def test_without_a_secret_key_every_process_shares_the_one_kept_in_the_database(site: Site):
    editor = site.browser("editor")
    other = create_app(Settings(database_url=site.settings.database_url))
    client = TestClient(other)
    use_cookie(client, editor.client.cookies[SESSION_COOKIE])
    assert client.get("/dashboard").url.path == "/dashboard"
    other.state.db.dispose()


def test_every_page_names_the_sites_icon_and_favicon_ico_answers_it_without_a_sign_in(site: Site):
    visitor = site.browser()
    for page in (visitor.get("/login"), site.browser("viewer").get("/dashboard"), visitor.get("/no-such-page")):
        found = re.search(r'<link rel="icon" type="image/svg\+xml" href="(/static/favicon\.svg[^"]*)">', page.text)
        assert found, page.text[:600]
        icon = visitor.client.get(found.group(1))
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.text.startswith("<svg") and "http" not in icon.text.replace("http://www.w3.org/2000/svg", "")
    legacy = visitor.client.get("/favicon.ico", follow_redirects=False)
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("image/svg+xml")
    assert legacy.content == icon.content and "max-age" in legacy.headers["cache-control"]
    assert "set-cookie" not in legacy.headers  # a plain file: no session for it
