"""Fixtures of the API tests: an app on the test database, users of every role with tokens, an in-process client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from afteraction.accounts import service as accounts
from afteraction.core.config import Settings
from afteraction.web import create_app

WEBHOOK_SECRET = "hook-secret-0123456789"
PAGERDUTY_SECRET = "pd-secret-abcdef"
PERSONAS = ("viewer", "editor", "admin", "outsider")


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest costs: tests check behaviour, not hash strength."""
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class Api:
    """An in-process client of the app and a bearer token for each persona."""

    client: TestClient
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, persona: str | None, **extra: str) -> dict[str, str]:
        """The headers of a request as `persona` (None: anonymous)."""
        found = {"Authorization": f"Bearer {self.tokens[persona]}"} if persona else {}
        return {**found, **extra}

    def call(self, persona: str | None, method: str, url: str, **kwargs: Any) -> Any:
        """One request as `persona`."""
        headers = {**self.headers(persona), **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings of a test server: the test database, webhook secrets, small limits."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "webhook_secret": WEBHOOK_SECRET,
        "pagerduty_webhook_secret": f"old-secret,{PAGERDUTY_SECRET}",
        "max_body_bytes": 64 * 1024,
        "max_upload_bytes": 256 * 1024,
        **overrides,
    }
    return Settings(**values)


def add_people(api: Api) -> None:
    """A viewer, an editor, an admin, and an editor who belongs to no incident (the outsider)."""
    db = api.client.app.state.db  # type: ignore[attr-defined]
    for name, role in (("viewer", "viewer"), ("editor", "editor"), ("admin", "admin"), ("outsider", "editor")):
        accounts.create_user(db, name=name, email=f"{name}@example.org", role=role, password="correct horse")
        api.tokens[name] = accounts.create_token(db, user=name, name="tests").token


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """The app on the test database with the four personas."""
    settings = make_settings(database_url)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        result = Api(client=client, settings=settings)
        add_people(result)
        yield result


def new_incident(api: Api, persona: str = "editor", **fields: Any) -> dict[str, Any]:
    """Create an incident through the API and return it."""
    body = {"title": "Checkout latency above SLO", "severity": "SEV2", "services": ["checkout"], **fields}
    response = api.call(persona, "POST", "/api/v1/incidents", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
