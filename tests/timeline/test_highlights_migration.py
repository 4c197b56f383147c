"""Migration 0012_highlights gives the events already there the default highlights (hand-added, deploys and
decisions, alerting and paging except notifications, a document's timeline, the events behind stored key moments;
chat stays evidence), adds the channel and the stored picture, and the downgrade takes them away again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.migrations.test_history import BACKENDS, ROWS, _catalog, _config, _empty_engine, _heads, _insert

BEFORE = "0011_timeline_paging"


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_upgrade_gives_existing_events_their_default_highlights(backend: str, tmp_path: Path):
    with _empty_engine(backend, tmp_path) as engine:
        cfg = _config(engine)
        command.upgrade(cfg, BEFORE)
        before = _catalog(engine)
        incident = dict(next(row for name, row in ROWS if name == "incidents"))
        event = dict(next(row for name, row in ROWS if name == "timeline_events"))
        with engine.begin() as conn:
            _insert(conn, "incidents", {**incident, "imported": False})
            rows = [
                ("manual", "note"), ("slack", "message"), ("slack", "message"), ("git", "deploy"),
                ("pagerduty", "notify"), ("pagerduty", "acknowledge"), ("alertmanager", "alert"), ("jira", "status"),
            ]  # fmt: skip
            for number, (source, kind) in enumerate(rows, start=1):
                _insert(conn, "timeline_events", {**event, "id": number, "source": source, "kind": kind,
                                                  "source_id": f"s{number}", "text": f"{source} {kind}"})  # fmt: skip
            # The third event (a chat message) is behind a stored key moment.
            origins = {"mitigated": {"origin": "marked", "event_id": 3}, "started": {"origin": "manual"}}
            conn.execute(sa.text("UPDATE incidents SET moment_origins = :o"), {"o": json.dumps(origins)})
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT id, highlight, highlight_by_hand, channel FROM timeline_events"))
            highlights = {row_id: bool(on) for row_id, on, by_hand, channel in found if not by_hand and not channel}
            assert highlights == {1: True, 2: False, 3: True, 4: True, 5: False, 6: True, 7: True, 8: False}
            assert conn.execute(sa.text("SELECT timeline_picture FROM incidents")).scalar_one() is None
        command.downgrade(cfg, BEFORE)
        assert _heads(engine) == {BEFORE} and _catalog(engine) == before  # every index and constraint as it was
        with engine.connect() as conn:
            columns = {column["name"] for column in sa.inspect(conn).get_columns("timeline_events")}
            assert not {"highlight", "highlight_by_hand", "channel"} & columns
            assert conn.execute(sa.text("SELECT count(*) FROM timeline_events")).scalar_one() == len(rows)
