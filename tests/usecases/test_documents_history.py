"""Importing history: an old document is imported as what it is (published, its moments, its items' states)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.errors import InvalidInput
from afteraction.documents.parse import parse_markdown
from afteraction.incidents.models import Incident
from afteraction.reviews.models import Postmortem
from afteraction.usecases.documents import ImportOptions, as_imported, import_files
from tests.conftest import corpus_path

SYSTEM = Actor.system()
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
NOW = datetime(2026, 12, 7, tzinfo=UTC)

OLD = """# Certificate expiry

## Timeline

| Time | Event |
|---|---|
| 2021-03-31 12:06 | Certificates expire |
| 2021-03-31 13:30 | Confirmed working |

## Action Items

| Action | Owner | Status |
|---|---|---|
| Monitor certificate expiry | | Done |
| Move off ADFS | Ann Lee | Open |
| Ask the datacenter team | | |
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_old_document_imports_published_with_its_moments_and_item_states(db, tmp_path):
    report = import_files(
        db, paths=[write(tmp_path, "old.md", OLD)], severities=SEVERITIES, options=ImportOptions(now=NOW), actor=SYSTEM
    )
    assert report.results[0].status == "published"
    assert report.notes[-1].message.startswith("status published: the incident started 2021-03-31, more than 90 days")
    with db.transaction() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.started_at is not None and incident.started_at.replace(tzinfo=UTC) == datetime(
            2021, 3, 31, 12, 6, tzinfo=UTC
        )
        assert incident.resolved_at is not None
        assert session.scalar(select(Postmortem.status)) == "published"
        items = {item.title: item for item in session.scalars(select(ActionItem))}
        assert items["Monitor certificate expiry"].status == "done"
        assert items["Move off ADFS"].status == "open"
        assert items["Monitor certificate expiry"].owner is None


def test_a_recent_or_undated_document_stays_a_draft(db, tmp_path):
    recent = OLD.replace("2021-03-31", "2026-11-30")
    paths = [write(tmp_path, "recent.md", recent), write(tmp_path, "undated.md", "# Something broke\n\nBad.\n")]
    report = import_files(db, paths=paths, severities=SEVERITIES, options=ImportOptions(now=NOW), actor=SYSTEM)
    assert [r.status for r in report.results] == ["draft", "draft"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).where(Incident.started_at.is_(None))) == 1


def test_a_stated_status_is_kept_however_old(db, tmp_path):
    text = "---\nstatus: in-review\n---\n" + OLD
    report = import_files(
        db, paths=[write(tmp_path, "x.md", text)], severities=SEVERITIES, options=ImportOptions(now=NOW), actor=SYSTEM
    )
    assert report.results[0].status == "in-review"


def test_as_published_and_owner_default(db, tmp_path):
    paths = [
        write(tmp_path, "undated.md", "# Something broke\n\n## Action items\n\n- Fix it\n"),
        write(tmp_path, "old.md", OLD),
    ]
    options = ImportOptions(as_published=True, owner_default="platform", now=NOW)
    report = import_files(db, paths=paths, severities=SEVERITIES, options=options, actor=SYSTEM)
    assert [r.status for r in report.results] == ["published", "published"]
    with db.transaction() as session:
        owners = {item.title: item.owner.name if item.owner else None for item in session.scalars(select(ActionItem))}
    assert owners == {
        "Fix it": "platform",
        "Monitor certificate expiry": "platform",
        "Move off ADFS": "Ann Lee",
        "Ask the datacenter team": "platform",
    }


def test_the_age_is_a_setting():
    doc = parse_markdown(OLD.replace("2021-03-31", "2026-11-30"))
    assert as_imported(doc, ImportOptions(published_after_days=3, now=NOW)).status == "published"
    assert as_imported(doc, ImportOptions(published_after_days=30, now=NOW)).status == "draft"


def test_a_bad_document_still_writes_nothing(db, tmp_path):
    bad = "---\nseverity: SEV9\n---\n# Broke\n"
    with pytest.raises(InvalidInput, match=r"bad\.md"):
        import_files(
            db, paths=[write(tmp_path, "old.md", OLD), write(tmp_path, "bad.md", bad)], severities=SEVERITIES,
            options=ImportOptions(as_published=True), actor=SYSTEM,
        )  # fmt: skip
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 0


def test_the_corpus_counts_when_it_happened(db):
    folder = corpus_path("postmortems")
    paths = sorted((folder / "dfds").glob("PM2*")) + sorted((folder / "icco" / "data").glob("*.md"))
    report = import_files(db, paths=paths, severities=SEVERITIES, options=ImportOptions(now=NOW), actor=SYSTEM)
    assert len(report.results) == len(paths)
    month = datetime(NOW.year, NOW.month, 1, tzinfo=UTC)
    with db.transaction() as session:
        started = session.scalar(select(func.count()).where(Incident.started_at.is_not(None)))
        this_month = session.scalar(select(func.count()).where(Incident.started_at >= month))
        published = session.scalar(select(func.count()).where(Postmortem.status == "published"))
    assert started is not None and started >= 200  # 169 came from front matter alone before
    assert this_month == 0
    assert published == started  # every dated one is years old
