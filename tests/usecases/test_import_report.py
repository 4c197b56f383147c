"""Importing many files: a value never stops an import, each file lands on its own, the report says what was read,
and a re-import changes only what the document changed (issue #17, items 1, 5 and 7)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.errors import ConfigurationError
from afteraction.documents.mapping import ImportMapping, load_mapping
from afteraction.documents.parse import parse_markdown
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.vocabulary import map_value
from afteraction.incidents.models import Incident
from afteraction.people.models import Person
from afteraction.reviews.models import Postmortem
from afteraction.usecases.documents import ImportOptions, import_files, settle_values
from tests.conftest import corpus_path

SYSTEM = Actor.system()
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
NOW = datetime(2026, 12, 7, tzinfo=UTC)
MAPPINGS = Path(__file__).resolve().parents[2] / "docs" / "mappings"

# The shapes that stopped the import before: a severity word, High / TODO / Other / P4 / Won't fix in a table.
FOREIGN = """---
title: Search outage
severity: Critical
---
# Search outage

## Summary

The search cluster ran out of disk.

## Background

We run one cluster.

## Action Items

| Action | Type | Priority | Status | Owner |
|---|---|---|---|---|
| Add a disk alert | Other | High | TODO | ann |
| Rotate the logs | Mitigate | P4 | Won't fix | bob |
| Write it down | Paperwork | Someday | DONE | |
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("field", "written", "expected"),
    [
        ("priority", "High", "P1"),
        ("priority", "**medium**", "P2"),
        ("priority", "P4", "P3"),
        ("priority", "Critical", "P0"),
        ("priority", "Minor", "P3"),
        ("status", "TODO", "open"),
        ("status", "(DONE)", "done"),
        ("status", "Complete", "done"),
        ("status", "In progress", "in-progress"),
        ("status", "Won’t fix", "wont-do"),
        ("type", "Mitigate", "mitigate"),
        ("type", "Prevent", "prevent"),
        ("type", "Process", "process"),
        ("type", "Repair", "repair"),
        ("type", "Detect", "detect"),
        ("type", "Other", ""),
        ("type", "Paperwork", None),
        ("severity", "Critical", "SEV1"),
        ("severity", "minor", "SEV4"),
        ("severity", "sev2", "SEV2"),
        ("severity", "purple", None),
    ],
)
def test_the_vocabularies(field, written, expected):
    assert map_value(field, written, severities=SEVERITIES) == expected


def test_a_mapping_files_values_win():
    overrides = {"priority": {"high": "P0"}, "status": {"shipped": "done"}}
    assert map_value("priority", "HIGH", overrides=overrides) == "P0"
    assert map_value("status", "Shipped", overrides=overrides) == "done"
    assert map_value("priority", "Low", overrides=overrides) == "P3"


def test_what_no_vocabulary_maps_is_kept_as_text_with_its_line():
    doc, kept = settle_values(parse_markdown(FOREIGN, path="pm.md"), severities=SEVERITIES)
    assert doc.severity == "SEV1"
    assert [(a.type, a.priority, a.status) for a in doc.actions] == [
        (None, "P1", "open"),
        ("mitigate", "P3", "wont-do"),
        (None, None, "done"),
    ]
    assert doc.actions[2].title == "Write it down (type: Paperwork; priority: Someday)"
    assert [str(k) for k in kept] == [
        "pm.md:21: action item type 'Paperwork' not understood: kept in its title",
        "pm.md:21: action item priority 'Someday' not understood: kept in its title",
    ]
    assert all(k in doc.warnings for k in kept)


def test_an_unknown_severity_is_kept_in_extra(db, tmp_path):
    path = write(tmp_path, "pm.md", "---\ntitle: Disk full\nseverity: SEV7\n---\n# Disk full\n")
    report = import_files(db, paths=[path], severities=SEVERITIES, actor=SYSTEM)
    (result,) = report.results
    assert [w.message for w in result.warnings] == [
        "severity 'SEV7' is not one of SEV1, SEV2, SEV3, SEV4: left empty, kept as written"
    ]
    assert result.warnings[0].line == 3 and report.exit_code == 1
    with db.transaction() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.severity is None and incident.extra["severity"] == "SEV7"


