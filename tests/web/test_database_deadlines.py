"""Reads never write, and a database that keeps a request waiting makes it fail fast with 503 + Retry-After (issue #15,
items 6 and 7), through the in-process app."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from afteraction.accounts import service as accounts
from afteraction.core.db import Database
from afteraction.incidents.models import Incident
from afteraction.insights.service import upkeep
from afteraction.web import create_app
from tests.web.conftest import Api, add_people, make_settings, new_incident
from tests.web.pages.conftest import make_site


@contextmanager
def sqlite_writer(url: str) -> Iterator[None]:
    """Another connection holding SQLite's write lock (a long import, say) until the block ends."""
    writer = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def _unindex_everything(db: Database) -> None:
    """Make the read side's upkeep due: no incident has a search document."""
    with db.transaction() as session:
        session.execute(text("DELETE FROM search_documents"))


def test_the_dashboard_and_insights_answer_while_another_connection_writes(database_url: str):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL readers never wait for writers")
    site = make_site(database_url)
    try:
        browser = site.browser("viewer")
        api = Api(client=TestClient(site.app, raise_server_exceptions=False), settings=site.settings)
        api.tokens["editor"] = accounts.create_token(site.db, user="editor", name="tests").token
        new_incident(api)
        _unindex_everything(site.db)  # the reads find upkeep due: they must not try to do it while locked
        with sqlite_writer(database_url):
            started = time.perf_counter()
            page = browser.get("/dashboard")
            report = api.call("editor", "GET", "/api/v1/insights")
            similar = api.call("editor", "GET", "/api/v1/similar", params={"text": "checkout latency"})
            recurrences = api.call("editor", "GET", "/api/v1/incidents/INC-1/recurrences")
            took = time.perf_counter() - started
        assert (page.status_code, report.status_code) == (200, 200), (page.text[:300], report.text)
        assert (similar.status_code, recurrences.status_code) == (200, 200)
        assert report.json()["incidents"]["total"] == 1
        assert took < 3, f"the reads waited for the writer: {took:.1f} s"
        # Reads never write, even with nobody holding the lock: the incident is still unindexed after them.
        assert browser.get("/dashboard").status_code == 200
        assert api.call("editor", "GET", "/api/v1/insights").status_code == 200
        with site.db.transaction() as session:
            assert session.execute(text("SELECT count(*) FROM search_documents")).scalar_one() == 0
        # Upkeep catches up (the server does it in the background; here by hand).
        assert upkeep(site.db) is True
        with site.db.transaction() as session:
            assert session.execute(text("SELECT count(*) FROM search_documents")).scalar_one() == 1
    finally:
        site.db.dispose()


def test_upkeep_skips_at_once_while_another_connection_writes(database_url: str):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock")
    db = Database(database_url)
    try:
        with db.transaction() as session:
            session.add(Incident(number=1, title="t", kind="incident", status="open", extra={}))
        _unindex_everything(db)
        with sqlite_writer(database_url):
            started = time.perf_counter()
            assert upkeep(db) is False
            assert time.perf_counter() - started < 0.5
        with db.engine.connect() as conn:  # the connection went back to the pool with its own busy timeout
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 10_000
        assert upkeep(db) is True
    finally:
        db.dispose()


def test_a_write_that_waits_too_long_for_a_lock_is_a_503_with_retry_after(database_url: str):
    settings = make_settings(database_url, db_lock_timeout=0.3)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client=client, settings=settings)
        add_people(api)
        created = new_incident(api)
        patch = {"title": "Checkout latency, renamed"}
        if database_url.startswith("sqlite"):
            holder = sqlite_writer(database_url)
        else:
            holder = _pg_row_lock(database_url, "SELECT id FROM incidents FOR UPDATE")
        with holder:
            started = time.perf_counter()
            answer = api.call("editor", "PATCH", f"/api/v1/incidents/{created['id']}", json=patch)
            took = time.perf_counter() - started
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"].isdigit() and int(answer.headers["Retry-After"]) >= 1
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "database" in answer.json()["detail"] and "sqlite" not in answer.json()["detail"].lower()
        assert took < 3, f"waited {took:.1f} s for a lock with a 0.3 s lock timeout"
        # The lock is gone: the same write now succeeds on the same server.
        again = api.call("editor", "PATCH", f"/api/v1/incidents/{created['id']}", json=patch)
        assert again.status_code == 200, again.text


@contextmanager
def _pg_row_lock(url: str, statement: str) -> Iterator[None]:
    """Another PostgreSQL connection holding row locks until the block ends."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
            try:
                yield
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def test_a_statement_that_runs_too_long_is_a_503(database_url: str):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's statement_timeout")
    settings = make_settings(database_url, db_statement_timeout=0.5)
    app = create_app(settings)
    db: Database = app.state.db
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "500ms"
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == "10s"
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client=client, settings=settings)
        add_people(api)
        new_incident(api)
        # Every query of the incident list waits on a lock held longer than the statement may run.
        with _pg_row_lock(database_url, "LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE"):
            started = time.perf_counter()
            answer = api.call("viewer", "GET", "/api/v1/incidents")
            took = time.perf_counter() - started
        assert answer.status_code == 503 and "Retry-After" in answer.headers, answer.text
        assert took < 3
        assert api.call("viewer", "GET", "/api/v1/incidents").status_code == 200
    db.dispose()


def test_readyz_is_ready_when_the_database_answers(api: Api):
    assert api.call(None, "GET", "/readyz").json() == {"status": "ready"}
