"""Fixtures of the end-to-end tests: the real server (uvicorn in a thread, on a free loopback port, on the test
database) and Debian's headless Chromium driven by Playwright. Skipped, saying why, without either."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from afteraction.accounts import service as accounts
from afteraction.core.config import Settings
from afteraction.web import create_app
from tests.conftest import serve_in_thread

CHROMIUM = os.environ.get("AFTERACTION_E2E_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery"
# Set to a folder to keep screenshots of the pages the tests walk through (at laptop and phone width).
SHOTS = os.environ.get("AFTERACTION_E2E_SCREENSHOTS")

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = expect = None  # type: ignore[assignment]


def _skip_reason() -> str | None:
    if sync_playwright is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the session (Playwright never downloads a browser here)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@dataclass
class Server:
    """A running afteraction server and what a test needs to reach it."""

    url: str
    settings: Settings
    app: Any

    def page(self, browser: Browser, *, width: int = 1280, height: int = 900) -> Page:
        """A new page in a fresh browser context (its own cookies), downloads allowed."""
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        context.set_default_timeout(15_000)
        return context.new_page()


@contextmanager
def running_server(database_url: str, *, send_notifications: bool = False, **settings: Any) -> Iterator[Server]:
    """The web app served by uvicorn on a free loopback port, with the users author, reviewer and reader; with
    `send_notifications` it sends them by itself as `serve` does (every AFTERACTION_NOTIFY_INTERVAL seconds)."""
    config = Settings(database_url=database_url, chromium_path=CHROMIUM, **settings)
    app = create_app(config)
    app.state.send_notifications = send_notifications
    for name, role in (("author", "editor"), ("reviewer", "editor"), ("reader", "viewer")):
        accounts.create_user(app.state.db, name=name, email=f"{name}@example.org", role=role, password=PASSWORD)
    with serve_in_thread(app, lifespan="on" if send_notifications else "off") as port:
        yield Server(url=f"http://127.0.0.1:{port}", settings=config, app=app)
    app.state.db.dispose()


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 hashes that take a millisecond: the tests sign in often."""
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def server(database_url: str, cheap_hashes: None) -> Iterator[Server]:
    """The web app served by uvicorn on a free loopback port, with the users author, reviewer and reader."""
    with running_server(database_url) as running:
        yield running


def sign_in(page: Page, server: Server, name: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(server.url + "/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")


def screenshot(page: Page, name: str) -> None:
    """Keep a screenshot of the page at laptop and phone width when AFTERACTION_E2E_SCREENSHOTS names a folder."""
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.screenshot(path=str(folder / f"{name}-laptop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=False)
    page.set_viewport_size(size)
