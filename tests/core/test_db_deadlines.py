"""Deadlines on the database (issue #15, item 7): connect, statement and lock timeouts from the settings, and a
client-side deadline for a PostgreSQL server that does not answer at all."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from afteraction.core.config import Settings
from afteraction.core.db import Database, DatabaseTimeouts, without_statement_limit
from afteraction.core.errors import DatabaseUnavailable
from tests.conftest import PG_URL
from tests.security.test_database_down import FreezableProxy


def test_the_timeouts_come_from_the_settings():
    settings = Settings(database_url="sqlite://", db_connect_timeout=3, db_statement_timeout=0, db_lock_timeout=0.25)
    assert DatabaseTimeouts.from_settings(settings) == DatabaseTimeouts(connect=3, statement=0, lock=0.25)
    assert DatabaseTimeouts() == DatabaseTimeouts.from_settings(Settings(database_url="sqlite://"))
    assert DatabaseTimeouts().without_statement_limit().statement == 0


def test_sqlite_waits_for_the_write_lock_as_long_as_the_lock_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/x.db", timeouts=DatabaseTimeouts(lock=0.2))
    db.migrate()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 200
    writer = db.engine.raw_connection()
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        with pytest.raises(DatabaseUnavailable, match="database is locked"), db.transaction() as session:
            session.execute(text("DELETE FROM incidents"))
        assert time.perf_counter() - started < 2
    finally:
        writer.rollback()
        writer.close()
    db.dispose()


def test_postgresql_connections_carry_the_statement_and_lock_timeouts(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's timeouts")
    db = Database(database_url, timeouts=DatabaseTimeouts(connect=2, statement=0.5, lock=0.25))
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "500ms"
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == "250ms"
        assert conn.exec_driver_sql("SHOW search_path").scalar_one().startswith("aa_")  # the URL's options kept
    started = time.perf_counter()
    with pytest.raises(DatabaseUnavailable, match="statement timeout"), db.transaction() as session:
        session.execute(text("SELECT pg_sleep(3)"))
    assert time.perf_counter() - started < 2
    with db.transaction() as session:  # the pool carries on
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    with db.transaction() as session:  # a bulk job lifts the limit for its transaction only (server and client)
        without_statement_limit(session)
        session.execute(text("SELECT pg_sleep(1.7)"))
    with pytest.raises(DatabaseUnavailable, match="statement timeout"), db.transaction() as session:
        session.execute(text("SELECT pg_sleep(1)"))
    db.dispose()


def test_migrations_run_without_the_statement_limit(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's statement_timeout")
    db = Database(database_url, timeouts=DatabaseTimeouts(statement=0.5))
    db.migrate()  # at head already: checks that it runs, on an engine of its own
    migrations = db.timeouts.without_statement_limit()
    assert (migrations.statement, migrations.lock) == (0, db.timeouts.lock)
    db.dispose()


@pytest.mark.skipif(not PG_URL, reason="AFTERACTION_TEST_DATABASE_URL is not set")
def test_a_server_that_stops_answering_fails_the_statement_and_the_pool_recovers():
    target = make_url(PG_URL)
    proxy = FreezableProxy((target.host or "127.0.0.1", target.port or 5432))
    url = make_url(PG_URL).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    db = Database(url, timeouts=DatabaseTimeouts(connect=2, statement=0.5, lock=0.25))
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
            proxy.frozen.set()
            started = time.perf_counter()
            with pytest.raises(OperationalError, match=r"did not answer within 1\.5 s"):
                conn.exec_driver_sql("SELECT 2")  # a statement of a connection in use: the server never sees it
            assert 1.4 < time.perf_counter() - started < 3
            assert conn.invalidated  # out of the pool
        started = time.perf_counter()
        # The kept connection's ping gets no answer within 0.5 + 1 s: it is dropped, and a new one gets none within
        # the connect timeout.
        with pytest.raises(OperationalError, match="connection timeout expired"), db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert time.perf_counter() - started < 6
        started = time.perf_counter()
        with pytest.raises(DatabaseUnavailable), db.transaction() as session:
            session.execute(text("SELECT 1"))  # a new connection: the connect timeout
        assert time.perf_counter() - started < 8
        proxy.frozen.clear()
        with db.transaction() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        proxy.stop()
        db.dispose()