def test_each_file_lands_on_its_own_and_the_report_counts(db, tmp_path):
    good = write(tmp_path, "good.md", FOREIGN)
    broken = write(tmp_path, "broken.md", "---\ntitle: [unclosed\n---\n# x\n")
    empty = write(tmp_path, "empty.md", "\n")
    report = import_files(
        db, paths=[broken, good, empty, tmp_path / "gone.md"], severities=SEVERITIES, actor=SYSTEM,
        options=ImportOptions(now=NOW),
    )  # fmt: skip
    assert [r.path for r in report.results] == [str(good)]
    assert [f.path for f in report.failures] == [str(broken), str(empty), str(tmp_path / "gone.md")]
    assert report.failures[2].message == f"{tmp_path / 'gone.md'}: no such file"
    assert report.failures[1].message == f"{empty}: empty file: no post-mortem in it"
    assert report.exit_code == 2
    (result,) = report.results
    assert result.counts["action_items"] == 3 and result.counts["custom_sections"] == 1
    assert result.custom_sections == ["Background"]
    assert result.fields == ["severity"]
    assert len(result.kept_as_text) == 2
    data = report.to_json()
    assert data["imported"] == 1 and data["exit_code"] == 2 and data["failures"][0]["path"] == str(broken)
    assert data["files"][0]["counts"]["action_items"] == 3
    json.dumps(data)  # for machines: plain JSON
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1


def test_a_clean_import_exits_0(db, tmp_path):
    path = write(tmp_path, "clean.md", "# Clean\n\n## Summary\n\nAll fine.\n")
    assert import_files(db, paths=[path], severities=SEVERITIES, actor=SYSTEM).exit_code == 0


def test_a_naive_time_is_read_in_the_mapping_zone():
    entry = TimelineEntry(at=datetime(2024, 1, 2, 10, 0), text="x", line=5)
    doc = parse_markdown("# X\n", path="x.md").model_copy(update={"timeline": [entry]})
    settled, kept = settle_values(doc, severities=SEVERITIES, zone="Europe/Oslo")
    assert settled.timeline[0].at == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert [str(k) for k in kept] == ["x.md:5: timeline time 2024-01-02 10:00:00 states no zone: read as Europe/Oslo"]


REIMPORT = """# Queue backlog

## Summary

The queue backed up.

## Action Items

| Action | Owner | Due |
|---|---|---|
| Add a queue alert | ann | 2030-01-10 |
| Raise the limit | bob | 2030-02-01 |
"""


def test_a_document_without_an_id_is_found_by_its_path_and_merged(db, tmp_path):
    path = write(tmp_path, "queue.md", REIMPORT)
    first = import_files(db, paths=[path], severities=SEVERITIES, actor=SYSTEM).results[0]
    assert first.created
    with db.transaction() as session:  # edits in the tool: the severity, one item's owner and due date
        incident = session.scalars(select(Incident)).one()
        incident.severity = "SEV2"
        item = session.scalars(select(ActionItem).where(ActionItem.title == "Add a queue alert")).one()
        item.owner = Person(name="carol")
        item.due_date = date(2030, 3, 1)
    path.write_text(REIMPORT.replace("The queue backed up.", "The queue backed up twice."), encoding="utf-8")
    again = import_files(db, paths=[path], severities=SEVERITIES, actor=SYSTEM).results[0]
    assert not again.created and again.incident_id == first.incident_id
    assert again.kept_from_tool == [
        "severity: edited in the tool since the last import, kept",
        "action item 'Add a queue alert' owner: edited in the tool since the last import, kept",
        "action item 'Add a queue alert' due: edited in the tool since the last import, kept",
    ]
    with db.transaction() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.severity == "SEV2"
        items = {i.title: (i.owner.name if i.owner else None, i.due_date) for i in session.scalars(select(ActionItem))}
        assert session.scalars(select(Postmortem)).one().summary == "The queue backed up twice."
    assert items == {"Add a queue alert": ("carol", date(2030, 3, 1)), "Raise the limit": ("bob", date(2030, 2, 1))}
    forced = import_files(db, paths=[path], severities=SEVERITIES, overwrite=True, actor=SYSTEM).results[0]
    assert forced.kept_from_tool == []
    with db.transaction() as session:
        assert session.scalars(select(Incident)).one().severity is None
        item = session.scalars(select(ActionItem).where(ActionItem.title == "Add a queue alert")).one()
        assert (item.owner.name if item.owner else None, item.due_date) == ("ann", date(2030, 1, 10))


