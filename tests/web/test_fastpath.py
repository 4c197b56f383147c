"""The fast path of GET /api/v1/incidents/{id}: it answers a successful read itself, exactly as the FastAPI route
does, and leaves every failure and every other request to the route; its fast read (web/fastread.py) answers exactly
as the library's plain read does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from afteraction.accounts import service as accounts
from afteraction.core.actor import Actor
from afteraction.usecases.incidents import get_incident
from afteraction.web import create_app
from afteraction.web.errors import PROBLEM
from afteraction.web.fastpath import FastPath
from afteraction.web.fastread import ReaderPool
from tests.web.conftest import Api, make_settings, new_incident

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident


def test_a_read_answers_the_incident_as_the_service_gives_it(api: Api):
    new_incident(api, services=["checkout", "cache"], teams=["payments"])
    fast = api.call("viewer", "GET", "/api/v1/incidents/INC-1")
    assert fast.status_code == 200 and fast.headers["ETag"] == '"1"'
    assert fast.headers["content-type"] == "application/json"
    expected = get_incident(api.client.app.state.db, actor=SYSTEM, incident_id="INC-1")  # type: ignore[attr-defined]
    assert fast.content == expected.model_dump_json().encode()
    assert fast.json()["services"] == ["checkout", "cache"]
    assert isinstance(api.client.app.state.readers, ReaderPool)  # type: ignore[attr-defined]  # the fast read


def test_failures_are_answered_by_the_route_as_problems(api: Api):
    new_incident(api, private=True)
    anonymous = api.call(None, "GET", "/api/v1/incidents/INC-1")
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == PROBLEM
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.call("outsider", "GET", "/api/v1/incidents/INC-1").status_code == 404  # private, not a member
    assert api.call("viewer", "GET", "/api/v1/incidents/INC-99").json()["detail"] == "no incident INC-99"
    assert api.call("viewer", "GET", "/api/v1/incidents/oops").json()["field"] == "incident_id"


def _run(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": method, "path": path, "headers": headers, "query_string": b"", "app": app}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # In a thread of its own: Playwright's session (the end-to-end tests) may keep an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, FastPath(app)(scope, receive, send)).result()
    return sent


def test_the_app_behind_is_reached_only_when_the_fast_path_cannot_answer(api: Api):
    new_incident(api)
    app: Any = api.client.app
    calls: list[str] = []

    async def behind(scope: Any, receive: Any, send: Any) -> None:
        calls.append(f"{scope['method']} {scope['path']}")

    behind.state = app.state  # type: ignore[attr-defined]  # what the fast path reads through request.app
    token = [(b"authorization", f"Bearer {api.tokens['viewer']}".encode())]
    answered = _run(behind, "GET", "/api/v1/incidents/INC-1", token)
    assert answered[0]["status"] == 200 and calls == []
    _run(behind, "GET", "/api/v1/incidents/INC-2", token)  # no such incident
    _run(behind, "GET", "/api/v1/incidents/INC-1", [])  # no token
    _run(behind, "DELETE", "/api/v1/incidents/INC-1", token)  # not a read
    assert calls == ["GET /api/v1/incidents/INC-2", "GET /api/v1/incidents/INC-1", "DELETE /api/v1/incidents/INC-1"]


@pytest.fixture
def plain(api: Api) -> Iterator[TestClient]:
    """A second app on the same database with the fast reads off: every read through SQLAlchemy."""
    app = create_app(make_settings(api.settings.database_url, fast_read_connections=0))
    assert app.state.readers is None
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _answer(client: TestClient, api: Api, persona: str, path: str) -> tuple[int, str | None, bytes]:
    response = client.get(path, headers=api.headers(persona))
    return response.status_code, response.headers.get("ETag"), response.content


def test_the_fast_and_the_plain_read_answer_alike(api: Api, plain: TestClient):
    db = api.client.app.state.db  # type: ignore[attr-defined]
    new_incident(api, services=["checkout", "cache"], teams=["payments"], tags=["latency", "cache"])  # INC-1
    new_incident(api, private=True, services=["payroll"])  # INC-2: private, its creator (editor) a member
    assert api.call("editor", "PUT", "/api/v1/incidents/INC-2/members/viewer").status_code == 200
    new_incident(api, "admin", private=True, title="Admins only", severity="SEV1")  # INC-3: only the admin's
    for incident in ("INC-1", "INC-2"):
        for title in ("Add a cache warm-up", "Alert on p99"):
            created = api.call("editor", "POST", f"/api/v1/incidents/{incident}/actions", json={"title": title})
            assert created.status_code == 201, created.text
    changed = api.call("editor", "PATCH", "/api/v1/incidents/INC-1", json={"status": "resolved", "teams": ["sre"]})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    cases = {
        ("viewer", "INC-1"): 200,  # public
        ("viewer", "INC-2"): 200,  # private, a member
        ("editor", "INC-2"): 200,  # private, its creator
        ("outsider", "INC-2"): 404,  # private, not a member
        ("viewer", "INC-3"): 404,
        ("admin", "INC-2"): 200,  # admins see every incident
        ("admin", "INC-3"): 200,
        ("viewer", "INC-9"): 404,  # no such incident
        ("viewer", "nonsense"): 422,
    }
    for (persona, incident), status in cases.items():
        path = f"/api/v1/incidents/{incident}"
        fast, slow = _answer(api.client, api, persona, path), _answer(plain, api, persona, path)
        assert fast == slow, (persona, incident)
        assert fast[0] == status, (persona, incident)
        if status == 200:  # the plain route answers as the library reads it
            user = accounts.authenticate_token(db, token=api.tokens[persona])
            assert user is not None
            expected = get_incident(db, actor=user, incident_id=incident)
            assert fast[1:] == (f'"{expected.version}"', expected.model_dump_json().encode())
    assert _answer(api.client, api, "viewer", "/api/v1/incidents/INC-1")[2].count(b'"action_items_open":2') == 1


def test_the_fast_token_check_refuses_what_the_plain_one_refuses(api: Api, plain: TestClient):
    new_incident(api)
    db = api.client.app.state.db  # type: ignore[attr-defined]
    path = "/api/v1/incidents/INC-1"
    token_id = next(t.id for t in accounts.list_tokens(db, user="viewer"))
    accounts.revoke_token(db, token_id=token_id)
    accounts.update_user(db, name="outsider", active=False)
    for persona in ("viewer", "outsider"):  # a revoked token, a deactivated user
        fast, slow = _answer(api.client, api, persona, path), _answer(plain, api, persona, path)
        assert fast == slow and fast[0] == 401
    bad = {"Authorization": "Bearer aa_not-a-token"}
    assert api.client.get(path, headers=bad).status_code == plain.get(path, headers=bad).status_code == 401
