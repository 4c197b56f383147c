"""The database layer: migrations match the models, SQLite runs in WAL mode with foreign keys, times stay UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from afteraction.db import Database
from afteraction.incidents.models import Incident
from afteraction.insights.models import include_object
from afteraction.models import metadata


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_create_exactly_the_models(db):
    with db.engine.connect() as conn:
        # include_object leaves out the full-text search objects that only exist per database (FTS5, tsvector).
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, metadata) == []


def test_migrate_twice_is_harmless(db):
    db.migrate()
    db.check()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/x.db")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_times_come_back_in_utc_to_the_microsecond(db):
    moment = datetime(2026, 3, 14, 11, 8, 10, 100, tzinfo=timezone(timedelta(hours=1)))
    with db.transaction() as session:
        session.add(Incident(number=1, title="t", kind="incident", status="open", started_at=moment, extra={}))
    with db.transaction() as session:
        stored = session.scalar(select(Incident.started_at))
    assert stored == datetime(2026, 3, 14, 10, 8, 10, 100, tzinfo=UTC)
    assert stored is not None and stored.tzinfo == UTC


def test_a_failed_transaction_writes_nothing(db):
    try:
        with db.transaction() as session:
            session.add(Incident(number=1, title="t", kind="incident", status="open", extra={}))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.transaction() as session:
        assert session.scalar(select(Incident.id)) is None
