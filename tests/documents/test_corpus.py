"""Lenient import of post-mortems written elsewhere: the shared corpus when present, our fixtures always."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.documents.parse import parse_file, parse_markdown
from afteraction.documents.render import normalise, render_markdown

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "postmortems"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the repository")


def _corpus_files() -> list[Path]:
    return sorted((CORPUS / "dfds").glob("PM20*")) + sorted((CORPUS / "icco" / "data").glob("*.md"))


@pytest.fixture(scope="module")
def corpus():
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not beside the repository")
    started = time.perf_counter()
    docs = {path.name: parse_file(path) for path in _corpus_files()}
    elapsed = time.perf_counter() - started
    warnings = sum(len(doc.warnings) for doc in docs.values())
    print(f"\nparsed {len(docs)} corpus documents in {elapsed:.3f}s with {warnings} warnings")
    return docs


def _doc(corpus, prefix):
    return next(doc for name, doc in corpus.items() if name.startswith(prefix))


@needs_corpus
def test_every_corpus_document_parses_with_a_title(corpus):
    assert len(corpus) == 281
    assert all(doc.title.strip() for doc in corpus.values())
    assert all(doc.external_ref for doc in corpus.values())


@needs_corpus
def test_a_cet_table_header_converts_winter_times_to_utc(corpus):
    doc = _doc(corpus, "PM2019-009")
    assert len(doc.timeline) == 14
    assert doc.timeline[0].at == datetime(2019, 11, 29, 11, 0, tzinfo=UTC)
    unknown = doc.timeline[5]
    assert (unknown.at, unknown.time_text) == (None, "2019-12-03 --:--")
    assert unknown.text.startswith("Surge new deployments")
    assert [w.line for w in doc.warnings] == [34]


@needs_corpus
def test_all_times_in_cet_follows_summer_time(corpus):
    doc = _doc(corpus, "PM2020-007")
    assert doc.timeline_note == "All times in CET."
    assert doc.timeline[0].at == datetime(2020, 10, 6, 5, 0, tzinfo=UTC)
    assert doc.timeline[2].time_text == "2020-10-06 09:00 - 11:00"
    assert doc.timeline[2].at == datetime(2020, 10, 6, 7, 0, tzinfo=UTC)


@needs_corpus
def test_utc_timeline_stats_and_unknown_sections(corpus):
    doc = _doc(corpus, "PM2021-004")
    assert doc.external_ref == "PM2021-004"
    assert len(doc.timeline) == 8
    assert doc.timeline[0].at == datetime(2021, 3, 31, 12, 6, tzinfo=UTC)
    assert doc.extra["stats"] == {
        "category": "Authentication/Authorisation",
        "time_to_detect_s": 300,
        "time_to_recover_s": 5040,
    }
    assert doc.categories == ["Authentication/Authorisation"]
    assert len(doc.factors) == 4 and len(doc.actions) == 3
    assert [s.heading for s in doc.sections] == ["Atendees"]


@needs_corpus
def test_a_file_without_an_ending_and_long_durations(corpus):
    doc = _doc(corpus, "PM2022-009")
    assert doc.title == "Bad AWS EKS AMI"
    assert doc.extra["stats"]["time_to_detect_s"] == 7 * 3600
    assert doc.extra["stats"]["time_to_recover_s"] == 54 * 3600 + 10 * 60
    assert doc.actions[0].title.startswith("Improve coverage of readiness/liveness probes: Reach out to teams")


@needs_corpus
def test_stats_in_days_and_hours_with_minutes(corpus):
    assert _doc(corpus, "PM2022-005").extra["stats"]["time_to_detect_s"] == 11 * 86400
    assert _doc(corpus, "PM2022-004").extra["stats"]["time_to_detect_s"] == 19 * 3600 + 43 * 60
    assert _doc(corpus, "PM2020-001").extra["stats"]["time_to_detect_s"] is None


@needs_corpus
def test_stats_are_read_wherever_the_section_exists(corpus):
    dfds = [doc for name, doc in corpus.items() if name.startswith("PM")]
    with_stats = [doc for doc in dfds if "stats" in doc.section_lines]
    assert len(with_stats) == 36
    assert all(doc.extra["stats"].get("category") for doc in with_stats)


@needs_corpus
def test_front_matter_documents_map_their_fields(corpus):
    doc = corpus["00b7f759-21f8-4767-8803-f09d863005cd.md"]
    assert doc.title == "Amazon SimpleDB US East Region Disruption on June 13"
    assert doc.external_ref == "00b7f759-21f8-4767-8803-f09d863005cd"
    assert doc.categories == ["cloud"]
    assert "power loss" in doc.tags
    assert doc.summary.startswith("Multiple SimpleDB storage nodes lost power")
    assert doc.sections[0].heading == "Description"
    assert doc.extra["company"] == "Amazon"
    untitled = corpus["04f5afd8-09fc-4314-9c60-7f942faca125.md"]
    assert untitled.title == "rust-lang"
    assert untitled.summary.startswith("On 2023-07-20 between 12:17 and 12:30 UTC")


@needs_corpus
def test_front_matter_times_become_utc(corpus):
    icco = [doc for name, doc in corpus.items() if not name.startswith("PM")]
    assert sum(1 for doc in icco if doc.started_at) == 183  # 169 from front matter, 14 from titles and summaries
    stated = [doc for doc in icco if any(n.message == "started_at from the front matter" for n in doc.notes)]
    assert len(stated) == 169
    assert all(doc.started_at.utcoffset().total_seconds() == 0 for doc in icco if doc.started_at)
    assert all(doc.summary for doc in icco)


@needs_corpus
def test_every_corpus_document_exports_and_imports_unchanged(corpus):
    for doc in corpus.values():
        text = render_markdown(doc)
        back = parse_markdown(text)
        assert back.model_dump() == normalise(doc).model_dump(), doc.path
        assert render_markdown(back) == text, doc.path


@needs_corpus
def test_parsing_the_whole_corpus_is_fast():
    started = time.perf_counter()
    for path in _corpus_files():
        parse_file(path)
    assert time.perf_counter() - started < 2.0


# --- the same lenient features on our own fixtures, which always run --------------------------------


@pytest.fixture(scope="module")
def cet():
    return parse_file(FIXTURES / "PM2099-007 - Foreign CET timeline")


def test_fixture_cet_times_convert_with_daylight_saving(cet):
    assert cet.external_ref == "PM2099-007"
    assert cet.timeline_note == "All times in CET."
    assert cet.timeline[0].at == datetime(2023, 1, 10, 11, 0, tzinfo=UTC)
    assert cet.timeline[1].at == datetime(2023, 1, 10, 11, 30, tzinfo=UTC)
    assert cet.timeline[-1].at == datetime(2023, 7, 4, 10, 0, tzinfo=UTC)


def test_fixture_approximate_and_range_times_are_kept_with_their_text(cet):
    approx, ranged = cet.timeline[2], cet.timeline[3]
    assert (approx.at, approx.time_text) == (datetime(2023, 1, 10, 11, 45, tzinfo=UTC), "~2023-01-10 12:45")
    assert (ranged.at, ranged.time_text) == (
        datetime(2023, 1, 10, 12, 0, tzinfo=UTC),
        "2023-01-10 13:00 - 14:00",
    )


def test_fixture_unreadable_times_are_kept_and_warned(cet):
    kept = [(entry.time_text, entry.line) for entry in cet.timeline if entry.at is None]
    assert kept == [
        ("2023-01-10 ??:??", 17),
        ("2023-01-10 HH:mm", 18),
        ("02023-01-10 15:00", 19),
        ("2023-01-10 --:--", 20),
        ("2023-01-11", 21),
    ]
    assert [w.line for w in cet.warnings[:5]] == [17, 18, 19, 20, 21]
    assert "without a time of day" in cet.warnings[4].message


def test_fixture_bold_markers_in_events_become_key_moments(cet):
    assert cet.timeline[1].key_moment == "detected"
    assert cet.timeline[-1].key_moment == "mitigated"


def test_fixture_heading_synonyms_nested_bullets_and_checkboxes(cet):
    # issue #17: prose in a causes section stays prose (kept under its heading), only listed causes are factors
    assert [f.text for f in cet.factors] == [
        "Consumers had no reconnect backoff: they hammered the broker; and were banned",
        "No canary for broker upgrades",
    ]
    assert cet.factors[1].category == "process"
    assert [lesson.text for lesson in cet.lessons_of("learned")] == ["Upgrades need a rollback plan"]
    assert [(a.title, a.status) for a in cet.actions] == [
        ("Add reconnect backoff to consumers: See https://example.invalid/backoff", "open"),
        ("Write the broker upgrade runbook", "done"),
        ("Canary broker upgrades [OPS-12]", "open"),
    ]
    assert cet.supporting_info == "[backoff]: https://example.invalid/backoff"
    assert [(s.heading, s.body) for s in cet.sections] == [
        ("Root Causes", "While the upgrade was the trigger, several things made it worse:"),
        ("Atendees", "- AB, CD"),
    ]


def test_fixture_stats_under_a_level_one_heading(cet):
    assert cet.section_lines["stats"] == 53
    assert cet.categories == ["Messaging"]
    assert cet.extra["stats"] == {
        "category": "Messaging",
        "time_to_detect_s": 1800,
        "time_to_recover_s": 19 * 3600 + 43 * 60,
        "time_to_acknowledge_s": None,
        "time_to_acknowledge_text": "soon-ish",
        "notes": "Recovery counted to the summer check.",
    }
    assert cet.warnings[-1].message == "Time to acknowledge 'soon-ish' not understood; kept as text"


def test_fixture_front_matter_from_elsewhere():
    doc = parse_file(FIXTURES / "foreign_frontmatter.md")
    assert doc.title == "Example Corp Edge DNS"
    assert doc.external_ref == "5b0c7e0e-1f5e-4a77-9d1f-2d9b3c0c0a11"
    assert doc.started_at == datetime(2022, 6, 1, 21, 0, tzinfo=UTC)
    assert doc.resolved_at is None
    assert (doc.tags, doc.categories) == (["dns", "resolver"], ["cloud", "config-change"])
    assert doc.summary == "A resolver config change made DNS lookups fail for two hours."
    assert doc.sections[0].heading == "Description"
    assert doc.sections[0].body.endswith("Lookups failed until the change was reverted.")
    assert doc.extra == {
        "url": "https://status.example.invalid/incidents/123",
        "company": "Example Corp",
        "product": "Edge DNS",
        "source_fetched_at": "2026-05-04T19:51:05.703409Z",
    }


def test_fixture_body_without_sections_becomes_the_summary():
    doc = parse_markdown("---\nuuid: u-1\ncompany: Acme\nproduct: Acme Cloud\n---\n\nIt broke.\n\nWe fixed it.\n")
    assert (doc.title, doc.summary, doc.external_ref) == ("Acme Cloud", "It broke.\n\nWe fixed it.", "u-1")


def test_fixture_bullet_timeline_numbered_whys_and_action_table_synonyms():
    doc = parse_file(FIXTURES / "foreign_lenient.md")
    assert doc.timeline_note == "Times are UTC+2."
    assert [entry.at for entry in doc.timeline] == [
        datetime(2024, 4, 30, 23, 0, tzinfo=UTC),
        datetime(2024, 4, 30, 23, 30, tzinfo=UTC),
        datetime(2024, 5, 1, 0, 10, tzinfo=UTC),
        None,
    ]
    assert doc.timeline[1].time_text == "01:30"
    assert doc.timeline[3].text == "Nobody knows when the lock expired"
    chain = doc.whys[0]
    assert chain.children[0].children[0].root_cause
    assert not chain.root_cause and len(doc.whys) == 1
    assert [(lesson.kind, lesson.text) for lesson in doc.lessons] == [
        ("went-well", "Finance spotted it quickly."),
        ("went-wrong", "No idempotency keys."),
    ]
    first, second = doc.actions
    assert (first.owner, str(first.due), first.status, first.tracker) == (
        "Dana",
        "2024-05-15",
        "done",
        "FIN-9",
    )
    assert (second.due, second.tracker) == (None, None)
    assert doc.supporting_info == "- Runbook: https://example.invalid/runbooks/batch"
    assert doc.sections[0].body == "Some notes before any heading."
    assert sorted(w.line for w in doc.warnings) == [14, 35]


def test_fixture_foreign_documents_export_and_import_unchanged():
    for path in FIXTURES.iterdir():
        if path.name.endswith(".rendered.md"):
            continue
        doc = parse_file(path)
        text = render_markdown(doc)
        assert parse_markdown(text).model_dump() == normalise(doc).model_dump(), path.name
