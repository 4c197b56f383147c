"""`afteraction user password`, `user create` with a name taken in another case, and `token create --expires` /
`token list` with expiry and last use: what a user sees at the shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from afteraction.accounts import service as accounts
from afteraction.core.db import Database


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest costs: tests check behaviour, not hash strength."""
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def make_ana(cli) -> None:
    made = cli("user", "create", "ana", "--email", "ana@example.org", "--role", "editor", input="first password\n")
    assert made.exit_code == 0, made.stderr


def test_user_password_asks_twice_and_ends_the_users_sessions(cli, database_url):
    make_ana(cli)
    changed = cli("user", "password", "ANA", input="second password\nsecond password\n")
    assert changed.exit_code == 0, changed.stderr
    assert "Changed the password of ana; every session of ana is signed out" in changed.stdout
    assert "second password" not in changed.stdout
    db = Database(database_url)
    assert accounts.authenticate_password(db, name="ana", password="second password") is not None
    assert accounts.authenticate_password(db, name="ana", password="first password") is None
    db.dispose()


def test_user_password_from_standard_input_for_scripts(cli, database_url):
    make_ana(cli)
    assert cli("user", "password", "ana", "--password-stdin", input="third password\n").exit_code == 0
    db = Database(database_url)
    assert accounts.authenticate_password(db, name="ana", password="third password") is not None
    db.dispose()


def test_user_password_mistakes_are_one_line(cli):
    make_ana(cli)
    empty = cli("user", "password", "ana", "--password-stdin", input="\n")
    assert empty.exit_code == 2 and empty.stderr == "error: no password on standard input\n"
    short = cli("user", "password", "ana", "--password-stdin", input="short\n")
    assert short.exit_code == 2 and short.stderr == "error: the password needs at least 8 characters\n"
    nobody = cli("user", "password", "bo", "--password-stdin", input="long enough\n")
    assert nobody.exit_code == 3 and nobody.stderr == "error: no user 'bo'\n"
    differs = cli("user", "password", "ana", input="one password\nanother one\none password\none password\n")
    assert differs.exit_code == 0 and "do not match" in differs.stdout + differs.stderr  # asked again


def test_a_name_taken_in_another_case_is_a_conflict(cli):
    assert cli("user", "create", "editor2", "--email", "e2@example.org", input="long enough\n").exit_code == 0
    again = cli("user", "create", "Editor2", "--email", "other@example.org", input="long enough\n")
    assert again.exit_code == 4
    assert again.stderr == "error: a user named 'editor2' exists already (user names are the same in any case)\n"


def test_a_token_with_an_expiry_and_the_list_with_expiry_and_last_use(cli, database_url):
    make_ana(cli)
    made = cli("token", "create", "ana", "--name", "ci", "--expires", "90d")
    assert made.exit_code == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("aa_") and ", expires 20" in made.stderr and "shown once" in made.stderr
    day = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    dated = json.loads(cli("token", "create", "ana", "--name", "laptop", "--expires", day, "--json").stdout)
    assert dated["expires_at"] == f"{day}T00:00:00Z" and not dated["expired"]
    forever = cli("token", "create", "ana", "--name", "grafana")
    assert "no expiry" in forever.stderr
    db = Database(database_url)
    assert accounts.authenticate_token(db, token=token) is not None  # a first use is noted
    db.dispose()
    listed = {t["name"]: t for t in json.loads(cli("token", "list", "--json").stdout)}
    expires = datetime.fromisoformat(listed["ci"]["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)
    assert listed["ci"]["last_used_at"] is not None and listed["grafana"]["expires_at"] is None
    table = cli("token", "list", "--user", "ANA").stdout
    assert "Last used" in table and "Expires" in table and day in table and "never" in table


def test_a_bad_expiry_is_one_line_naming_the_option(cli):
    make_ana(cli)
    bad = cli("token", "create", "ana", "--expires", "soon")
    assert bad.exit_code == 2
    assert bad.stderr == "error: --expires 'soon': give 90d, 12h or 8w, or a date such as 2026-12-31\n"
    past = cli("token", "create", "ana", "--expires", "2020-01-01")
    assert past.exit_code == 2 and "is not in the future" in past.stderr
    assert json.loads(cli("token", "list", "--json").stdout) == []
