"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL too when configured) and a CLI runner."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from afteraction.cli import app
from afteraction.core.db import Database
from afteraction.models import metadata

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PG_URL = os.environ.get("AFTERACTION_TEST_DATABASE_URL", "")


def corpus_path(*parts: str) -> Path:
    """A path in ../shared/corpus, skipping the test when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus not available: {path}")
    return path


def free_port() -> int:
    """A TCP port free on the loopback address right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, *, timeout: float = 20.0, lifespan: str = "off") -> Iterator[int]:
    """Serve an ASGI app with uvicorn on a free loopback port in a thread; yields the port, stops on exit. With
    `lifespan="on"` the app's start and end run too (the notification loop of `serve`)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1 and localhost (skips without openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder / "cert.pem", folder / "key.pem"


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def counter() -> Iterator[tuple[int, list[str]]]:
    """A server on loopback that counts every request it gets (a pixel, a stylesheet): (port, paths asked for)."""
    hits: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Counter,), {"hits": hits}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@contextmanager
def migrated_pg_schema(prefix: str = "aa_test") -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, migrated schema of its own, dropped on exit."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    db = Database(url)
    db.migrate()
    db.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema of this test session, migrated once."""
    if not PG_URL:
        pytest.skip("AFTERACTION_TEST_DATABASE_URL is not set")
    with migrated_pg_schema() as url:
        yield url


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """The URL of an empty, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "afteraction.core.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_schema_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A Database on the test's own empty schema."""
    database = Database(database_url)
    yield database
    database.dispose()


@dataclass
class CliResult:
    """What a user sees after one command: exit code, standard output and standard error."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run `afteraction ARGS…` against the test database, as a user would from a shell."""
    monkeypatch.setenv("AFTERACTION_DATABASE_URL", database_url)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> CliResult:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def store(db):
    """Store a post-mortem document in the test database; returns its incident id."""

    from afteraction.core.actor import Actor
    from afteraction.usecases.documents import store_document
    from tests.factories import SEVERITIES

    def put(doc: Any) -> str:
        return store_document(db, doc=doc, severities=SEVERITIES, actor=Actor.system()).incident_id

    return put
