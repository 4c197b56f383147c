"""The database layer: migrations match the models, SQLite runs in WAL mode with foreign keys, times stay UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from afteraction.core.actor import Actor
from afteraction.core.db import Database, refresh_statistics
from afteraction.core.errors import NotFound
from afteraction.domain.incidents import NewIncident
from afteraction.incidents.models import Incident
from afteraction.usecases.incidents import create_incident, get_incident
from tests.migrations.test_history import drift


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_create_exactly_the_models(db):
    # As env.py compares: the full-text search objects that only exist per database (FTS5, tsvector) left out.
    assert drift(db.engine) == []


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


def _add_incidents(db: Database, numbers: range) -> None:
    with db.transaction() as session:
        session.add_all(Incident(number=n, title="t", kind="incident", status="open", extra={}) for n in numbers)


def test_planner_statistics_are_gathered_once_and_again_when_a_table_has_grown(db):
    _add_incidents(db, range(1, 11))
    with db.transaction() as session:
        first = refresh_statistics(session)
    with db.transaction() as session:
        again = refresh_statistics(session)
    _add_incidents(db, range(11, 16))
    with db.transaction() as session:
        small = refresh_statistics(session)  # a few rows more: any plan is quick
    _add_incidents(db, range(16, 2001))
    with db.transaction() as session:
        grown = refresh_statistics(session)
    if db.engine.dialect.name == "sqlite":
        assert "incidents" in first and (again, small, grown) == ([], [], ["incidents"])
        with db.transaction() as session:
            assert session.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'incidents'")).scalar() > 0
    else:  # PostgreSQL's autovacuum keeps its own statistics
        assert (first, again, small, grown) == ([], [], [], [])


def test_planner_statistics_wait_for_no_writer(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/x.db")
    db.migrate()
    _add_incidents(db, range(1, 4))
    writer = db.engine.raw_connection()
    writer.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
    try:
        started = time.perf_counter()
        with db.transaction() as session:
            assert refresh_statistics(session) == []  # left for a later call
            assert session.scalar(select(func.count(Incident.id))) == 3  # and the reader carries on
        assert time.perf_counter() - started < 2
    finally:
        writer.rollback()
        writer.close()
    with db.transaction() as session:
        assert "incidents" in refresh_statistics(session)
    db.dispose()


def test_the_library_reads_an_incident_from_an_in_memory_database():
    db = Database("sqlite://")
    db.migrate()
    new = NewIncident(title="In memory", severity="SEV2", services=["checkout", "cache"], private=True)
    created = create_incident(db, actor=Actor.system(), new=new, allowed_severities=["SEV2"])
    found = get_incident(db, actor=Actor.system(), incident_id=created.id)
    assert found == created and found.services == ["checkout", "cache"] and found.postmortem_status == "draft"
    with pytest.raises(NotFound):
        get_incident(db, actor=Actor(user_id=99, name="nobody", role="viewer"), incident_id=created.id)
    db.dispose()
