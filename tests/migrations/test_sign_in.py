"""Migration 0008_sign_in: user names become unique regardless of case. A database that already holds names alike
stops the upgrade with one line naming them, and is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from afteraction.cli import app
from afteraction.core.errors import Conflict
from tests.migrations.test_history import BACKENDS, T, _config, _empty_engine, _heads, _insert


def _user(conn: sa.Connection, user_id: int, name: str) -> None:
    row = {"id": user_id, "name": name, "email": f"{user_id}@example.org", "role": "editor", "password_hash": "x",
           "active": True, "created_at": T}  # fmt: skip
    _insert(conn, "users", row)


@pytest.mark.parametrize("backend", BACKENDS)
def test_names_alike_stop_the_upgrade_with_a_message_naming_them_and_change_nothing(backend: str, tmp_path: Path):
    with _empty_engine(backend, tmp_path) as engine:
        cfg = _config(engine)
        command.upgrade(cfg, "0007_one_line")
        with engine.begin() as conn:
            for user_id, name in enumerate(("editor2", "Editor2", "ops", "OPS", "Ops", "ana"), start=1):
                _user(conn, user_id, name)
        with pytest.raises(Conflict) as refused:
            command.upgrade(cfg, "head")
        message = refused.value.message
        assert "users 'Editor2' and 'editor2'; 'OPS' and 'Ops' and 'ops' differ only in case" in message
        assert "'ana'" not in message and "run `afteraction init` again" in message
        assert _heads(engine) == {"0007_one_line"}
        with engine.connect() as conn:
            columns = {column["name"] for column in sa.inspect(conn).get_columns("users")}
            assert "session_generation" not in columns and not sa.inspect(conn).has_table("signin_failures")
        with engine.begin() as conn:  # renamed: the upgrade goes through
            conn.execute(sa.text("UPDATE users SET name = name || '-' || id WHERE id IN (2, 4, 5)"))
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            generations = conn.execute(sa.text("SELECT DISTINCT session_generation FROM users")).scalars().all()
        assert generations == [0]


def test_init_says_so_in_one_line_with_the_conflict_exit_code(tmp_path: Path):
    with _empty_engine("sqlite", tmp_path) as engine:
        command.upgrade(_config(engine), "0007_one_line")
        with engine.begin() as conn:
            _user(conn, 1, "editor2")
            _user(conn, 2, "Editor2")
        url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--database-url", url, "init"])
    assert result.exit_code == 4
    assert result.stderr.startswith("error: user names must now be unique regardless of case, but users 'Editor2'")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
