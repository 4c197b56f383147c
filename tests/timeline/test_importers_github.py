"""GitHub deployments, deployment statuses and pushes become deploy, rollback, status and change events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "github"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats" / "github-webhooks"


def corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    return path


def github(path: Path, **options: object) -> list[ImportedEvent]:
    return list(read_events(path, "github", ImportOptions(**options)))  # type: ignore[arg-type]


def test_deployment_status_gives_the_deploy_and_its_outcome() -> None:
    deploy, status = github(FIXTURES / "deployment_status.json")
    assert (deploy.kind, deploy.at, deploy.actor) == ("deploy", datetime(2024, 3, 14, 9, 58, 2, tzinfo=UTC), "bbaker")
    assert deploy.text == "Deploy of v2.3.1 (4b5a6c7) to production: checkout v2.3.1"
    assert deploy.source_id == "deployment:1200345"
    assert status.kind == "status"
    assert status.text == "Deployment to production: failure (health check failed: 5xx above 5%)"
    assert status.at == datetime(2024, 3, 14, 10, 0, 58, tzinfo=UTC)
    assert status.link == "https://ci.acme.example/deploys/5521"
    assert status.parent_id == deploy.source_id


def test_rest_deployments_list_marks_rollbacks() -> None:
    rollback, deploy = github(FIXTURES / "deployments.json")
    assert (rollback.kind, rollback.actor) == ("rollback", "ddiaz")
    assert rollback.text == "Rollback of main (9f2c4e1) to production: roll back to v2.3.0"
    assert rollback.link == "https://github.com/acme/checkout/deployments"
    # The same deployment from the list and from a webhook has the same id.
    assert deploy.source_id == github(FIXTURES / "deployment_status.json")[0].source_id


def test_push_commits_are_changes_or_deploys() -> None:
    (commit,) = github(FIXTURES / "push.json")
    assert (commit.kind, commit.source_id) == ("change", "9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f6a7b8c9d0e")
    assert commit.at == datetime(2024, 3, 14, 10, 12, 40, tzinfo=UTC)
    assert commit.text == 'Revert "checkout: raise connection pool to 50" (main)'
    assert commit.actor == "Dana Diaz"
    (deployed,) = github(FIXTURES / "push.json", deploys=True)
    assert deployed.kind == "rollback"


@pytest.mark.parametrize(
    ("name", "kinds", "at"),
    [
        ("deployment_payload.json", ["deploy"], datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC)),
        ("deployment_status_payload.json", ["deploy", "status"], datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC)),
        ("push_with-new-branch.payload.json", ["change"], datetime(2019, 5, 15, 15, 19, 25, tzinfo=UTC)),
        ("push_payload.json", ["change"], datetime(2019, 5, 15, 15, 20, 57, tzinfo=UTC)),
        ("issues_opened.payload.json", ["note"], datetime(2019, 5, 15, 15, 20, 18, tzinfo=UTC)),
    ],
)
def test_corpus_webhook_deliveries(name: str, kinds: list[str], at: datetime) -> None:
    events = github(corpus(name))
    assert [event.kind for event in events] == kinds
    assert events[0].at == at


def test_corpus_tag_deletion_uses_the_push_time() -> None:
    (event,) = github(corpus("push_payload.json"))
    assert event.text == "Deleted refs/tags/simple-tag"
    assert event.actor == "Codertocat"


def test_deployment_without_created_at_is_named(tmp_path: Path) -> None:
    path = tmp_path / "deployments.json"
    path.write_text('[{"id": 1, "sha": "abc", "environment": "production", "statuses_url": "x"}]')
    with pytest.raises(InvalidInput) as caught:
        github(path)
    assert str(caught.value) == f"{path}: entry 1: missing 'created_at'"


def test_other_events_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "star.json"
    path.write_text('{"action": "created", "starred_at": "2024-03-14T10:00:00Z"}')
    with pytest.raises(InvalidInput, match="not a deployment, deployment_status, push or issues payload"):
        github(path)
