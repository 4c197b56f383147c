"""The attack suite's server: `afteraction serve` in its own process on a loopback port, on SQLite and (when
AFTERACTION_TEST_DATABASE_URL is set) PostgreSQL, attacked over real HTTP as an outsider would.

A module may set `LIVE_ENV = {"UPLOAD_MAX_MEMBER_BYTES": "…"}` (settings without the AFTERACTION_ prefix) for its
server; `start_live_server` starts one with any other settings inside a test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import patch

import httpx
import pytest
from argon2 import PasswordHasher

from afteraction.accounts import service as accounts
from afteraction.core.db import Database
from tests.conftest import PG_URL, free_port, migrated_pg_schema

WEBHOOK_SECRET = "live-hook-secret-0123456789"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def cheap_hasher() -> PasswordHasher:
    """argon2 with the smallest costs, for the accounts the tests make (the server verifies with the hash's own)."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass
class LiveServer:
    """A running `afteraction serve` process, its database and its log."""

    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    db: Database
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, token: str | None = None, **kwargs: object) -> httpx.Client:
        """An HTTP client of the server (with a bearer token when given); follows no redirects."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60.0, **kwargs)  # type: ignore[arg-type]

    def add_user(self, name: str, role: str = "editor", password: str = PASSWORD) -> str:
        """Create an account (cheap hash) with an API token; returns the token (also kept in `tokens`)."""
        with patch.object(accounts, "_hasher", cheap_hasher):
            accounts.create_user(self.db, name=name, email=f"{name.lower()}@example.org", role=role, password=password)
        token = accounts.create_token(self.db, user=name, name="security-tests").token
        self.tokens[name] = token
        return token

    def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Client:
        """A browser-like client signed in through the /login form (its session cookie and CSRF token kept)."""
        browser = self.client()
        page = browser.get("/login")
        found = _CSRF.search(page.text)
        assert found, "the sign-in page has no CSRF token"
        answer = browser.post("/login", data={"username": name, "password": password, "csrf_token": found[1]})
        assert answer.status_code == 303, f"sign-in of {name} failed: {answer.status_code}"
        return browser

    def csrf(self, browser: httpx.Client, path: str = "/dashboard") -> str:
        """The CSRF token of a signed-in browser's pages."""
        found = _CSRF.search(browser.get(path).text) or re.search(
            r'name="csrf-token" content="([^"]+)"', browser.get(path).text
        )
        assert found, f"no CSRF token on {path}"
        return found[1]

    def log(self) -> str:
        """What the server has written to its standard output and error so far."""
        return self.log_path.read_text(errors="replace")

    def _status(self, key: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no {key} for the server process")

    def rss_bytes(self) -> int:
        """The server process's resident memory now."""
        return self._status("VmRSS")

    def peak_rss_bytes(self) -> int:
        """The most resident memory the server process has had (VmHWM)."""
        return self._status("VmHWM")

    def alive(self) -> bool:
        """Whether the server process still runs."""
        return self.process.poll() is None


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    """A migrated database of its own for one server: a SQLite file, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'live.db'}"
        Database(url).migrate()
        yield url
        return
    with migrated_pg_schema("aa_sec") as url:
        yield url


@contextmanager
def start_live_server(backend: str, folder: Path, env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """`afteraction serve` on a free loopback port with its own database and these settings; stopped on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    with _database(backend, folder) as url:
        port = free_port()
        environment = {
            **os.environ,
            "AFTERACTION_DATABASE_URL": url,
            "AFTERACTION_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PYTHONUNBUFFERED": "1",
            **{f"AFTERACTION_{name}": value for name, value in (env or {}).items()},
        }
        log_path = folder / f"server-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "afteraction", "serve", "--host", "127.0.0.1", "--port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=folder,
            )  # fmt: skip
        database = Database(url)
        server = LiveServer(f"http://127.0.0.1:{port}", url, process, log_path, database)
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    pytest.fail(f"the server stopped at start:\n{server.log()}")
                try:
                    if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{server.log()}")
                time.sleep(0.1)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            database.dispose()


@pytest.fixture(scope="module", params=_backends())
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server per test module and database, with the module's LIVE_ENV settings."""
    env: dict[str, str] = getattr(request.module, "LIVE_ENV", {})
    folder = tmp_path_factory.mktemp(f"live-{request.param}")
    with start_live_server(request.param, folder, env) as server:
        yield server


@pytest.fixture
def backend(live: LiveServer) -> str:
    """The database kind of the live server: sqlite or postgresql."""
    return "postgresql" if live.database_url.startswith("postgresql") else "sqlite"
