"""Reading post-mortems: our own format exactly, with line numbers and warnings for what is not understood."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afteraction.core.errors import InvalidInput
from afteraction.documents.parse import parse_file, parse_markdown, section_key

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def ours():
    return parse_file(FIXTURES / "ours.md")


def test_front_matter_fields_are_read(ours):
    assert ours.id == "INC-42"
    assert ours.title == "Checkout returned 500s after a config push"
    assert (ours.kind, ours.severity, ours.status, ours.incident_status) == (
        "incident",
        "SEV2",
        "in-review",
        "resolved",
    )
    assert ours.services == ["checkout", "payments-api"]
    assert ours.reviewers == ["Ben Okafor", "Chloé Martin"]
    assert ours.detected_at == datetime(2026, 3, 14, 10, 8, 10, tzinfo=UTC)
    assert ours.acknowledged_at is None
    assert ours.due_date == date(2026, 3, 28)
    assert ours.extra == {"customer_tickets": 37, "regions": ["eu-west-1"]}
    assert ours.path == str(FIXTURES / "ours.md")


def test_text_sections_are_kept_verbatim(ours):
    assert ours.summary.startswith("A cache TTL of `0` shipped")
    assert ours.summary.endswith("\n\nAbout 18% of checkouts failed for 39 minutes.")
    assert ours.impact == "- 18% of checkout attempts failed between 10:02 and 10:41 UTC.\n- No data was lost."
    assert ours.trigger == "Config push `cfg-2291` set `cache.ttl` to `0`."
    assert ours.sections[0].heading == "Attendees"
    assert ours.sections[0].body == "Ana, Ben, Chloé"


def test_section_lines_point_at_headings(ours):
    text = (FIXTURES / "ours.md").read_text(encoding="utf-8").split("\n")
    for key, heading in [
        ("summary", "## Summary"),
        ("timeline", "## Timeline"),
        ("whys", "## Five Whys"),
        ("factors", "## Contributing Factors"),
        ("went-well", "## What Went Well"),
        ("lucky", "## Where We Got Lucky"),
        ("learned", "## Lessons Learned"),
        ("actions", "## Action Items"),
        ("title", "# Checkout returned 500s after a config push"),
        ("front_matter.title", "title: Checkout returned 500s after a config push"),
        ("front_matter.severity", "severity: SEV2"),
    ]:
        assert text[ours.section_lines[key] - 1] == heading
    assert ours.section_lines["front_matter"] == 1


def test_every_item_knows_its_line(ours):
    lines = (FIXTURES / "ours.md").read_text(encoding="utf-8").split("\n")
    assert "Alert *CheckoutErrorRate* firing" in lines[ours.timeline[1].line - 1]
    assert "TTL of 0." in lines[ours.whys[0].children[0].children[0].line - 1]
    assert "skip the canary" in lines[ours.factors[1].line - 1]
    assert "outside the weekly sale" in lines[ours.lessons_of("lucky")[0].line - 1]
    assert "retry budgets" in lines[ours.actions[2].line - 1]
    assert lines[ours.sections[0].line - 1] == "## Attendees"


def test_timeline_columns_key_moments_and_escapes(ours):
    first, alert, chat, unknown, rollback = ours.timeline
    assert (first.source, first.actor, first.kind, first.key_moment) == (
        "git",
        "Ana Silva",
        "deploy",
        "started",
    )
    assert first.link == "https://git.example/cfg/2291"
    assert first.source_id == "git:abc123"
    assert alert.actor is None
    assert alert.key_moment == "detected"
    assert chat.text == 'Ben: "is it the cache | or the DB?"\nLooking at dashboards'
    assert rollback.at == datetime(2026, 3, 14, 10, 41, tzinfo=UTC)
    assert rollback.time_text == "~10:41"
    assert (unknown.at, unknown.time_text, unknown.source, unknown.kind) == (None, "??", "manual", "note")


def test_unreadable_lines_become_warnings_with_their_line(ours):
    messages = [(w.line, w.message) for w in ours.warnings]
    assert messages == [
        (57, "timeline time '??' not understood; kept with no time"),
        (105, "action item due date 'not soon' not understood; kept in its details"),
    ]
    assert str(ours.warnings[0]) == f"{FIXTURES / 'ours.md'}:57: timeline time '??' not understood; kept with no time"


def test_five_whys_tree_with_several_branches_and_root_causes(ours):
    assert ours.problem_statement == "Checkout requests failed with HTTP 500 for 39 minutes."
    first, second = ours.whys
    cache = first.children[0]
    assert [node.root_cause for node in cache.children] == [True, False]
    assert cache.children[1].children[0].text == "Config changes have no automated validation in CI."
    assert cache.children[1].children[0].root_cause
    assert second.children[0].root_cause


def test_factors_categories_lessons_and_actions(ours):
    assert [(f.category, f.text) for f in ours.factors] == [
        ("config", "A TTL of 0 is accepted by the schema."),
        ("process", "Config pushes skip the canary stage."),
        (None, "Retry storms amplified the outage."),
    ]
    assert [lesson.kind for lesson in ours.lessons] == ["went-well", "went-wrong", "lucky", "learned"]
    action = ours.actions[0]
    assert (action.type, action.owner, action.due, action.priority) == (
        "prevent",
        "Ana Silva",
        date(2026, 3, 21),
        "P1",
    )
    assert (action.status, action.tracker, action.addresses) == ("in-progress", "PAY-101", "W1.1.1")
    assert ours.actions[2].due is None


def test_malformed_yaml_names_the_file_and_line():
    text = "---\ntitle: ok\nservices: [a, b\nseverity: SEV1\n---\n# T\n"
    with pytest.raises(InvalidInput) as caught:
        parse_markdown(text, path="pm/broken.md")
    assert str(caught.value).startswith("pm/broken.md:")
    assert "malformed YAML front matter" in str(caught.value)
    line = int(str(caught.value).split(":")[1])
    assert 3 <= line <= 5


def test_front_matter_that_is_not_closed_or_not_a_mapping_is_refused():
    with pytest.raises(InvalidInput, match=r"a\.md:1: front matter .* never closed"):
        parse_markdown("---\ntitle: x\n# T\n", path="a.md")
    with pytest.raises(InvalidInput, match=r"b\.md:2: front matter must be a mapping"):
        parse_markdown("---\n- a\n- b\n---\n# T\n", path="b.md")


def test_front_matter_values_of_the_wrong_shape_are_warned_and_kept_in_extra():
    doc = parse_markdown(
        "---\ntitle: T\nstarted_at: 2026-03-14\nprivate: maybe\nservices: api, web\nowner: Ana\n---\n",
        path="x.md",
    )
    assert doc.started_at is None
    assert doc.extra == {"started_at": "2026-03-14", "private": "maybe", "owner": "Ana"}
    assert doc.services == ["api", "web"]
    assert [(w.line, w.message.split(":")[0]) for w in doc.warnings] == [
        (3, "front matter 'started_at'"),
        (4, "front matter 'private'"),
    ]


def test_times_in_front_matter_are_converted_to_utc():
    doc = parse_markdown("---\ntitle: T\nstarted_at: 2026-03-14T12:00:00+02:00\nresolved_at: '2026-03-14 13:00'\n---\n")
    assert doc.started_at == datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    assert doc.resolved_at == datetime(2026, 3, 14, 13, 0, tzinfo=UTC)


def test_title_falls_back_to_h1_then_file_name():
    assert parse_markdown("# From the heading\n\n## Summary\n\nx\n").title == "From the heading"
    assert parse_markdown("## Summary\n\nx\n", path="notes/2024-db-outage.md").title == "2024-db-outage"
    assert parse_markdown("").title == "Untitled"


def test_headings_inside_code_blocks_do_not_start_sections():
    doc = parse_markdown("# T\n\n## Resolution\n\n```sh\n## not a heading\n```\n\n### Details\n\nmore\n")
    assert doc.resolution == "```sh\n## not a heading\n```\n\n### Details\n\nmore"
    assert doc.sections == []


def test_parse_file_tolerates_a_byte_order_mark_and_any_file_ending(tmp_path):
    path = tmp_path / "PM2030-001 - no ending"
    path.write_bytes("\ufeff# Ünïcode title\n\n## Summary\n\nok\n".encode())
    doc = parse_file(path)
    assert doc.title == "Ünïcode title"
    assert doc.section_lines["summary"] == 3
    assert doc.external_ref == "PM2030-001"


def test_parse_file_refuses_text_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("# Café\n\nna\xefve\n".encode("latin-1"))
    with pytest.raises(InvalidInput, match=r"latin1\.md: not UTF-8 text"):
        parse_file(path)


def test_parse_file_reports_a_missing_file(tmp_path):
    with pytest.raises(InvalidInput, match="cannot be read"):
        parse_file(tmp_path / "missing.md")


def test_windows_line_endings_give_the_same_document():
    text = (FIXTURES / "ours.md").read_text(encoding="utf-8")
    assert parse_markdown(text.replace("\n", "\r\n")).model_dump() == parse_markdown(text).model_dump()


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Contributing Factors", "factors"),
        ("Contributing Factors (findings)", "factors"),
        ("Root Causes", "factors"),
        ("Causes", "factors"),
        ("Lessons Learned", "learned"),
        ("What went well", "went-well"),
        ("Follow-ups", "actions"),
        ("Next steps", "actions"),
        ("Remediation", "actions"),
        ("Action Items:", "actions"),
        ("5 Whys", "whys"),
        ("Stats", "stats"),
        ("Attendees", None),
        ("Atendees", None),
    ],
)
def test_heading_synonyms(heading, key):
    assert section_key(heading) == key


MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "# T",
            "## Timeline",
            "## Five Whys",
            "## Action Items",
            "## Stats",
            "## Root Causes",
            "### Sub",
            "---",
            "```",
            "~~~",
            "| Time | Event |",
            "| --- | --- |",
            "| 2020-01-01 10:00 | x |",
            "| ?? | y |",
            "|",
            "- a",
            "  - b",
            "1. c",
            "- [x] d",
            "- Time to detection: 5 minutes",
            "- Category: K",
            "[r]: u",
            "",
            "text",
            "All times in CET.",
            "| a \\| b | <br> |",
            "- **Root cause:** z",
            "- **[cat]** f",
            "    - deep",
        ]
    )
    | st.text(max_size=20),
    max_size=30,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(MARKDOWNISH)
def test_any_text_parses_without_crashing(text):
    try:
        doc = parse_markdown(text, path="fuzz.md")
    except InvalidInput as error:
        assert str(error).startswith("fuzz.md:")
    else:
        assert doc.title
        assert all(w.line >= 1 for w in doc.warnings)


def test_stats_section_beside_front_matter_stats_that_are_not_a_mapping():
    doc = parse_markdown("---\ntitle: T\nextra: {stats: fast}\n---\n## Stats\n\n- Time to recovery: 2 hours\n")
    assert doc.extra["stats"] == {"time_to_recover_s": 7200}


def test_a_comment_on_a_heading_keeps_its_section():
    doc = parse_markdown(
        "# Disk full\n\n## Summary <!-- afteraction: ignore blame/hindsight -->\n\nThe disk filled.\n\n"
        "## Timeline <!-- afteraction: ignore structure/timeline-order -->\n\n| Time | Event |\n| --- | --- |\n"
        "| 2026-03-14 10:00:00Z | Disk alert fired |\n"
    )
    assert doc.summary == "The disk filled."
    assert [entry.text for entry in doc.timeline] == ["Disk alert fired"]
    assert not doc.sections and doc.section_lines["timeline"] == 7


def test_a_canonical_time_on_a_day_that_does_not_exist_is_a_warning_not_a_crash():
    doc = parse_markdown(
        "# x\n\n## Timeline\n\n| Time | Event |\n| --- | --- |\n| 2026-02-30T10:00:00Z | bad day |\n"
        "| 2026-02-28T10:00:00Z | good day |\n",
        path="pm.md",
    )
    assert [(entry.at, entry.time_text, entry.text) for entry in doc.timeline] == [
        (None, "2026-02-30T10:00:00Z", "bad day"),
        (datetime(2026, 2, 28, 10, tzinfo=UTC), None, "good day"),
    ]
    assert [str(w) for w in doc.warnings] == [
        "pm.md:7: timeline date '2026-02-30T10:00:00Z' does not exist; kept with no time"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("started_at: 2026-02-30T10:00:00Z", "pm.md:3: malformed YAML front matter: day is out of range for month"),
        ("due_date: 2026-13-01", "pm.md:3: malformed YAML front matter: month must be in 1..12"),
    ],
)
def test_a_front_matter_date_that_does_not_exist_names_its_line(value, message):
    with pytest.raises(InvalidInput) as raised:
        parse_markdown(f"---\ntitle: x\n{value}\n---\n# x\n", path="pm.md")
    assert str(raised.value) == message
