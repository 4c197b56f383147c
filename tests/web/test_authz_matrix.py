"""Every route of the app × every kind of caller, generated from the route table: a new route without a declared
authorization, or without an example request here, fails this test."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from afteraction.accounts import service as accounts
from afteraction.actions.service import add_action
from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.domain.incidents import NewIncident
from afteraction.domain.policy import load_policy
from afteraction.insights.duplicates import link_duplicate
from afteraction.people.service import add_person
from afteraction.reviews.comments import add_comment
from afteraction.reviews.workflow import request_review
from afteraction.timeline.service import add_event, import_timeline
from afteraction.usecases.incidents import create_incident
from afteraction.web import create_app
from tests.web.conftest import make_settings

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

PERSONAS = ("anonymous", "viewer", "editor", "admin", "outsider")
ROLE_OF = {"viewer": "viewer", "editor": "editor", "admin": "admin", "outsider": "editor"}
RANK = {"viewer": 0, "editor": 1, "admin": 2}
# Each persona's second token, the one DELETE /tokens/{token_id} revokes (ids follow the creation order below).
SPARE_TOKEN = {"anonymous": 2, "viewer": 2, "editor": 4, "admin": 6, "outsider": 8}
ALERTS = b'{"receiver": "x", "status": "firing", "alerts": []}'

# One request per route that succeeds for a caller allowed to make it: body, path values, the status it gets.
EXAMPLES: dict[str, dict[str, Any]] = {
    "GET /healthz": {},
    "GET /readyz": {},
    "GET /api/v1/incidents": {},
    "POST /api/v1/incidents": {"json": {"title": "New", "severity": "SEV3"}, "status": 201},
    "GET /api/v1/incidents/{incident_id}": {},
    "PATCH /api/v1/incidents/{incident_id}": {"json": {"title": "Renamed"}},
    "DELETE /api/v1/incidents/{incident_id}": {"status": 204},
    "GET /api/v1/incidents/{incident_id}/metrics": {},
    "GET /api/v1/incidents/{incident_id}/members": {},
    "PUT /api/v1/incidents/{incident_id}/members/{name}": {"path": {"name": "outsider"}},
    "DELETE /api/v1/incidents/{incident_id}/members/{name}": {"path": {"name": "viewer"}, "status": 204},
    "GET /api/v1/incidents/{incident_id}/timeline": {},
    "POST /api/v1/incidents/{incident_id}/timeline": {
        "json": {"at": "2026-03-14T10:00:00Z", "text": "Deploy started"},
        "status": 201,
    },
    "PATCH /api/v1/incidents/{incident_id}/timeline/{event_id}": {"json": {"text": "Alert fired (edited)"}},
    "DELETE /api/v1/incidents/{incident_id}/timeline/{event_id}": {"status": 204},
    "PUT /api/v1/incidents/{incident_id}/timeline/{event_id}/key-moment": {"json": {"moment": "detected"}},
    "POST /api/v1/incidents/{incident_id}/timeline/highlights": {"json": {"event_ids": [1], "highlight": False}},
    "POST /api/v1/incidents/{incident_id}/timeline/import": {"files": {"file": ("a.json", ALERTS, "application/json")}},
    "GET /api/v1/incidents/{incident_id}/timeline/imports": {},
    "GET /api/v1/incidents/{incident_id}/timeline/imports/{import_id}/events": {"path": {"import_id": "1"}},
    "DELETE /api/v1/incidents/{incident_id}/timeline/imports/{import_id}": {"path": {"import_id": "1"}},
    "POST /api/v1/incidents/{incident_id}/timeline/delete": {"json": {"source": "pagerduty", "dry_run": True}},
    "GET /api/v1/incidents/{incident_id}/postmortem": {},
    "GET /api/v1/incidents/{incident_id}/postmortem/sections/{name}": {"path": {"name": "summary"}},
    "PUT /api/v1/incidents/{incident_id}/postmortem/sections/{name}": {
        "path": {"name": "summary"},
        "json": {"text": "Checkout was slow."},
    },
    "GET /api/v1/incidents/{incident_id}/postmortem/whys": {},
    "PUT /api/v1/incidents/{incident_id}/postmortem/whys": {"json": {"nodes": [{"text": "Cache restarted"}]}},
    "GET /api/v1/incidents/{incident_id}/postmortem/factors": {},
    "PUT /api/v1/incidents/{incident_id}/postmortem/factors": {"json": {"items": [{"text": "No runbook"}]}},
    "GET /api/v1/incidents/{incident_id}/postmortem/lessons": {},
    "PUT /api/v1/incidents/{incident_id}/postmortem/lessons": {
        "json": {"items": [{"kind": "lucky", "text": "Low traffic"}]},
    },
    "GET /api/v1/incidents/{incident_id}/postmortem/lint": {},
    "GET /api/v1/incidents/{incident_id}/review": {},
    "POST /api/v1/incidents/{incident_id}/review/request": {"json": {"reviewers": ["admin"]}},
    "POST /api/v1/incidents/{incident_id}/review/approve": {"json": {}},
    "POST /api/v1/incidents/{incident_id}/review/reject": {"json": {"comment": "Add the impact"}},
    # Allowed, but refused by the workflow: the post-mortem is in review, not approved.
    "POST /api/v1/incidents/{incident_id}/review/publish": {"json": {}, "status": 409},
    "GET /api/v1/incidents/{incident_id}/comments": {},
    "POST /api/v1/incidents/{incident_id}/comments": {
        "json": {"on": "Summary", "text": "Who was paged?"},
        "status": 201,
    },
    # Allowed, but refused: only the comment's author (the viewer) or an author of the post-mortem may settle it.
    "POST /api/v1/incidents/{incident_id}/comments/{comment_id}/resolve": {"path": {"comment_id": "1"}, "status": 403},
    "POST /api/v1/incidents/{incident_id}/comments/{comment_id}/reopen": {"path": {"comment_id": "1"}, "status": 403},
    "GET /api/v1/incidents/{incident_id}/export": {"params": {"format": "md"}},
    "GET /api/v1/actions": {},
    "GET /api/v1/incidents/{incident_id}/actions": {},
    "POST /api/v1/incidents/{incident_id}/actions": {"json": {"title": "Add a drain step"}, "status": 201},
    "GET /api/v1/actions/{action_id}": {},
    "PATCH /api/v1/actions/{action_id}": {"json": {"owner": "Ana"}},
    "GET /api/v1/me": {},
    "GET /api/v1/me/inbox": {},
    "GET /api/v1/people": {},
    "POST /api/v1/people": {"json": {"name": "Zoe Park"}, "status": 201},
    "PATCH /api/v1/people/{who}": {"path": {"who": "viewer"}, "json": {"team": "payments"}},
    "POST /api/v1/people/merge": {"json": {"keep": "Kim Lee", "others": ["K. Lee"]}},
    "POST /api/v1/auth/token": {"json": {"username": "viewer", "password": "correct horse"}, "status": 201},
    "GET /api/v1/tokens": {},
    "POST /api/v1/tokens": {"json": {"name": "ci"}, "status": 201},
    "DELETE /api/v1/tokens/{token_id}": {"status": 204},
    "GET /api/v1/users": {},
    "POST /api/v1/users": {
        "json": {"name": "dana", "email": "dana@example.org", "role": "viewer", "password": "long enough"},
        "status": 201,
    },
    "PATCH /api/v1/users/{name}": {"path": {"name": "viewer"}, "json": {"role": "editor"}},
    "PUT /api/v1/users/{name}/password": {"path": {"name": "viewer"}, "json": {"password": "a new one"}, "status": 204},
    "GET /api/v1/settings": {},
    "POST /api/v1/webhooks/alertmanager": {"content": ALERTS},
    "POST /api/v1/webhooks/grafana": {"content": ALERTS},
    "POST /api/v1/webhooks/opsgenie": {"content": b"{}"},
    "POST /api/v1/webhooks/pagerduty": {"content": b"{}"},
    "GET /api/v1/insights": {},
    "GET /api/v1/similar": {"params": {"text": "leaked keys"}},
    "GET /api/v1/incidents/{incident_id}/similar": {},
    "GET /api/v1/incidents/{incident_id}/recurrences": {},
    "GET /api/v1/themes": {},
    "GET /api/v1/duplicates": {},
    "POST /api/v1/incidents/{incident_id}/duplicate-of": {"path": {"incident_id": "INC-2"}, "json": {"of": "INC-1"}},
    "DELETE /api/v1/incidents/{incident_id}/duplicate-of": {"path": {"incident_id": "INC-2"}, "status": 204},
}


def authorization(route: APIRoute) -> str | None:
    """The authorization a route declares: a role (viewer, editor, admin), `public` or `secret`."""
    found: list[str] = []

    def walk(dependant: Any) -> None:
        marker = getattr(dependant.call, "authorization", None)
        if marker:
            found.append(marker)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    roles = sorted(set(found), key=lambda name: RANK.get(name, -1))
    return roles[-1] if roles else None


def flat_routes(app: Any) -> list[tuple[str, APIRoute]]:
    """Every API route with its full path (FastAPI >= 0.120 keeps included routers nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        return [(route.path, route) for route in app.routes if isinstance(route, APIRoute)]
    return [
        (str(context.path), context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]


def _routes() -> list[tuple[str, APIRoute]]:
    app = create_app(Settings(database_url="sqlite://"))  # routes only: nothing connects
    return [(f"{method} {path}", route) for path, route in flat_routes(app) for method in sorted(route.methods)]


ROUTES = _routes()


def test_every_route_declares_its_authorization_and_has_an_example():
    for key, route in ROUTES:
        assert authorization(route) in ("public", "secret", "viewer", "editor", "admin"), f"{key}: no authorization"
        assert key in EXAMPLES, f"{key}: add an example request to EXAMPLES"
    assert set(EXAMPLES) == {key for key, _ in ROUTES}, "EXAMPLES names routes that no longer exist"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the personas, their tokens, and a private incident INC-1 (members: viewer, editor) with an
    event, an action item and a post-mortem in review."""
    from argon2 import PasswordHasher

    path = tmp_path_factory.mktemp("matrix") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    original = accounts._hasher
    accounts._hasher = lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # type: ignore[assignment]
    try:
        ids = {}
        for name in ("viewer", "editor", "admin", "outsider"):
            accounts.create_user(
                db, name=name, email=f"{name}@example.org", role=ROLE_OF[name], password="correct horse"
            )
            accounts.create_token(db, user=name, name="main")
            accounts.create_token(db, user=name, name="spare")
        for user in accounts.list_users(db):
            ids[user.name] = user
    finally:
        accounts._hasher = original  # type: ignore[method-assign]
    from datetime import UTC, datetime

    from sqlalchemy import select

    from afteraction.accounts.models import User

    with db.transaction() as session:
        member_ids = list(session.scalars(select(User.id).where(User.name.in_(("viewer", "editor")))))
    create_incident(
        db,
        actor=SYSTEM,
        new=NewIncident(title="Credential leak", severity="SEV1", private=True, members=member_ids),
        allowed_severities=["SEV1"],
    )
    add_event(
        db,
        actor=SYSTEM,
        incident_id="INC-1",
        at=datetime(2026, 3, 14, 10, 5, tzinfo=UTC),
        text="Alert fired",
        kind="alert",
    )
    alerts = path.parent / "alerts.json"
    alerts.write_bytes(ALERTS)
    import_timeline(db, actor=SYSTEM, incident_id="INC-1", path=alerts)  # import 1, which an editor may undo
    add_action(db, actor=SYSTEM, incident_id="INC-1", title="Rotate the leaked keys")
    request_review(
        db, incident_id="INC-1", actor=Actor.system("editor"), policy=load_policy(), reviewers=["editor", "admin"]
    )
    add_comment(db, incident_id="INC-1", actor=Actor.system("viewer"), on="Summary", text="Say who was paged")
    for name in ("Kim Lee", "K. Lee"):
        add_person(db, name=name)
    # INC-2, public, recorded as the same event as the private INC-1 (which the outsider may not see).
    create_incident(db, actor=SYSTEM, new=NewIncident(title="Credential leak (copy)", severity="SEV1"),
                    allowed_severities=["SEV1"])  # fmt: skip
    link_duplicate(db, incident_id="INC-2", of="INC-1", actor=SYSTEM)
    db.dispose()
    return path


@pytest.fixture(scope="module")
def shared_app() -> Any:
    """The app under test; its database is swapped for each cell."""
    return create_app(make_settings("sqlite://"))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("key", "route"), ROUTES, ids=[key for key, _ in ROUTES])
def test_authorization_matrix(
    key: str, route: APIRoute, persona: str, template: Path, tmp_path: Path, shared_app: Any
) -> None:
    example = dict(EXAMPLES[key])
    method, path = key.split(" ", 1)
    values = {"incident_id": "INC-1", "event_id": "1", "action_id": "AI-1", "token_id": str(SPARE_TOKEN[persona])}
    values.update(example.pop("path", {}))
    url = path.format(**values)
    success = example.pop("status", 200)
    needed = authorization(route)
    if needed == "public":
        expected = success
    elif needed == "secret" or persona == "anonymous":
        expected = 401  # webhooks take no user token: without their secret they refuse everyone
    elif RANK[ROLE_OF[persona]] < RANK[str(needed)]:
        expected = 403
    elif persona == "outsider" and ("{incident_id}" in path or "{action_id}" in path):
        expected = 404  # a private incident is not there for a non-member, and 404 says no more than that
    else:
        expected = success

    shutil.copy(template, tmp_path / "db.sqlite")
    # One app for the whole matrix; each cell gets its own copy of the database.
    shared_app.state.db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    headers = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {accounts.create_token(shared_app.state.db, user=persona).token}"
    try:
        response = TestClient(shared_app, raise_server_exceptions=False).request(
            method, url, headers=headers, **example
        )
    finally:
        shared_app.state.db.dispose()
    assert response.status_code == expected, f"{key} as {persona}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
