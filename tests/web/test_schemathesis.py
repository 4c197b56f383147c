"""schemathesis against the OpenAPI document: generated requests find no 5xx and no response that breaks the schema."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from afteraction.core.db import Database
from afteraction.web import create_app
from tests.web.conftest import Api, add_people, make_settings, new_incident


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A SQLite file, migrated once, with the personas and an incident with an event and an action item."""
    from argon2 import PasswordHasher

    from afteraction.accounts import service as accounts

    path = tmp_path_factory.mktemp("fuzz") / "template.db"
    settings = make_settings(f"sqlite:///{path}")
    app = create_app(settings)
    app.state.db.migrate()
    original = accounts._hasher
    accounts._hasher = lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # type: ignore[assignment]
    try:
        with TestClient(app) as client:
            api = Api(client=client, settings=settings)
            add_people(api)
            new_incident(api)
            api.call(
                "editor", "POST", "/api/v1/incidents/INC-1/timeline", json={"at": "2026-03-14T10:00:00Z", "text": "x"}
            )
            api.call("editor", "POST", "/api/v1/incidents/INC-1/actions", json={"title": "Add a drain step"})
    finally:
        accounts._hasher = original  # type: ignore[method-assign]
    return path, api.tokens


@pytest.fixture(scope="module")
def fuzzed(seeded_template: tuple[Path, dict[str, str]]) -> tuple[Any, Any]:
    """One app and its loaded schema for every operation; each test swaps in its own database."""
    app = create_app(make_settings(f"sqlite:///{seeded_template[0]}"))
    return app, schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@pytest.fixture
def seeded(
    seeded_template: tuple[Path, dict[str, str]], fuzzed: tuple[Any, Any], tmp_path: Path
) -> Iterator[tuple[Any, dict[str, str]]]:
    """The loaded schema, its app on a fresh copy of the seeded database, and the personas' tokens."""
    template, tokens = seeded_template
    shutil.copy(template, tmp_path / "fuzz.db")
    app, schema = fuzzed
    app.state.db = Database(f"sqlite:///{tmp_path / 'fuzz.db'}")
    yield schema, tokens
    app.state.db.dispose()


def _operations() -> list[tuple[str, str]]:
    app = create_app(make_settings("sqlite://"))  # the document only: nothing connects
    document = TestClient(app).get("/api/v1/openapi.json").json()
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item]


OPERATIONS = _operations()
# Few examples keep the suite fast; AFTERACTION_FUZZ_EXAMPLES=200 for a deeper run.
EXAMPLES = int(os.environ.get("AFTERACTION_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_answers_generated_requests_within_its_schema(
    method: str, path: str, seeded: tuple[Any, dict[str, str]]
) -> None:
    schema, tokens = seeded
    operation = schema[path][method]
    # Deletions as an editor (an admin would delete INC-1 in the first example and leave nothing to aim at).
    headers = {"Authorization": f"Bearer {tokens['editor' if method == 'DELETE' else 'admin']}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
