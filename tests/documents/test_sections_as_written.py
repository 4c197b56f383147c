"""Issue #17 items 3 and 4: moments and metadata stated in words, and sections read as other templates write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.documents.mapping import ImportMapping
from afteraction.documents.parse import parse_file, parse_markdown, section_key
from afteraction.documents.render import render_markdown
from tests.conftest import corpus_path

# --- moments and metadata in words ----------------------------------------------------------------------------


def test_moments_stated_in_words_become_key_moments():
    doc = parse_markdown(
        "# Payments down\n\n"
        "First detected: 2023-09-18 13:42 UTC\n"
        "Incident declared 2023-09-18 13:50 UTC\n"
        "Repaired 2023-09-18 15:02 UTC\n"
        "Resolved 2023-09-20 19:18 UTC\n\n"
        "## Summary\n\nStart time: 2023-09-18 13:30 UTC\n"
    )
    assert doc.started_at == datetime(2023, 9, 18, 13, 30, tzinfo=UTC)
    assert doc.detected_at == datetime(2023, 9, 18, 13, 42, tzinfo=UTC)
    assert doc.acknowledged_at == datetime(2023, 9, 18, 13, 50, tzinfo=UTC)
    assert doc.mitigated_at == datetime(2023, 9, 18, 15, 2, tzinfo=UTC)
    assert doc.resolved_at == datetime(2023, 9, 20, 19, 18, tzinfo=UTC)
    assert "resolved_at from 'Resolved'" in [note.message for note in doc.notes]


def test_metadata_lines_at_the_top_fill_fields():
    doc = parse_markdown(
        "# Cache stampede\n\n"
        "**Date:** 2021-03-04\n"
        "**Authors:** Ana Silva, Ben Okafor and Chloé Martin\n"
        "**Status:** Complete, action items in progress\n"
        "**Severity:** SEV-2\n\n"
        "## Summary\n\nThe cache fell over.\n"
    )
    assert doc.authors == ["Ana Silva", "Ben Okafor", "Chloé Martin"]
    assert doc.status == "published"
    assert doc.extra["stated_status"] == "Complete, action items in progress"
    assert doc.severity == "SEV-2"
    assert doc.started_at == datetime(2021, 3, 4, tzinfo=UTC)
    assert "started_at from 'Date' (2021-03-04, no time of day)" in [note.message for note in doc.notes]
    assert doc.summary == "The cache fell over."


def test_front_matter_wins_over_metadata_lines():
    doc = parse_markdown("---\nseverity: SEV1\nauthors: [Dee]\n---\n# T\n\nSeverity: SEV-3\nAuthors: Eve\n")
    assert doc.severity == "SEV1"
    assert doc.authors == ["Dee"]


def test_metadata_table_and_metadata_headings():
    doc = parse_markdown(
        "# Title\n\n"
        "| Incident Summary | | | |\n|---|---|---|---|\n"
        "| Incident Severity | Major | Postmortem Date | 2019-05-30 |\n\n"
        "### Start Date/Time\n\n2019-05-29 22:10 UTC\n\n"
        "### End Date/Time\n\n2019-05-30 01:05 UTC\n\n"
        "### Authors\n\nkatharine\n"
    )
    assert doc.severity == "Major"
    assert doc.extra["postmortem_date"] == "2019-05-30"
    assert doc.started_at == datetime(2019, 5, 29, 22, 10, tzinfo=UTC)
    assert doc.resolved_at == datetime(2019, 5, 30, 1, 5, tzinfo=UTC)
    assert doc.authors == ["katharine"]
    assert [section.heading for section in doc.sections] == []


def test_outage_begins_and_ends_in_the_timeline_are_moments():
    doc = parse_markdown(
        "# Prow down\n\n## Timeline\n\n"
        "| Time | Event |\n|---|---|\n"
        "| 2019-02-05 08:47 UTC | The bump PR is merged. **Outage begins.** |\n"
        "| 2019-02-05 09:00 UTC | Someone notices |\n"
        "| 2019-02-05 09:34 UTC | Prow is confirmed to be functional. **Outage ends.** |\n"
        "| 2019-02-05 10:00 UTC | Post-mortem written |\n"
    )
    assert doc.started_at == datetime(2019, 2, 5, 8, 47, tzinfo=UTC)
    assert doc.resolved_at == datetime(2019, 2, 5, 9, 34, tzinfo=UTC)


# --- lossless sections ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Lessons learnt", "learned"),
        ("What went poorly", "went-wrong"),
        ("What could have gone better?", "went-wrong"),
        ("Where did we get lucky", "lucky"),
        ("Timeline of events", "timeline"),
        ("Root cause(s)", "factors"),
        ("Root cause analysis", "factors"),
        ("Issue summary", "summary"),
        ("Summary of impact", "impact"),
        ("Corrective and Preventative Measures", "actions"),
        ("Recommendations", "actions"),
        ("Review actions", "actions"),
        ("Follow-up actions", "actions"),
        ("Action Items & Followups", "actions"),
        ("Trigger", "trigger"),
        ("Detection", "detection"),
        ("Resolution", "resolution"),
        ("Mitigation & Resolution", "resolution"),
        ("Mitigation", "resolution"),
        ("Background", None),
        ("What happened", None),
        ("Responders", None),
        ("Attendees", None),
    ],
)
def test_heading_synonyms(heading, key):
    assert section_key(heading) == key


def test_custom_sections_export_back_under_their_own_heading():
    doc = parse_markdown("# T\n\n## Background\n\nWe run Kafka.\n\n## Responders\n\n- Ana\n- Ben\n")
    assert [(s.heading, s.body) for s in doc.sections] == [
        ("Background", "We run Kafka."),
        ("Responders", "- Ana\n- Ben"),
    ]
    again = parse_markdown(render_markdown(doc))
    assert [(s.heading, s.body) for s in again.sections] == [(s.heading, s.body) for s in doc.sections]


def test_nested_lessons_keep_their_kind():
    doc = parse_markdown(
        "# T\n\n## Lessons learned\n\n"
        "### What went well\n\n- Paging worked\n\n"
        "### What went poorly\n\n- Nobody owned the cache\n- Alerts were noisy\n\n"
        "### Where we got lucky\n\n- It was a Sunday\n\n"
        "## Action items\n\n- Own the cache\n"
    )
    assert [(lesson.kind, lesson.text) for lesson in doc.lessons] == [
        ("went-well", "Paging worked"),
        ("went-wrong", "Nobody owned the cache"),
        ("went-wrong", "Alerts were noisy"),
        ("lucky", "It was a Sunday"),
    ]
    assert [action.title for action in doc.actions] == ["Own the cache"]


def test_level_three_sections_of_a_template_before_any_level_two():
    doc = parse_markdown("# Title\n\n### Summary\n\nIt broke.\n\n### Impact\n\nEveryone.\n\n## Action Items\n\n- Fix\n")
    assert doc.summary == "It broke."
    assert doc.impact == "Everyone."


def test_bold_label_bullets_are_sections():
    doc = parse_markdown(
        "# Database failover\n\n## Incident summary\n\n"
        "- **Impact**: Users could not sign in for 20 minutes.\n"
        "- **Root cause**: The failover script pointed at the old primary.\n"
        "- **Resolution**: Pointed DNS at the new primary.\n\n"
        "More words about the summary.\n"
    )
    assert doc.impact == "Users could not sign in for 20 minutes."
    assert doc.resolution == "Pointed DNS at the new primary."
    assert [(s.heading, s.body) for s in doc.sections] == [
        ("Root cause", "The failover script pointed at the old primary.")
    ]
    assert doc.summary == "More words about the summary."


def test_prose_root_causes_stay_prose():
    text = (
        "# T\n\n## Root Cause\n\nPlank created pods in the `default` namespace.\n\n"
        "![graph](https://example.invalid/graph.png)\n\n"
        '```\n{"level": "error", "msg": "secret not found"}\n```\n'
    )
    doc = parse_markdown(text)
    assert doc.factors == []
    assert [s.heading for s in doc.sections] == ["Root Cause"]
    assert doc.sections[0].body.startswith("Plank created pods in the `default` namespace.\n\n![graph]")
    assert '"secret not found"' in doc.sections[0].body


def test_listed_root_causes_are_factors():
    doc = parse_markdown("# T\n\n## Root causes\n\n- No canary\n- **[process]** No runbook\n")
    assert [(f.text, f.category) for f in doc.factors] == [("No canary", None), ("No runbook", "process")]


def test_mapping_names_sections_and_ignores_boilerplate():
    mapping = ImportMapping(
        sections={"customer comms": "custom:Customer communication", "what we learnt": "learned"},
        ignore_headings=frozenset({"instructions"}),
    )
    doc = parse_markdown(
        "# T\n\n## Instructions\n\nDelete this.\n\n## Customer comms\n\nTweeted.\n\n"
        "## What we learnt\n\n- Tweet early\n",
        mapping=mapping,
    )
    assert [(s.heading, s.body) for s in doc.sections] == [("Customer communication", "Tweeted.")]
    assert [(lesson.kind, lesson.text) for lesson in doc.lessons] == [("learned", "Tweet early")]


# --- action items ---------------------------------------------------------------------------------------------


def test_unknown_action_columns_are_kept_and_exported_back():
    doc = parse_markdown(
        "# T\n\n## Action Items & Followups\n\n"
        "| Action Item | Type (Mitigate/ Prevent/ Process/ Other) | Who | Priority | Bug # | Due Date |\n"
        "|---|---|---|---|---|---|\n"
        "| Add alerting | Prevent | ana | High | 1234 | 2019-06-01 |\n"
    )
    (action,) = doc.actions
    assert (action.title, action.type, action.owner, action.priority) == ("Add alerting", "Prevent", "ana", "High")
    assert action.due is not None and action.due.isoformat() == "2019-06-01"
    assert action.details == {"Bug #": "1234"}
    rendered = render_markdown(doc)
    assert "| Action | Type | Owner | Due | Priority | Status | Tracker | Addresses | Bug # |" in rendered
    assert parse_markdown(rendered).actions[0].details == {"Bug #": "1234"}


def test_mapping_columns_and_values_apply_to_action_tables():
    mapping = ImportMapping(
        columns={"bug #": "tracker"}, values={"priority": {"high": "P1"}, "status": {"shipped": "done"}}
    )
    doc = parse_markdown(
        "# T\n\n## Action items\n\n| Action | Priority | Status | Bug # |\n|---|---|---|---|\n"
        "| Fix | High | Shipped | 99 |\n",
        mapping=mapping,
    )
    (action,) = doc.actions
    assert (action.priority, action.status, action.tracker, action.details) == ("P1", "done", "99", {})


def test_tracker_references_fill_the_tracker():
    doc = parse_markdown(
        "# T\n\n## Action items\n\n"
        "- Automate deploys ([#11957](https://github.com/kubernetes/test-infra/issues/11957))\n"
        "- Canary upgrades [OPS-12]\n"
        "- Revert the bump, see #11205\n"
        "- Talk to the team\n"
    )
    assert [action.tracker for action in doc.actions] == [
        "https://github.com/kubernetes/test-infra/issues/11957",
        "OPS-12",
        "#11205",
        None,
    ]


def test_done_marks_close_items():
    doc = parse_markdown(
        "# T\n\n## Action items\n\n"
        "1. Make sure that everybody gets emailed when the site goes down (DONE)\n"
        "2. **DONE** Add a status page\n"
        "3. Write the runbook **DONE**\n"
        "4. Get it done properly next time\n"
    )
    assert [(a.title, a.status) for a in doc.actions] == [
        ("Make sure that everybody gets emailed when the site goes down", "done"),
        ("Add a status page", "done"),
        ("Write the runbook", "done"),
        ("Get it done properly next time", "open"),
    ]


def test_prose_among_listed_action_items_is_kept_as_a_note():
    doc = parse_markdown(
        "# T\n\n## Action items\n\nEvery item should have an issue.\n\n### Process\n\n1. Two people on call\n\n"
        "### Investigation\n\nWhy did the node die?\n\n### What went wrong\n\n- Nobody was around\n"
    )
    assert [(a.title, a.type) for a in doc.actions] == [
        ("Two people on call", "process"),
        ("Why did the node die?", None),
    ]
    assert [(s.heading, s.body) for s in doc.sections] == [
        ("Notes on the action items", "Every item should have an issue.")
    ]
    assert [(lesson.kind, lesson.text) for lesson in doc.lessons] == [("went-wrong", "Nobody was around")]


def test_grouping_headings_become_the_type_where_they_name_one():
    doc = parse_markdown(
        "# T\n\n## Action items\n\n"
        "### Process improvements\n\n1. Two people on call\n\n"
        "### Documentation improvements\n\n1. Document the SLO\n\n"
        "### Detection\n\n1. Alert on 5xx\n"
    )
    assert [(a.title, a.type, a.details) for a in doc.actions] == [
        ("Two people on call", "process", {"Group": "Process improvements"}),
        ("Document the SLO", None, {"Group": "Documentation improvements"}),
        ("Alert on 5xx", "detect", {"Group": "Detection"}),
    ]
    again = parse_markdown(render_markdown(doc))
    assert [(a.title, a.type, a.details) for a in again.actions] == [(a.title, a.type, a.details) for a in doc.actions]


# --- titles and front matter ----------------------------------------------------------------------------------


def test_the_documents_own_heading_is_kept_when_front_matter_names_another_title():
    doc = parse_markdown("---\ntitle: INC-7 checkout\n---\n# Checkout outage of March 3rd\n\nText.\n")
    assert doc.title == "INC-7 checkout"
    assert doc.extra["document_heading"] == "Checkout outage of March 3rd"


def test_toml_front_matter_is_read():
    doc = parse_markdown(
        '+++\ntitle = "Broker upgrade"\nseverity = "SEV2"\ntags = ["kafka", "upgrade"]\n'
        "started_at = 2023-01-10T14:00:00Z\nweight = 3\n+++\n\n## Summary\n\nIt broke.\n"
    )
    assert doc.title == "Broker upgrade"
    assert doc.severity == "SEV2"
    assert doc.tags == ["kafka", "upgrade"]
    assert doc.started_at == datetime(2023, 1, 10, 14, tzinfo=UTC)
    assert doc.extra == {"weight": 3}
    assert doc.summary == "It broke."


def test_broken_toml_front_matter_names_the_line():
    with pytest.raises(InvalidInput, match=r"^doc.md:3: malformed TOML front matter"):
        parse_markdown('+++\ntitle = "x"\nseverity = \n+++\n', path="doc.md")


# --- the real documents -----------------------------------------------------------------------------------------

# name: (went-well, went-wrong, lucky, learned) lessons, action items, actions done, custom section headings
CORPUS = {
    "k8s-test-infra-2019-02-05.md": ((2, 4, 2, 0), 1, 0, ["Root Cause", "Appendix"]),
    "k8s-test-infra-2019-03-26.md": ((1, 5, 1, 0), 3, 0, None),
    "mybinder-2018-02-12-launch-fail.md": ((1, 1, 1, 0), 3, 0, []),
    "mybinder-2018-02-22-nginx-down.md": ((1, 1, 1, 0), 2, 1, []),
    "mybinder-2018-07-08-podsnips-aplenty.md": ((5, 4, 0, 0), 7, 0, ["Notes on the action items"]),
    "mybinder-2018-03-31-server-start-fail.md": ((1, 3, 0, 0), 4, 0, []),
    "mybinder-2017-11-30-oom-proxy.md": ((0, 0, 0, 0), 4, 0, ["Logs"]),
    "dastergon-postmortem-template-michael.kehoe.md": ((0, 0, 0, 0), 0, 0, None),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_realworld_documents(name):
    doc = parse_file(corpus_path("realworld", "docs", name))
    kinds, actions, done, custom = CORPUS[name]
    assert tuple(len(doc.lessons_of(kind)) for kind in ("went-well", "went-wrong", "lucky", "learned")) == kinds
    assert len(doc.actions) == actions
    assert sum(action.status == "done" for action in doc.actions) == done
    if custom is not None:
        assert [section.heading for section in doc.sections if section.heading != "Description"] == custom


def test_realworld_k8s_tracker_refs_and_mybinder_groups():
    docs = corpus_path("realworld", "docs")
    boskos = parse_file(docs / "k8s-test-infra-2019-03-26.md")
    assert [action.tracker for action in boskos.actions] == [
        "https://github.com/kubernetes/test-infra/issues/11956",
        "https://github.com/kubernetes/test-infra/issues/11957",
        "https://github.com/kubernetes/test-infra/issues/11953",
    ]
    launch = parse_file(docs / "mybinder-2018-02-12-launch-fail.md")
    assert [(a.type, a.details.get("Group")) for a in launch.actions] == [
        ("process", "Process improvements"),
        (None, "Documentation improvements"),
        (None, "Technical improvements"),
    ]
    kehoe = parse_file(docs / "dastergon-postmortem-template-michael.kehoe.md")
    assert "Root Cause(s)" not in [section.heading for section in kehoe.sections]
