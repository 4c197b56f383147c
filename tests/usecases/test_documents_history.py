"""Importing history: an old document is imported as what it is (published, its moments, its items' states)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.documents.parse import parse_markdown
from afteraction.domain.incidents import NewIncident
from afteraction.domain.policy import Policy
from afteraction.incidents.models import Incident
from afteraction.insights.dashboard import dashboard
from afteraction.insights.schemas import InsightsFilter
from afteraction.insights.service import compute_insights
from afteraction.reviews.models import Postmortem
from afteraction.usecases import incidents as usecases
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


def test_a_bad_document_is_reported_and_the_others_land(db, tmp_path):
    # Issue #17: each file imports on its own; a value no vocabulary maps is kept as text with a warning.
    odd = "---\nseverity: SEV9\n---\n# Odd\n"
    bad = "---\ntitle: [unclosed\n---\n# Broke\n"
    report = import_files(
        db, paths=[write(tmp_path, "old.md", OLD), write(tmp_path, "odd.md", odd), write(tmp_path, "bad.md", bad)],
        severities=SEVERITIES, options=ImportOptions(as_published=True), actor=SYSTEM,
    )  # fmt: skip
    assert [f.path for f in report.failures] == [str(tmp_path / "bad.md")]
    assert "invalid severity" not in str(report.warnings) and "SEV9" in str(report.warnings)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 2


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
    report = compute_insights(db, policy=Policy(), severities=SEVERITIES, recurrences=0, now=NOW, actor=SYSTEM)
    assert report.incidents.date_unknown == len(paths) - started
    assert report.incidents.total == len(paths)
    assert "2026-12" not in {count.key for count in report.incidents.by_month}


UNDATED = """# Search was slow

## Summary

Queries were slow for a while.

## Action Items

| Action | Owner | Status |
|---|---|---|
| Add an index | Ann Lee | Done |
"""


def test_an_undated_document_counts_under_date_unknown_never_this_month(db, tmp_path):
    import_files(
        db, paths=[write(tmp_path, "old.md", OLD), write(tmp_path, "notes.md", UNDATED)], severities=SEVERITIES,
        options=ImportOptions(now=NOW), actor=SYSTEM,
    )  # fmt: skip
    with db.transaction() as session:
        happened = dict(session.execute(select(Incident.title, Incident.happened_at)).all())
    assert happened["Search was slow"] is None
    assert happened["Certificate expiry"] == datetime(2021, 3, 31, 12, 6, tzinfo=UTC)
    report = compute_insights(db, policy=Policy(), severities=SEVERITIES, recurrences=0, actor=SYSTEM)
    assert report.incidents.total == 2 and report.incidents.date_unknown == 1
    assert [(c.key, c.count) for c in report.incidents.by_month] == [("2021-03", 1)]
    board = dashboard(db, policy=Policy(), severities=SEVERITIES, now=NOW, actor=SYSTEM)
    assert board.incidents_this_month == 0 and board.incidents_date_unknown == 1
    assert sum(count.count for count in board.incidents_by_month) == 0  # 2021 is outside the last twelve months
    dated = compute_insights(
        db,
        policy=Policy(),
        severities=SEVERITIES,
        within=InsightsFilter(since=date(2021, 1, 1)),
        recurrences=0,
        actor=SYSTEM,
    )
    assert (dated.incidents.total, dated.incidents.date_unknown) == (1, 0)  # an unknown date is in no range


def test_imported_items_were_opened_and_closed_when_the_incident_happened(db, tmp_path):
    import_files(db, paths=[write(tmp_path, "old.md", OLD)], severities=SEVERITIES, options=ImportOptions(now=NOW),
                 actor=SYSTEM)  # fmt: skip
    with db.transaction() as session:
        items = {i.title: i for i in session.scalars(select(ActionItem))}
    done = items["Monitor certificate expiry"]
    assert done.status == "done"
    assert done.opened_at == datetime(2021, 3, 31, 12, 6, tzinfo=UTC)
    assert done.closed_at == datetime(2021, 3, 31, 13, 30, tzinfo=UTC)  # its resolve, not the day of the import
    assert items["Move off ADFS"].closed_at is None


def test_an_incident_recorded_in_the_tool_counts_when_it_was_recorded(db):
    row = usecases.create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Now", severity="SEV3"), allowed_severities=SEVERITIES
    )
    with db.transaction() as session:
        incident = session.scalar(select(Incident))
        assert incident is not None and incident.happened_at == incident.created_at
    assert usecases.get_incident(db, actor=SYSTEM, incident_id=row.id).happened_at is not None
