"""Blame rules: what a reviewer sees for blameful sentences, and what passes (people acting, systems failing)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from afteraction.analysis.lint import LintConfig, lint_document
from afteraction.analysis.lint.blame import People, analyse_sentence
from afteraction.documents.parse import parse_markdown

DATA = Path(__file__).resolve().parents[1] / "data"
BLAME_RULES = ("blame/person-as-cause", "blame/human-error", "blame/judgment", "blame/hindsight")
TODAY = date(2026, 3, 1)


def _labelled() -> list[dict[str, object]]:
    with (DATA / "blame_sentences.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _rules(text: str, names: tuple[str, ...] = ()) -> set[str]:
    return {hit.rule for hit in analyse_sentence(text, People(names))}


def _precision_recall(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    tp = sum(1 for predicted, actual in pairs if predicted and actual)
    fp = sum(1 for predicted, actual in pairs if predicted and not actual)
    fn = sum(1 for predicted, actual in pairs if actual and not predicted)
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)


def test_labelled_set_is_large_balanced_and_tricky():
    rows = _labelled()
    blameful = sum(1 for row in rows if row["blame"])
    assert len(rows) >= 150
    assert abs(blameful - (len(rows) - blameful)) <= len(rows) * 0.1
    assert sum(1 for row in rows if row.get("note")) >= 10


def test_blame_rules_precision_and_recall_on_the_labelled_set():
    rows = _labelled()
    predictions = [(_rules(str(row["text"]), tuple(row["names"])), row) for row in rows]  # type: ignore[arg-type]
    precision, recall = _precision_recall([(bool(found), bool(row["blame"])) for found, row in predictions])
    print(f"\nblame rules (any): precision {precision:.3f} recall {recall:.3f} on {len(rows)} sentences")
    for rule in BLAME_RULES:
        # a rule is right when it fires on a sentence labelled with it, wrong when it fires on a blameless one
        labelled = [(rule in found, rule in row["rules"]) for found, row in predictions]  # type: ignore[operator]
        fired_wrongly = sum(1 for found, row in predictions if rule in found and not row["blame"])
        fired = sum(1 for found, _ in predictions if rule in found)
        _, rule_recall = _precision_recall(labelled)
        rule_precision = (fired - fired_wrongly) / (fired or 1)
        print(f"  {rule}: precision {rule_precision:.3f} recall {rule_recall:.3f}")
        assert rule_precision >= 0.95 and rule_recall >= 0.95, rule
    assert precision >= 0.95
    assert recall >= 0.95


@pytest.mark.parametrize(
    ("text", "names", "rule"),
    [
        ("Dave forgot to renew the certificate.", ("Dave Miller",), "blame/person-as-cause"),
        ("The on-call engineer did not double-check the cluster.", (), "blame/person-as-cause"),
        ("The outage was caused by the operator restarting the wrong node.", (), "blame/person-as-cause"),
        ("It was Priya's mistake.", (), "blame/person-as-cause"),
        ("Xiaoming neglected the warning.", (), "blame/person-as-cause"),
        ("Root cause: human error.", (), "blame/human-error"),
        ("A lapse in judgment led to the data loss.", (), "blame/human-error"),
        ("The rollout was sloppy.", (), "blame/judgment"),
        ("He didn't bother to run the tests.", (), "blame/judgment"),
        ("We should have caught this in staging.", (), "blame/hindsight"),
        ("If only we had a canary.", (), "blame/hindsight"),
        # the subject of the first of two coordinated predicates is the subject of the failure too
        ("Sarah paged the DBA and failed to mention the replication lag.", (), "blame/person-as-cause"),
        ("Our on-call engineer was asleep and missed the page.", (), "blame/person-as-cause"),
        ("Poor decisions by the release manager led to the outage.", (), "blame/person-as-cause"),
        ("The fault lies with the platform team.", (), "blame/person-as-cause"),
    ],
)
def test_blameful_sentences_are_flagged(text, names, rule):
    assert rule in _rules(text, names)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Dave rolled back the release at 14:20.", ("Dave Miller",)),
        ("Sarah opened an incident.", ()),
        ("The on-call engineer acknowledged the page.", ()),
        ("Human factors such as fatigue contributed to the delay.", ()),
        ("The system allowed an engineer to run the migration without review.", ()),
        ("The deploy tool failed to acquire the lock.", ()),
        ("Kubernetes failed to schedule the pods.", ()),
        ("Alertmanager failed to deliver the notification.", ()),
        ("The lazy-loading module failed to start.", ()),
        ("Every service should have a documented owner.", ()),
        ("Mette failed over the database at 09:40.", ("Mette Larsen",)),
        ("The dashboard separates user errors (4xx) from server errors.", ()),
        # a person inside a prepositional phrase of the subject is not its subject; nor is a clause after "and"
        ("Time pressure on the team caused the error.", ()),
        ("A missing runbook for the on-call engineer caused the delay.", ()),
        ("Dave opened the incident and the pipeline failed to deploy.", ("Dave Miller",)),
        ("We rolled back the release and did not notice any data loss.", ()),
    ],
)
def test_people_acting_and_systems_failing_pass(text, names):
    assert _rules(text, names) == set()


def test_names_from_the_document_make_a_person():
    # "Tenzin" is not in the list of common first names, but the document says Tenzin Dorje is an author
    text = "Tenzin caused the outage."
    assert _rules(text) == set()
    assert _rules(text, ("Tenzin Dorje",)) == {"blame/person-as-cause"}


DOC = """\
---
title: Checkout 502s
kind: incident
authors: [Dave Miller]
detected_at: 2026-02-01T10:04:00Z
resolved_at: 2026-02-01T10:30:00Z
---

