"""Lint reads the author's words only (issue #17): quoted chat, appendices, template boilerplate, hedges and the
impact of a near miss are not checked for blame, and key moments stated in words count.

The first tests use small documents written here and always run; the last measures precision per blame rule on
findings taken from real post-mortems (../shared/corpus), labelled by hand in tests/data/real_blame_findings.jsonl
and split into a part the rules were tuned on and a held-out part they were not.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from tests.conftest import corpus_path
from tests.data.collect_blame_sentences import blame_rules, sentence_document

from afteraction.analysis.lint import LintConfig, lint_document
from afteraction.documents.parse import parse_markdown
from afteraction.domain.reviews import PostmortemDocument, SectionData, TimelineEntry

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = date(2026, 3, 1)
BLAME_RULES = ("blame/person-as-cause", "blame/human-error", "blame/judgment", "blame/hindsight")


def _blame(text: str, config: LintConfig | None = None) -> list[tuple[int | None, str]]:
    doc = parse_markdown(text, path="pm.md")
    found = lint_document(doc, source=text, config=config or LintConfig(), today=TODAY)
    return [(f.line, f.rule) for f in found if f.rule.startswith("blame/")]


QUOTED = """\
# Prow outage

## Summary

Dave forgot to renew the certificate.

## Timeline

* [08:47] Katharine notices that jobs are not starting.
* [08:52] katharine: I forgot to bump the quota, sorry
liggitt: the operator failed to check the CRD

> Katharine [9:05 AM]
I updated the cronjob too so it shouldn't have mattered
and I forgot to tell anyone

```
$ kubectl logs  # the engineer forgot to set --namespace
```

## Appendix

### #testing-ops chat log

Katharine [5:17 PM]
and by 80 I mean 55 because I forgot what the original quota request was
"""


def test_quoted_chat_code_and_appendices_are_not_checked_for_blame():
    # only the author's own sentence in the summary is reported
    assert _blame(QUOTED) == [(5, "blame/person-as-cause")]


def test_a_blockquote_ends_at_a_blank_line_and_the_authors_words_after_it_are_checked():
    text = "# T\n\n## Summary\n\n> quoted: Dave forgot the cert\n\nDave forgot to renew the certificate.\n"
    assert _blame(text) == [(7, "blame/person-as-cause")]


LESSONS = """\
# Crates outage

## Summary

The publishing bug would have rendered 30k crates unbuildable.
The new cache may have contributed to the slowdown.
The developer misjudged the potential impact of the change and merged it themselves.

## Lessons learned

### What went wrong

Things that could have gone better.

- This should have been caught in review.

### Where we got lucky

- Apparently nobody was watching their PRs closely, so nobody noticed.
- It could have been much worse.
"""


def test_hedges_near_miss_impact_and_lucky_pass_but_a_misjudgment_is_caught():
    assert _blame(LESSONS) == [(7, "blame/person-as-cause"), (15, "blame/hindsight")]


WRITTEN_ELSEWHERE = """\
# Registry outage

## Summary

