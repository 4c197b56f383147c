"""Migration 0014: people named alike but for case become one (their action items and review roles follow), and every
account gets its person (the one named as the account, else a new one)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.migrations.test_history import BACKENDS, _config, _empty_engine, _insert

T = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("backend", BACKENDS)
def test_people_differing_in_case_merge_and_accounts_get_their_person(backend: str, tmp_path: Path) -> None:
    with _empty_engine(backend, tmp_path) as engine:
        cfg = _config(engine)
        command.upgrade(cfg, "0013_import_snapshot")
        with engine.begin() as conn:
            _insert(conn, "incidents", {"id": 1, "number": 1, "title": "Down", "kind": "incident", "status": "open",
                                        "private": False, "version": 1, "created_at": T, "updated_at": T,
                                        "extra": "{}", "imported": False, "status_set_by_hand": False})  # fmt: skip
            _insert(conn, "postmortems", {"id": 1, "incident_id": 1, "status": "draft", "summary": "", "impact": "",
                                          "trigger": "", "detection": "", "resolution": "", "problem_statement": "",
                                          "supporting_info": "", "timeline_note": "", "version": 1,
                                          "created_at": T, "updated_at": T})  # fmt: skip
            for person_id, name, email in ((1, "Rita Gomez", None), (2, "rita  gomez", "rita@example.com"),
                                           (3, "Bo", None)):  # fmt: skip
                _insert(conn, "people", {"id": person_id, "name": name, "email": email})
            for row_id, person_id in ((1, 1), (2, 2)):  # the same author twice
                _insert(conn, "postmortem_people", {"id": row_id, "postmortem_id": 1, "person_id": person_id,
                                                    "role": "author", "position": 0})  # fmt: skip
            _insert(conn, "action_items", {"id": 1, "incident_id": 1, "title": "Alert", "owner_id": 2,
                                           "status": "open", "position": 0, "opened_at": T, "version": 1,
                                           "updated_at": T})  # fmt: skip
            for user_id, name in ((1, "bo"), (2, "carol")):
                _insert(conn, "users", {"id": user_id, "name": name, "email": f"{name}@example.org",
                                        "role": "editor", "password_hash": "x", "active": True,
                                        "created_at": T})  # fmt: skip
            if backend == "postgresql":  # rows written with their ids, as a real database's sequence would have
                conn.execute(sa.text("SELECT setval('people_id_seq', (SELECT max(id) FROM people))"))
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            people = conn.execute(sa.text("SELECT id, name, email, user_id FROM people ORDER BY id")).all()
            assert [tuple(row) for row in people] == [
                (1, "Rita Gomez", "rita@example.com", None),
                (3, "Bo", "bo@example.org", 1),
                (4, "carol", "carol@example.org", 2),
            ]
            assert conn.execute(sa.text("SELECT owner_id FROM action_items")).scalar() == 1
            assert conn.execute(sa.text("SELECT person_id FROM postmortem_people")).scalars().all() == [1]
