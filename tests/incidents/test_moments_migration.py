"""Migration 0009_key_moments fills every existing incident's stored moments: hand-set ones stay, the others are
derived from (or marked on) its timeline, durations follow; a status other than open counts as set by hand."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.migrations.test_history import BACKENDS, ROWS, T, _config, _empty_engine, _insert


def _event(conn: sa.Connection, event_id: int, incident_id: int, minutes: int, kind: str, moment: str | None) -> None:
    at = T + timedelta(minutes=minutes)
    row = {"id": event_id, "incident_id": incident_id, "at": at, "sort_at": at, "source": "manual", "kind": kind,
           "text": kind, "position": event_id, "key_moment": moment}  # fmt: skip
    _insert(conn, "timeline_events", row)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_upgrade_fills_the_stored_moments_of_existing_incidents(backend: str, tmp_path: Path):
    with _empty_engine(backend, tmp_path) as engine:
        cfg = _config(engine)
        command.upgrade(cfg, "0008_sign_in")
        incident = dict(next(row for name, row in ROWS if name == "incidents"))
        with engine.begin() as conn:
            _insert(conn, "incidents", incident)
            timeline_only = {**incident, "id": 2, "number": 8, "external_ref": None, "status": "open",
                             "detected_at": None, "resolved_at": None}  # fmt: skip
            _insert(conn, "incidents", timeline_only)
            _event(conn, 1, 2, 5, "alert", None)
            _event(conn, 2, 2, 7, "acknowledge", None)
            _event(conn, 3, 2, 20, "rollback", "mitigated")
            _event(conn, 4, 2, 30, "resolve", None)
        command.upgrade(cfg, "head")
        columns = "number, status, status_set_by_hand, ttd_seconds, tta_seconds, ttm_seconds, ttr_seconds, version"
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f"SELECT {columns} FROM incidents ORDER BY number")).all()
            origins = conn.execute(sa.text("SELECT moment_origins FROM incidents WHERE number = 8")).scalar_one()
        assert [tuple(row) for row in rows] == [
            (7, "resolved", True, 240.0, None, None, 3600.0, 3),
            (8, "resolved", False, 300.0, 120.0, 1200.0, 1800.0, 3),
        ]
        origins = origins if isinstance(origins, dict) else json.loads(origins)
        assert origins == {
            "started": {"origin": "manual", "event_id": None},
            "detected": {"origin": "derived", "event_id": 1},
            "acknowledged": {"origin": "derived", "event_id": 2},
            "mitigated": {"origin": "marked", "event_id": 3},
            "resolved": {"origin": "derived", "event_id": 4},
        }
