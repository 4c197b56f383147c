"""The database layer: migrations match the models, SQLite runs in WAL mode with foreign keys, times stay UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import bindparam, func, select, text

from afteraction.core.db import Database, FastRead, refresh_statistics
from afteraction.core.errors import DatabaseUnavailable, InvalidInput
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


_ONE = None


def _one_incident() -> FastRead:
    global _ONE
    if _ONE is None:
        table = Incident.__table__
        _ONE = FastRead(
            select(table.c.started_at, table.c.private, table.c.extra, table.c.title).where(
                table.c.number == bindparam("number")
            )
        )
    return _ONE


def test_fast_reads_give_what_sqlalchemy_gives(db):
    moment = datetime(2026, 3, 14, 10, 8, 10, 100, tzinfo=UTC)
    with db.transaction() as session:
        session.add(
            Incident(number=7, title="Zürich", kind="incident", status="open", private=True, started_at=moment,
                     extra={"region": "eu"})
        )  # fmt: skip
    with db.fast_reads() as reader:
        assert reader.first(_one_incident(), number=7) == (moment, True, {"region": "eu"}, "Zürich")
        assert reader.first(_one_incident(), number=8) is None
        assert reader.all(_one_incident(), number=7)[0][0].tzinfo == UTC


def test_fast_reads_see_every_commit(db):
    with db.fast_reads() as reader:
        assert reader.first(_one_incident(), number=1) is None
    with db.transaction() as session:
        session.add(Incident(number=1, title="later", kind="incident", status="open", extra={}))
    with db.fast_reads() as reader:
        assert reader.first(_one_incident(), number=1)[3] == "later"  # autocommit: no stale snapshot


def test_fast_reads_survive_a_server_that_dropped_their_connection(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a SQLite file's connection does not go stale")
    with db.fast_reads() as reader:
        assert reader.first(_one_incident(), number=1) is None
        pid = reader._connection.info.backend_pid
    with db.engine.begin() as conn:  # as a restarted server would leave it
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with db.fast_reads() as reader:
        assert reader.first(_one_incident(), number=1) is None
        assert reader._connection.info.backend_pid != pid


def test_fast_reads_refuse_an_in_memory_database():
    db = Database("sqlite://")
    with pytest.raises(InvalidInput, match="in-memory"), db.fast_reads():
        pass


def test_fast_reads_report_an_unreachable_server_in_one_line():
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseUnavailable) as failure, db.fast_reads() as reader:
        reader.first(_one_incident(), number=1)
    assert "\n" not in str(failure.value) and "127.0.0.1" in str(failure.value)
