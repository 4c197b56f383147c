"""The fast path of GET /api/v1/incidents/{id}: it answers a successful read itself, exactly as the FastAPI route
does, and leaves every failure and every other request to the route."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from afteraction.core.actor import Actor
from afteraction.usecases.incidents import get_incident
from afteraction.web.errors import PROBLEM
from afteraction.web.fastpath import FastPath
from tests.web.conftest import Api, new_incident

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident


def test_a_read_answers_the_incident_as_the_service_gives_it(api: Api):
    new_incident(api, services=["checkout", "cache"], teams=["payments"])
    fast = api.call("viewer", "GET", "/api/v1/incidents/INC-1")
    assert fast.status_code == 200 and fast.headers["ETag"] == '"1"'
    assert fast.headers["content-type"] == "application/json"
    expected = get_incident(api.client.app.state.db, actor=SYSTEM, incident_id="INC-1")  # type: ignore[attr-defined]
    assert fast.json() == expected.model_dump(mode="json")
    assert fast.json()["services"] == ["checkout", "cache"]


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
