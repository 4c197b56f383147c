"""Action item rules: vague wording, owners, due dates, types and links to causes, as a reviewer sees them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from afteraction.analysis.lint import LintConfig, lint_document
from afteraction.analysis.lint.actions import vague_reason
from afteraction.domain.actions import ActionItemData
from afteraction.domain.reviews import PostmortemDocument

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = date(2026, 3, 1)


def _labelled() -> list[dict[str, object]]:
    with (DATA / "action_items.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_labelled_action_items_are_many_and_balanced():
    rows = _labelled()
    vague = sum(1 for row in rows if row["vague"])
    assert len(rows) >= 60
    assert abs(vague - (len(rows) - vague)) <= len(rows) * 0.1


def test_vague_rule_precision_and_recall_on_the_labelled_set():
    rows = _labelled()
    pairs = [(vague_reason(str(row["title"])) is not None, bool(row["vague"])) for row in rows]
    tp = sum(1 for p, a in pairs if p and a)
    precision = tp / (sum(1 for p, _ in pairs if p) or 1)
    recall = tp / (sum(1 for _, a in pairs if a) or 1)
    print(f"\naction/vague: precision {precision:.3f} recall {recall:.3f} on {len(rows)} action items")
    assert precision >= 0.95
    assert recall >= 0.95


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("Improve monitoring.", "'Improve' names no mechanism"),
        ("Be more careful when deploying.", "asks for an attitude, not a change"),
        ("Make sure this doesn't happen again.", "asks for an attitude, not a change"),
        ("Prevent this from happening again.", "states a wish, not a change"),
        ("Add monitoring.", "acts on nothing specific"),
    ],
)
def test_vague_items_say_why(title, reason):
    found = vague_reason(title)
    assert found is not None and found.reason == reason


def _doc(*actions: ActionItemData) -> PostmortemDocument:
    return PostmortemDocument(title="t", summary="s", impact="i", actions=list(actions))


def _rules(doc: PostmortemDocument) -> list[str]:
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    return [f.rule for f in found if f.rule.startswith("action/")]


def test_a_complete_action_item_passes():
    item = ActionItemData(
        title="Alert when disk usage on db-1 exceeds 85%",
        type="detect",
        owner="Ming Zhao",
        due=date(2026, 4, 1),
        addresses="W1.1",
    )
    assert _rules(_doc(item)) == []


def test_an_empty_action_item_reports_every_missing_part():
    item = ActionItemData(title="Add a CI check that rejects Terraform plans deleting over 5 resources")
    assert sorted(_rules(_doc(item))) == [
        "action/missing-due",
        "action/missing-owner",
        "action/missing-type",
        "action/unlinked",
    ]


@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        ("open", date(2026, 2, 1), ["action/past-due"]),
        ("in-progress", date(2026, 2, 28), ["action/past-due"]),
        ("open", date(2026, 3, 1), []),
        ("done", date(2026, 2, 1), []),
        ("wont-do", None, []),
    ],
)
def test_past_due_only_for_open_items(status, due, expected):
    item = ActionItemData(
        title="Pin the Flux version in the bootstrap manifest",
        type="prevent",
        owner="Dave",
        due=due,
        status=status,
        addresses="F1",
    )
    assert _rules(_doc(item)) == expected


@pytest.mark.parametrize("owner", ["", "TBD", "?", "unassigned", None])
def test_placeholder_owners_count_as_missing(owner):
    item = ActionItemData(
        title="Pin the Flux version", type="prevent", owner=owner, due=date(2026, 4, 1), addresses="F1"
    )
    assert _rules(_doc(item)) == ["action/missing-owner"]


def test_an_unknown_type_is_reported():
    item = ActionItemData(title="Pin the Flux version", type="fix", owner="Dave", due=date(2026, 4, 1), addresses="F1")
    found = lint_document(_doc(item), source=None, config=LintConfig(), today=TODAY)
    assert [f.message for f in found if f.rule == "action/missing-type"] == [
        "action item \"Pin the Flux version\" has an unknown type 'fix'"
    ]


def test_action_findings_point_at_the_row_in_the_source():
    from afteraction.documents.parse import parse_markdown

    text = (
        "# T\n\n## Summary\n\nS.\n\n## Action Items\n\n"
        "| Action | Type | Owner | Due |\n| --- | --- | --- | --- |\n"
        "| Improve monitoring | detect | Dave | 2026-04-01 |\n"
    )
    doc = parse_markdown(text, path="pm.md")
    vague = [f for f in lint_document(doc, source=text, config=LintConfig(), today=TODAY) if f.rule == "action/vague"]
    assert [(f.line, f.column) for f in vague] == [(11, 3)]