# Checkout 502s

## Summary

The pool size fell to 5 and checkout failed.
Dave forgot to update the shared config.

## Impact

4,100 checkouts failed.

## Timeline

| Time | Event | Actor |
| --- | --- | --- |
| 2026-02-01T10:00:00Z | Dave deployed v2.14 | Dave Miller |
| 2026-02-01T10:05:00Z | Alertmanager failed to deliver the page | Alertmanager |
| 2026-02-01T10:20:00Z | Dave rolled back the release | Dave Miller |

## Where We Got Lucky

- It could have been much worse during the sale.

## What Went Wrong

- We should have caught this in staging.
"""


def _line_of(text: str, needle: str) -> int:
    return next(no for no, line in enumerate(text.splitlines(), start=1) if needle in line)


def _lint(text: str, config: LintConfig | None = None) -> list:
    doc = parse_markdown(text, path="pm.md")
    return lint_document(doc, source=text, config=config or LintConfig(), today=TODAY)


def test_findings_carry_exact_line_and_column_of_the_phrase():
    found = [f for f in _lint(DOC) if f.rule.startswith("blame/")]
    person = next(f for f in found if f.rule == "blame/person-as-cause")
    assert (person.path, person.line, person.column) == ("pm.md", _line_of(DOC, "Dave forgot"), 1)
    assert DOC.splitlines()[person.line - 1][person.column - 1 :].startswith("Dave forgot")
    assert person.severity == "error"
    assert "Dave forgot" in person.message and person.suggestion


def test_hindsight_is_a_warning_and_the_lucky_section_may_use_counterfactuals():
    found = [f for f in _lint(DOC) if f.rule == "blame/hindsight"]
    expected = _line_of(DOC, "should have caught")
    assert [(f.line, f.severity) for f in found] == [(expected, "warning")]
    line = DOC.splitlines()[expected - 1]
    assert line[found[0].column - 1 :].startswith("should have caught")


def test_timeline_actors_are_people_but_their_actions_pass_and_tools_are_not_people():
    assert [f.line for f in _lint(DOC) if f.rule == "blame/person-as-cause"] == [_line_of(DOC, "Dave forgot")]


def test_a_document_without_source_is_linted_field_by_field():
    doc = parse_markdown(DOC, path="pm.md")
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    blame = [f for f in found if f.rule == "blame/person-as-cause"]
    assert len(blame) == 1 and blame[0].column is None
