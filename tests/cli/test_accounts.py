"""`afteraction user …` and `afteraction token …`: accounts made from the shell work on the API."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from afteraction.web import create_app
from tests.web.conftest import make_settings


def test_a_user_created_from_the_shell_gets_a_token_that_works_until_revoked(cli, database_url):
    created = cli("user", "create", "ana", "--email", "ana@example.org", "--role", "editor", input="s3cret-pass\n")
    assert created.exit_code == 0, created.stderr
    assert "Created editor ana" in created.stdout
    issued = cli("token", "create", "ana", "--name", "ci", "--json")
    token = json.loads(issued.stdout)
    assert token["user"] == "ana" and token["token"].startswith("aa_")
    listed = cli("token", "list", "--json")
    assert "token" not in json.loads(listed.stdout)[0] and token["token"] not in listed.stdout
    with TestClient(create_app(make_settings(database_url))) as client:
        headers = {"Authorization": f"Bearer {token['token']}"}
        assert client.get("/api/v1/me", headers=headers).json() == {"name": "ana", "role": "editor"}
        assert cli("token", "revoke", str(token["id"])).exit_code == 0
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_user_mistakes_are_one_line_errors(cli):
    short = cli("user", "create", "bo", "--email", "bo@example.org", input="short\n")
    assert short.exit_code == 2 and short.stderr.startswith("error: the password needs at least 8 characters")
    assert (
        cli("user", "create", "bo", "--email", "bo@example.org", "--role", "root", input="long enough\n").exit_code == 2
    )
    assert cli("user", "create", "bo", "--email", "bo@example.org", input="long enough\n").exit_code == 0
    again = cli("user", "create", "bo", "--email", "bo@example.org", input="long enough\n")
    assert again.exit_code == 4 and "exists already" in again.stderr
    assert cli("token", "create", "nobody").exit_code == 3
    assert cli("user", "set", "bo", "--role", "admin", "--json").exit_code == 0
    assert json.loads(cli("user", "list", "--json").stdout)[0]["role"] == "admin"
