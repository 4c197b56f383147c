"""Fixtures of the page tests: the app on the test database, users of every role, and one browser-like client
per user (its own cookies), which fills in the CSRF token of the page it saw last."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from afteraction.accounts import service as accounts
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.web import create_app

PASSWORD = "correct horse"
PEOPLE = {"viewer": "viewer", "editor": "editor", "admin": "admin", "outsider": "editor", "reviewer": "editor"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest costs: tests check behaviour, not hash strength."""
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class Browser:
    """One person's browser: a client with its own cookie jar and the CSRF token of the last page it loaded."""

    client: TestClient
    csrf: str = ""
    last: httpx.Response | None = field(default=None, repr=False)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """Open a page (following redirects, as a browser does) and remember its CSRF token."""
        response = self.client.get(path, **kwargs)
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        self.last = response
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """Send a form of the last page (with its CSRF token) and follow the redirect to the next page."""
        if not self.csrf:
            self.get("/login")
        body = {"csrf_token": self.csrf, **(data or {})}
        response = self.client.post(path, data=body, **kwargs)
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        self.last = response
        return response

    def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        """Sign in through the form."""
        self.get("/login")
        return self.post("/login", {"username": name, "password": password, "next": "/dashboard"})


@dataclass
class Site:
    """The app and a browser for each person (and one for a visitor who is not signed in)."""

    app: FastAPI
    settings: Settings
    db: Database
    browsers: dict[str, Browser] = field(default_factory=dict)

    def browser(self, name: str | None = None) -> Browser:
        """The (signed-in) browser of a person, or a fresh visitor's browser."""
        if name is None:
            return Browser(TestClient(self.app, raise_server_exceptions=False))
        if name not in self.browsers:
            browser = Browser(TestClient(self.app, raise_server_exceptions=False))
            response = browser.sign_in(name)
            assert response.url.path == "/dashboard", response.text[:500]
            self.browsers[name] = browser
        return self.browsers[name]


def make_site(database_url: str, **overrides: Any) -> Site:
    """The app on a database, with the people of PEOPLE (password PASSWORD)."""
    settings = Settings(database_url=database_url, max_body_bytes=64 * 1024, max_upload_bytes=256 * 1024, **overrides)
    app = create_app(settings)
    db: Database = app.state.db
    for name, role in PEOPLE.items():
        accounts.create_user(db, name=name, email=f"{name}@example.org", role=role, password=PASSWORD)
    return Site(app=app, settings=settings, db=db)


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    """The web app on the test database with a viewer, editors (editor, outsider, reviewer) and an admin."""
    found = make_site(database_url)
    yield found
    for browser in found.browsers.values():
        browser.client.close()
    found.db.dispose()


def text_of(response: httpx.Response) -> str:
    """The visible text of a page, roughly: tags removed, entities decoded, spaces collapsed."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.text)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def forms_of(response: httpx.Response) -> list[str]:
    """The actions of the POST forms on a page."""
    return re.findall(r'<form\b[^>]*\bmethod="post"[^>]*\baction="([^"]+)"', response.text)


def new_incident(site: Site, by: str = "editor", **fields: Any) -> str:
    """Create an incident through the form and return its id."""
    data = {"title": "Checkout latency above SLO", "severity": "SEV2", "kind": "incident", "services": "checkout"}
    data.update(fields)
    response = site.browser(by).post("/incidents", data)
    assert response.status_code == 200, response.text[:500]
    found = re.search(r"/incidents/(INC-\d+)$", str(response.url))
    assert found, response.url
    return found.group(1)