If it had, it would have rendered any of the 30k crates unbuildable for anyone using the release.
It should not have been possible for a single user to upload that many packages.
There are no items in the backlog that could have prevented this incident.
The docs suggest that something could have gone wrong with the master's ssh access.
No alert was configured so nobody noticed the problem.
We don't use the path in staging so we didn't catch the issue in testing.
At 15:23 we received a report that we had introduced a regression.
The pull request was not reviewed by another developer.
The developer creating the pull request misjudged the potential impact.
The outage could have been avoided by deploying the changes individually.
If we had deployed the changes when they were merged, we would have isolated the DNS change.
A firmware release was out which would have allowed the swap without an outage.
"""


def test_impacts_system_limits_possibilities_and_stated_conditions_pass_but_counterfactuals_are_caught():
    assert _blame(WRITTEN_ELSEWHERE) == [
        (13, "blame/person-as-cause"),
        (14, "blame/hindsight"),
        (15, "blame/hindsight"),
        (16, "blame/hindsight"),
    ]


def test_time_not_cause_a_supposed_omission_and_one_right_at_the_time_pass():
    text = (
        "# Site down\n\n## Summary\n\n"
        "Investigation began as we dove into the backend logs.\n"
        "We would be remiss if we didn't take this chance to add log rotation.\n"
        "The engineer did not escalate the issue as it was unnecessary at this stage.\n"
        "The deploy failed as Dave skipped the tests.\n"
    )
    assert _blame(text) == [(8, "blame/person-as-cause")]


def test_similes_things_lists_of_causes_stated_conditions_and_procedures_pass():
    text = (
        "# Site down\n\n## Summary\n\n"
        "It was like everyone forgot their keys at home.\n"
        "Connections were open, but they forgot to close the door behind them.\n"
        "Systems fail for many reasons, such as bugs, traffic spikes, hardware failures, or human error.\n"
        "We missed it because all our read operations were fine.\n"
        "There should have been no way for one person to forget something and cripple the company.\n"
        "If the team had been unable to resolve the issue, it would have been escalated.\n"
        "The error was in a Let's Encrypt error log.\n"
        "The outage was caused by human error.\n"
    )
    assert _blame(text) == [(12, "blame/human-error")]


def test_a_templates_boilerplate_from_the_mapping_is_not_checked():
    text = (
        "# T\n\n## Summary\n\nReplace this: the engineer forgot to check the alert.\n\n"
        "## Things to avoid\n\nDo not write 'Dave forgot to renew the certificate'.\n"
    )
    assert len(_blame(text)) == 2
    config = LintConfig().with_boilerplate(
        ["things to avoid"], ["replace this: the engineer forgot to check the alert."]
    )
    assert _blame(text, config) == []


def test_appendix_and_chat_sections_of_a_stored_document_are_not_checked():
    doc = PostmortemDocument(
        title="t",
        sections=[
            SectionData(heading="Chat transcript", body="Dave forgot to renew the certificate."),
            SectionData(heading="Attendees", body="Dave forgot to renew the certificate."),
        ],
    )
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    assert [f.rule for f in found if f.rule.startswith("blame/")] == ["blame/person-as-cause"]


def _moments(text: str) -> list[str]:
    doc = parse_markdown(text, path="pm.md")
    found = lint_document(doc, source=text, config=LintConfig(), today=TODAY)
    return [f.message for f in found if f.rule == "structure/missing-key-moment"]


def test_key_moments_stated_in_words_count():
    assert _moments("# T\n\n## Summary\n\nSomething broke.\n") == ["no detected moment", "no resolved moment"]
    words = "# T\n\n## Summary\n\nFirst detected: 2023-09-18 13:42\n\nResolved 2023-09-20 19:18\n"
    assert _moments(words) == []
    shouted = "# T\n\n## Timeline\n\n### 2018-03-26\n\nOUTAGE BEGINS\n\nsome work\n\nOUTAGE ENDS\n"
    assert _moments(shouted) == []
    ranged = "# T\n\n## Summary\n\nThe API was unavailable from 9:16 PM to 11:16 PM PDT.\n"
    assert _moments(ranged) == []


def test_a_stated_start_and_resolution_words_in_the_timeline_count():
    at = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    doc = PostmortemDocument(
        title="t",
        started_at=at,
        timeline=[TimelineEntry(at=at, text="Start of incident"), TimelineEntry(at=at, text="Service restored")],
    )
    found = lint_document(doc, source=None, config=LintConfig(), today=TODAY)
    assert [f for f in found if f.rule == "structure/missing-key-moment"] == []


def _labelled() -> list[dict[str, object]]:
    with (DATA / "real_blame_findings.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_labelled_real_findings_name_their_source_and_are_split():
    rows = _labelled()
    assert len(rows) >= 50
    assert {row["split"] for row in rows} == {"tune", "held-out"}
    assert all(row["text"] and isinstance(row["line"], int) and row["rule"] in BLAME_RULES for row in rows)
    assert sum(1 for row in rows if not row["blame"]) >= 15


def test_blame_precision_per_rule_on_real_documents():
    """Every blame finding on the real documents the labels come from, scored against the labels.

    A finding that is not labelled counts as wrong, so new findings must be labelled before they count as right.
    """
    corpus_path("realworld", "docs")
    rows = _labelled()
    labels = {(str(row["file"]), int(str(row["line"])), str(row["rule"])): row for row in rows}
    split_of = {str(row["file"]): str(row["split"]) for row in rows}
    root = corpus_path()
    files = [
        *sorted((root / "realworld" / "docs").glob("*.md")),
        *sorted((root / "postmortems" / "dfds").glob("PM20*")),
        *sorted((root / "postmortems" / "icco" / "data").glob("*.md")),
    ]
    found: set[tuple[str, int, str]] = set()
    unlabelled: list[str] = []
    fired: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for path in files:
        name = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8-sig")
        doc = parse_markdown(text, path=str(path))
        for finding in lint_document(doc, source=text, config=LintConfig(), today=TODAY):
            if not finding.rule.startswith("blame/") or finding.line is None:
                continue
            key = (name, finding.line, finding.rule)
            found.add(key)
            row = labels.get(key)
            if row is None:
                unlabelled.append(f"{name}:{finding.line} {finding.rule} {finding.message}")
            fired[(split_of.get(name, "held-out"), finding.rule)].append(bool(row and row["blame"]))
    print(f"\nblame findings on {len(files)} real documents; unlabelled: {unlabelled or 'none'}")
    _score(fired, labels, found)


def _score(
    fired: dict[tuple[str, str], list[bool]],
    labels: dict[tuple[str, int, str], dict[str, object]],
    found: set[tuple[str, int, str]],
    *,
    floor: dict[str, float] | None = None,
) -> None:
    """Print precision per split and rule (and recall of the labelled true findings); on the held-out part precision
    must be at least 0.9 per rule (or the rule's `floor`) and every labelled true finding found."""
    for split in ("tune", "held-out"):
        for rule in BLAME_RULES:
            right = fired[(split, rule)]
            truths = [
                key for key, row in labels.items() if row["split"] == split and row["rule"] == rule and row["blame"]
            ]
            kept = sum(1 for key in truths if key in found)
            precision = sum(right) / len(right) if right else 1.0
            print(
                f"  {split:8} {rule:22} precision {sum(right)}/{len(right)} = {precision:.2f}  "
                f"recall of labelled true findings {kept}/{len(truths)}"
            )
            if split == "held-out":
                assert precision >= (floor or {}).get(rule, 0.9), (rule, right)
                assert kept == len(truths), rule


def test_blame_precision_on_sentences_from_other_real_documents():
    """Sentences from real post-mortems outside ../shared/corpus (tests/data/real_blame_sentences.jsonl: every blame
    finding in those documents when they were collected, with collect_blame_sentences.py, and labelled by hand), each
    linted alone under its heading. This set always runs."""
    with (DATA / "real_blame_sentences.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    assert all(row["blame"] in (True, False) and row["note"] for row in rows), "every sentence is labelled"
    # a sentence is its source, line and text (two sentences may share a line)
    labels = {(f"{row['source']}:{row['text']}", int(row["line"]), str(row["rule"])): row for row in rows}
    fired: dict[tuple[str, str], list[bool]] = defaultdict(list)
    found: set[tuple[str, int, str]] = set()
    sentences = {(f"{row['source']}:{row['text']}", int(row["line"])): row for row in rows}
    for (source, line), row in sentences.items():
        for rule in blame_rules(sentence_document(str(row["section"]), str(row["text"]))):
            key = (source, line, rule)
            found.add(key)
            label = labels.get(key)
            fired[(str(row["split"]), rule)].append(bool(label and label["blame"]))
    print(f"\nblame findings on {len(sentences)} sentences of other real documents")
    # The held-out part here (student post-mortems never looked at before these figures were taken, labelled once)
    # measured 4/5 for person-as-cause, 7/9 for hindsight and 1/2 for judgment: below the 0.9 reached on the corpus's
    # held-out part, and kept as measured so that no change makes them worse. Jokes, metaphors and a wrong guess
    # during the investigation are what the rules still take for blame.
    _score(fired, labels, found, floor={"blame/person-as-cause": 0.8, "blame/hindsight": 0.77, "blame/judgment": 0.5})
