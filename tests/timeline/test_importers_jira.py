"""Jira issues, changelogs and comments become status, assign, change and note events by their authors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "jira"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats" / "jira"


def corpus(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    return path


def jira(path: Path) -> list[ImportedEvent]:
    return list(read_events(path, "jira", ImportOptions()))


def test_issue_with_changelog_and_comments() -> None:
    created, progress, resolved, comment = jira(FIXTURES / "issue.json")
    assert (created.kind, created.text, created.actor) == (
        "status",
        "INC-42 created: Checkout 5xx above 5%",
        "Alice Adams",
    )
    assert created.at == datetime(2024, 3, 14, 10, 2, 10, tzinfo=UTC)
    assert created.link == "https://acme.atlassian.net/browse/INC-42"
    assert progress.kind == "status"
    assert progress.text == "INC-42: status Open → In Progress; assigned to Bob Baker"
    assert progress.at == datetime(2024, 3, 14, 10, 3, tzinfo=UTC)
    assert resolved.text == "INC-42: status In Progress → Resolved; resolution: Done"
    assert resolved.actor == "Bob Baker"
    assert comment.kind == "note"
    assert comment.text == "INC-42: Rolled back v2.3.1, @Alice Adams please confirm.\nError rate back under 1%."
    assert comment.at == datetime(2024, 3, 14, 10, 14, 30, 250000, tzinfo=UTC)
    assert comment.link == "https://acme.atlassian.net/browse/INC-42?focusedCommentId=20001"


def test_changelog_page_shares_ids_with_the_issue() -> None:
    events = jira(FIXTURES / "changelog.json")
    assert [event.kind for event in events] == ["status", "change"]  # a history without items adds nothing
    assert events[0].source_id == "history:30001" == jira(FIXTURES / "issue.json")[1].source_id
    assert events[1].text == "INC-42: priority: High → Medium"
    assert events[1].link == "https://acme.atlassian.net/browse/INC-42"


def test_v2_comments_with_plain_text_bodies() -> None:
    first, second = jira(FIXTURES / "comments_v2.json")
    assert first.text == "10042: Root cause: pool size raised to 50 exhausted DB connections."
    assert (first.actor, first.at) == ("Dana Diaz", datetime(2024, 3, 14, 11, tzinfo=UTC))
    assert second.at == datetime(2024, 3, 14, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize("name", ["issue.json", "issue-1.json", "issue-2.json"])
def test_corpus_jira_cli_issues(name: str) -> None:
    (created,) = jira(corpus("jira-cli_testdata", name))
    assert created.at == datetime(2020, 12, 3, 13, 5, 20, 974000, tzinfo=UTC)
    assert created.kind == "status"


@pytest.mark.parametrize(
    ("operation", "kinds"),
    [
        ("GET /rest/api/3/issue/{issueIdOrKey}/changelog", ["change", "change"]),
        ("GET /rest/api/3/issue/{issueIdOrKey}/comment", ["note"]),
    ],
)
def test_corpus_cloud_api_examples(operation: str, kinds: list[str], tmp_path: Path) -> None:
    examples = json.loads(corpus("jira_cloud_v3_examples_from_openapi.json").read_text())
    path = tmp_path / "response.json"
    path.write_text(json.dumps(examples[operation]["response_examples"]["200"]))
    events = jira(path)
    assert [event.kind for event in events] == kinds
    assert all(event.actor == "Mia Krystof" for event in events)


def test_corpus_cloud_comment_lands_at_its_created_time(tmp_path: Path) -> None:
    examples = json.loads(corpus("jira_cloud_v3_examples_from_openapi.json").read_text())
    path = tmp_path / "comments.json"
    path.write_text(json.dumps(examples["GET /rest/api/3/issue/{issueIdOrKey}/comment"]["response_examples"]["200"]))
    (comment,) = jira(path)
    assert comment.at == datetime(2021, 1, 17, 12, 34, tzinfo=UTC)  # written "2021-01-17T12:34:00.000+0000"
    assert comment.text.startswith("10010: Lorem ipsum dolor sit amet")


def test_comment_without_created_is_named(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "comments_v2.json").read_text())
    del document["comments"][1]["created"]
    path = tmp_path / "comments.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(InvalidInput) as caught:
        jira(path)
    assert str(caught.value) == f"{path}: comment 2: missing 'created'"


def test_other_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "transitions.json"
    path.write_text('{"transitions": [{"id": "2", "name": "Close Issue"}]}')
    with pytest.raises(InvalidInput, match="not a Jira issue, changelog page or comment page"):
        jira(path)