def test_a_moved_document_is_found_by_its_title_and_date(db, tmp_path):
    text = "---\nstarted_at: 2024-05-01T10:00:00Z\n---\n# Moved outage\n\n## Summary\n\nx\n"
    old = write(tmp_path, "old.md", text)
    import_files(db, paths=[old], severities=SEVERITIES, actor=SYSTEM)
    new = tmp_path / "archive" / "moved.md"
    new.parent.mkdir()
    old.rename(new)
    again = import_files(db, paths=[new], severities=SEVERITIES, actor=SYSTEM).results[0]
    assert not again.created
    other = write(tmp_path, "same-title.md", text)  # another file still there: its own incident
    assert import_files(db, paths=[other], severities=SEVERITIES, actor=SYSTEM).results[0].created is True
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 2


def test_a_bad_mapping_file_is_one_line_naming_file_and_line(tmp_path):
    bad = write(tmp_path, "m.toml", '[sections]\n"Lessons" = \n')
    with pytest.raises(ConfigurationError, match=r"m\.toml:2: invalid TOML"):
        load_mapping(bad)
    wrong = write(tmp_path, "w.toml", '[sections]\n"Lessons" = "nowhere"\n')
    with pytest.raises(ConfigurationError, match=r"w\.toml: sections\.Lessons: 'nowhere' is no section"):
        load_mapping(wrong)
    column = write(tmp_path, "c.toml", '[columns]\n"Bug" = "bugs"\n')
    with pytest.raises(ConfigurationError, match=r"c\.toml: columns\.Bug: 'bugs' is no action item field"):
        load_mapping(column)
    with pytest.raises(ConfigurationError, match="--tz: unknown zone 'Mars/Base'"):
        ImportMapping().with_zone("Mars/Base")
    assert ImportMapping().with_zone("Europe/Oslo").zone == "Europe/Oslo"


# Which documents of ../shared/corpus/realworld/docs each mapping in docs/mappings is for.
TEMPLATES = {
    "dastergon-azure": "dastergon-postmortem-template-azure.md",
    "dastergon-elastic": "dastergon-postmortem-template-elastic.md",
    "dastergon-google-api-infra": "dastergon-postmortem-template-google-api-infra.md",
    "dastergon-michael-kehoe": "dastergon-postmortem-template-michael.kehoe.md",
    "dastergon-real-world-sre": "dastergon-postmortem-template-real-world-sre.md",
    "dastergon-srebook": "dastergon-postmortem-template-srebook.md",
    "dastergon-thecloudbook": "dastergon-postmortem-template-thecloudbook.md",
    "k8s-test-infra": "k8s-test-infra-*.md",
    "mybinder": "mybinder-*.md",
    "pagerduty": "pagerduty-template.md",
}


def test_every_documented_mapping_is_for_one_template():
    assert sorted(p.stem for p in MAPPINGS.glob("*.toml")) == sorted(TEMPLATES)
    for path in MAPPINGS.glob("*.toml"):
        load_mapping(path)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_mapping_loads_and_imports_its_documents(db, name):
    docs = sorted(corpus_path("realworld", "docs").glob(TEMPLATES[name]))
    assert docs
    mapping = load_mapping(MAPPINGS / f"{name}.toml")
    report = import_files(db, paths=docs, severities=SEVERITIES, mapping=mapping, actor=SYSTEM)
    assert report.failures == [] and len(report.results) == len(docs)
