"""Migration 0010_timeline_imports adds the import records and each event's import (NULL for the events already
there); deleting a record leaves its events without one, deleting the incident deletes its records; the downgrade
takes both away and keeps the events, their indexes and constraints."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.migrations.test_history import BACKENDS, ROWS, T, _catalog, _config, _empty_engine, _heads, _insert

BEFORE = "0009_key_moments"


def _columns(conn: sa.Connection, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(conn).get_columns(table)}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_upgrade_adds_import_records_and_the_downgrade_takes_them_away(backend: str, tmp_path: Path):
    with _empty_engine(backend, tmp_path) as engine:
        cfg = _config(engine)
        command.upgrade(cfg, BEFORE)
        before = _catalog(engine)
        with engine.begin() as conn:
            for table in ("incidents", "timeline_events"):
                _insert(conn, table, dict(next(row for name, row in ROWS if name == table)))
        command.upgrade(cfg, "head")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT id, import_id FROM timeline_events")).all() == [(1, None)]
            if backend == "sqlite":  # a plain ADD COLUMN, its reference inline (see test_history._drift)
                references = conn.execute(sa.text("PRAGMA foreign_key_list(timeline_events)")).mappings().all()
                assert {(r["from"], r["table"], r["to"], r["on_delete"]) for r in references} == {
                    ("incident_id", "incidents", "id", "CASCADE"),
                    ("import_id", "timeline_imports", "id", "SET NULL"),
                }
            record = {"id": 1, "incident_id": 1, "format": "slack", "file_name": "export.zip", "actor": "ana",
                      "started_at": T, "state": "done", "read": 1, "added": 1}  # fmt: skip
            _insert(conn, "timeline_imports", record)
            _insert(conn, "timeline_imports", {**record, "id": 2})
            conn.execute(sa.text("UPDATE timeline_events SET import_id = 1"))
            conn.execute(sa.text("DELETE FROM timeline_imports WHERE id = 1"))
            assert conn.execute(sa.text("SELECT import_id FROM timeline_events")).scalar_one() is None
        command.downgrade(cfg, BEFORE)
        assert _heads(engine) == {BEFORE} and _catalog(engine) == before  # every index and constraint as it was
        with engine.connect() as conn:
            assert not sa.inspect(conn).has_table("timeline_imports")
            assert "import_id" not in _columns(conn, "timeline_events")
            assert conn.execute(sa.text("SELECT id, text FROM timeline_events")).all() == [(1, "Paged the on-call")]
        command.upgrade(cfg, "head")
        with engine.begin() as conn:
            _insert(conn, "timeline_imports", record)
            conn.execute(sa.text("DELETE FROM incidents"))  # its records go with it
            assert conn.execute(sa.text("SELECT count(*) FROM timeline_imports")).scalar_one() == 0
