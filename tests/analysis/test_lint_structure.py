"""Structure and cause-analysis rules, and the completeness score, as a reviewer sees them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from afteraction.analysis.lint import LintConfig, completeness, lint_document
from afteraction.documents.parse import parse_markdown
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import PostmortemDocument, WhyNodeData
from afteraction.usecases.demo import demo_document

TODAY = date(2026, 3, 1)


def _rules(doc: PostmortemDocument, prefix: str, config: LintConfig | None = None) -> list[str]:
    found = lint_document(doc, source=None, config=config or LintConfig(), today=TODAY)
    return [f.rule for f in found if f.rule.startswith(prefix)]


def _at(minute: int) -> datetime:
    return datetime(2026, 2, 1, 10, minute, tzinfo=UTC)


def test_the_demo_post_mortem_is_clean_and_complete():
    doc = demo_document(TODAY)
    assert lint_document(doc, source=None, config=LintConfig(), today=TODAY) == []
    score = completeness(doc)
    assert score.score == 100 and score.missing == []


def test_missing_sections_are_reported_by_name():
    doc = PostmortemDocument(title="t", summary="s")
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    assert [f.message for f in found if f.rule == "structure/missing-section"] == [
        "no Impact section",
        "no Timeline section",
        "no Action Items section",
    ]


def test_an_empty_section_under_its_heading_is_reported_there():
    text = "# T\n\n## Summary\n\nS.\n\n## Impact\n\n## Timeline\n\n| Time | Event |\n| --- | --- |\n| 10:00 | x |\n"
    doc = parse_markdown(text, path="pm.md")
    found = lint_document(doc, source=text, config=LintConfig(), today=TODAY)
    impact = [f for f in found if f.rule == "structure/missing-section" and "Impact" in f.message]
    assert [(f.line, f.message) for f in impact] == [(7, "the Impact section is empty")]


def test_required_sections_depend_on_the_kind():
    config = LintConfig(required_sections={"milestone": ("summary", "learned")})
    doc = PostmortemDocument(title="t", kind="milestone", summary="s")
    found = lint_document(doc, source=None, config=config, today=TODAY)
    assert [f.message for f in found if f.rule == "structure/missing-section"] == ["no Lessons Learned section"]


def test_timeline_out_of_order_is_reported_at_the_late_event():
    doc = PostmortemDocument(
        title="t",
        timeline=[
            TimelineEntry(at=_at(0), text="a", line=10),
            TimelineEntry(at=_at(20), text="b", line=11),
            TimelineEntry(at=_at(5), text="c", line=12),
            TimelineEntry(at=None, text="d", line=13),
            TimelineEntry(at=_at(30), text="e", line=14),
        ],
    )
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    order = [f for f in found if f.rule == "structure/timeline-order"]
    assert [(f.line, f.message) for f in order] == [
        (12, "event at 2026-02-01T10:05:00Z is listed after an event at 2026-02-01T10:20:00Z")
    ]


@pytest.mark.parametrize(
    ("kind", "entries", "fields", "expected"),
    [
        ("incident", [], {}, ["no detected moment", "no resolved moment"]),
        ("incident", [TimelineEntry(at=_at(1), text="fired", kind="alert")], {"resolved_at": _at(9)}, []),
        ("incident", [TimelineEntry(at=_at(1), text="x", key_moment="resolved")], {"detected_at": _at(0)}, []),
        ("failed-deploy", [], {"detected_at": _at(0)}, ["no resolved moment"]),
        ("near-miss", [], {}, []),
        ("milestone", [], {}, []),
    ],
)
def test_incidents_need_detected_and_resolved_moments(kind, entries, fields, expected):
    doc = PostmortemDocument(title="t", kind=kind, timeline=entries, **fields)
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    assert [f.message for f in found if f.rule == "structure/missing-key-moment"] == expected


def _chain(*texts: str, root: bool = True) -> list[WhyNodeData]:
    node: WhyNodeData | None = None
    for index, text in enumerate(reversed(texts)):
        node = WhyNodeData(text=text, root_cause=root and index == 0, children=[node] if node else [])
    return [node] if node else []


def test_a_deep_why_chain_ending_at_a_condition_passes():
    doc = PostmortemDocument(
        title="t", whys=_chain("Pods ran out of connections.", "The pool size fell to 5.", "The schema has a default.")
    )
    assert _rules(doc, "whys/") == []


def test_a_shallow_analysis_is_a_warning():
    doc = PostmortemDocument(title="t", whys=_chain("Pods ran out of connections.", "The pool size fell to 5."))
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    assert [(f.rule, f.severity) for f in found if f.rule.startswith("whys/")] == [("whys/too-shallow", "warning")]


@pytest.mark.parametrize(
    "root",
    [
        "Human error.",
        "The engineer did not run the dry run.",
        "Dave forgot to renew the certificate.",
        "The on-call engineer was tired.",
        "Because the operator restarted the wrong node.",
    ],
)
def test_a_root_cause_that_is_a_person_is_reported(root):
    doc = PostmortemDocument(title="t", whys=_chain("Checkout failed.", "The config was wrong.", root))
    assert _rules(doc, "whys/") == ["whys/ends-at-person"]


@pytest.mark.parametrize(
    "root",
    [
        "Engineers had no way to see the replica lag.",
        "The engineer was not told that the flag also controlled billing.",
        "The deploy tool accepts a production target without confirmation.",
    ],
)
def test_a_root_cause_about_what_people_lacked_passes(root):
    doc = PostmortemDocument(title="t", whys=_chain("Checkout failed.", "The config was wrong.", root))
    assert _rules(doc, "whys/") == []


def test_whys_without_a_marked_root_cause():
    doc = PostmortemDocument(
        title="t", whys=_chain("Checkout failed.", "The pool was too small.", "The default is 5.", root=False)
    )
    assert _rules(doc, "whys/") == ["whys/no-root-cause"]


def test_completeness_lists_what_is_missing():
    score = completeness(PostmortemDocument(title="t", summary="s"))
    assert 0 <= score.score < 30
    assert "the impact" in score.missing and "action items" in score.missing
    assert score.to_dict()["score"] == score.score
