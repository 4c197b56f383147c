"""Row 10 of issue #14, against a live server: /readyz says ready or not and nothing more; failures on the server's
side are answered without the database URL, file paths or SQL; a webhook secret given as ?token= stays out of the
access log; members' e-mail addresses are for admins only; PUT …/members/{name} does not tell who has an account.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.security.conftest import WEBHOOK_SECRET, LiveServer, start_live_server

ALERT = b'{"receiver": "x", "status": "firing", "alerts": []}'


def _no_internals(body: str, server: LiveServer, where: str) -> None:
    # The URL, its scheme and host, and the folder of the SQLite file (the tests' temporary folder).
    for secret in (server.database_url, "sqlite", "postgres", "127.0.0.1", "/tmp", str(server.log_path.parent)):
        assert secret not in body, f"{where}: the answer shows {secret!r}: {body}"
    for sql in ("SELECT", "FROM ", "alembic", "Traceback"):
        assert sql not in body, f"{where}: the answer shows {sql!r}: {body}"


def test_readiness_says_ready_and_nothing_more(live: LiveServer) -> None:
    with live.client() as anonymous:
        ready = anonymous.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_a_server_whose_database_fails_says_so_without_naming_it(backend: str, tmp_path: Path) -> None:
    with start_live_server(backend, tmp_path / "failing") as server:
        token = server.add_user("leakadmin", role="admin")
        with server.db.engine.begin() as conn:  # the database loses its schema version, then a table
            conn.execute(text("ALTER TABLE alembic_version RENAME TO alembic_version_gone"))
        with server.client(token) as api:
            not_ready = api.get("/readyz")
            assert not_ready.status_code == 503 and not_ready.json() == {"status": "not ready"}
            with server.db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE incidents RENAME TO incidents_gone"))
            for url in ("/api/v1/incidents", "/api/v1/incidents/INC-1", "/api/v1/insights"):
                failed = api.get(url)
                assert failed.status_code >= 500, f"{url}: {failed.status_code}"
                assert "the server log has the details" in failed.json()["detail"]
                _no_internals(failed.text, server, url)
            _no_internals(not_ready.text, server, "/readyz")
        assert "not ready" in server.log()  # the reason is for the operator: in the log


def test_an_upload_error_does_not_show_where_the_upload_was_kept(live: LiveServer) -> None:
    editor = live.add_user("leakuploader")
    with live.client(editor) as api:
        assert api.post("/api/v1/incidents", json={"title": "Uploads", "severity": "SEV3"}).status_code == 201
        for name, content in (("notes.bin", b"\x00\x01bin"), ("broken.json", b"{nope"), ("export.zip", b"PK\x03\x04")):
            answer = api.post("/api/v1/incidents/INC-1/timeline/import", files={"file": (name, content)})
            assert 400 <= answer.status_code < 500, answer.text
            assert "afteraction-upload" not in answer.text and "/tmp" not in answer.text, answer.text


def test_a_webhook_secret_in_the_query_stays_out_of_the_access_log(live: LiveServer) -> None:
    with live.client() as sender:
        accepted = sender.post(f"/api/v1/webhooks/alertmanager?incident=INC-1&token={WEBHOOK_SECRET}", content=ALERT)
        assert accepted.status_code in (200, 202), accepted.text
        assert sender.post("/api/v1/webhooks/grafana?token=a-wrong-guess-42", content=ALERT).status_code == 401
        # The header form is the one to use; it never reaches the access log either.
        assert sender.post("/api/v1/webhooks/opsgenie", content=b'{"action": "Create", "alert": {}}',
                           headers={"X-Afteraction-Token": WEBHOOK_SECRET}).status_code < 500  # fmt: skip
    log = live.log()
    assert "/api/v1/webhooks/alertmanager?incident=INC-1&token=REDACTED" in log, log[-2000:]
    assert WEBHOOK_SECRET not in log and "a-wrong-guess-42" not in log


@pytest.fixture(scope="module")
def members(live: LiveServer) -> dict[str, str]:
    """INC-1's members: its creator (an editor) and a viewer; an editor who is not a member; an admin."""
    tokens = {
        "creator": live.add_user("mcreator"),
        "viewer": live.add_user("mviewer", role="viewer"),
        "stranger": live.add_user("mstranger"),
        "admin": live.add_user("madmin", role="admin"),
    }
    with live.client(tokens["creator"]) as api:
        incident = api.post("/api/v1/incidents", json={"title": "Payroll breach", "severity": "SEV1"}).json()
        assert api.put(f"/api/v1/incidents/{incident['id']}/members/mviewer").status_code == 200
    tokens["incident"] = incident["id"]
    return tokens


def test_members_e_mail_addresses_are_for_admins_only(live: LiveServer, members: dict[str, str]) -> None:
    url = f"/api/v1/incidents/{members['incident']}/members"
    for who in ("viewer", "creator", "stranger"):
        with live.client(members[who]) as api:
            listed = api.get(url)
        assert listed.status_code == 200
        assert [(m["name"], m["role"]) for m in listed.json()] == [("mcreator", "editor"), ("mviewer", "viewer")]
        assert "@" not in listed.text and "email" not in listed.text, f"{who} sees addresses: {listed.text}"
    with live.client(members["admin"]) as api:
        assert [m["email"] for m in api.get(url).json()] == ["mcreator@example.org", "mviewer@example.org"]


def test_adding_members_does_not_tell_who_has_an_account(live: LiveServer, members: dict[str, str]) -> None:
    url = f"/api/v1/incidents/{members['incident']}/members"
    for who in ("stranger", "viewer"):
        with live.client(members[who]) as api:
            existing, missing = api.put(f"{url}/madmin"), api.put(f"{url}/no-such-person-7")
            assert existing.status_code == missing.status_code == 403, (who, existing.text, missing.text)
            assert existing.text == missing.text
            gone_existing, gone_missing = api.delete(f"{url}/mcreator"), api.delete(f"{url}/no-such-person-7")
            assert gone_existing.status_code == gone_missing.status_code == 403
            assert gone_existing.text == gone_missing.text
    with live.client(members["creator"]) as api:  # a member editor manages the members
        assert api.put(f"{url}/mstranger").status_code == 200
        assert api.put(f"{url}/no-such-person-7").status_code == 404
