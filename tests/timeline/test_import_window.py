"""An import keeps the incident's window by default (an hour before its start to an hour after its end), or the one
asked for, or everything with all_time; what it skips is counted and the window is recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput
from afteraction.domain.incidents import NewIncident
from afteraction.incidents.models import Incident
from afteraction.timeline import pipeline
from afteraction.timeline.models import ImportRecord, TimelineEvent
from afteraction.timeline.service import import_timeline
from afteraction.timeline.window import describe_window, incident_window
from afteraction.usecases.incidents import create_incident
from tests.timeline.archives import DAY, message, slack_zip

SYSTEM = Actor.system("ana")
START = datetime(2024, 3, 14, 10, 0, tzinfo=UTC)
TIMES = [
    datetime(2016, 1, 5, 12, 0, tzinfo=UTC),  # years before: outside
    datetime(2024, 3, 14, 8, 30, tzinfo=UTC),  # 90 minutes before the start: outside
    datetime(2024, 3, 14, 9, 30, tzinfo=UTC),
    datetime(2024, 3, 14, 10, 5, tzinfo=UTC),
    datetime(2024, 3, 15, 16, 0, tzinfo=UTC),  # no end: no upper bound
]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of two rows, so that the filter meets batches wholly outside, partly outside and wholly inside."""
    monkeypatch.setattr(pipeline, "BATCH_VALUES", 2 * pipeline.ROW_VALUES)


def _incident(db: Database, started_at: datetime | None = START) -> str:
    new = NewIncident(title="Checkout down", severity="SEV1", started_at=started_at)
    return create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id


def _export(path: Path) -> Path:
    return slack_zip(path, {DAY: [message(f"{int(at.timestamp())}.000100", f"at {at:%Y-%m-%d %H:%M}") for at in TIMES]})


def _texts(db: Database) -> list[str]:
    with db.transaction() as session:
        return sorted(session.scalars(select(TimelineEvent.text)))


def test_by_default_an_import_keeps_the_incidents_window_and_counts_what_it_skipped(db, tmp_path):
    incident = _incident(db)
    path = _export(tmp_path / "export.zip")
    result = import_timeline(db, incident_id=incident, path=path, actor=SYSTEM)
    assert (result.read, result.added, result.skipped_outside, result.duplicates) == (5, 3, 2, 0)
    assert (result.since, result.until, result.default_window) == (datetime(2024, 3, 14, 9, tzinfo=UTC), None, True)
    assert _texts(db) == ["at 2024-03-14 09:30", "at 2024-03-14 10:05", "at 2024-03-15 16:00"]
    with db.transaction() as session:
        record = session.scalars(select(ImportRecord)).one()
        assert (record.since, record.until, record.read, record.added) == (result.since, None, 5, 3)
    again = import_timeline(db, incident_id=incident, path=path, actor=SYSTEM)
    assert (again.read, again.added, again.skipped_outside, again.duplicates) == (5, 0, 2, 3)


def test_a_window_asked_for_replaces_the_incidents_and_all_time_keeps_everything(db, tmp_path):
    incident = _incident(db)
    path = _export(tmp_path / "export.zip")
    since, until = datetime(2024, 3, 14, 9, tzinfo=UTC), datetime(2024, 3, 14, 10, tzinfo=UTC)
    asked = import_timeline(db, incident_id=incident, path=path, since=since, until=until, actor=SYSTEM)
    assert (asked.added, asked.skipped_outside, asked.since, asked.until) == (1, 4, since, until)
    assert not asked.default_window and _texts(db) == ["at 2024-03-14 09:30"]
    everything = import_timeline(db, incident_id=incident, path=path, all_time=True, actor=SYSTEM)
    assert (everything.added, everything.skipped_outside, everything.since, everything.until) == (4, 0, None, None)
    assert len(_texts(db)) == 5


def test_an_incident_without_a_start_gets_no_window(db, tmp_path):
    incident = _incident(db, started_at=None)
    result = import_timeline(db, incident_id=incident, path=_export(tmp_path / "export.zip"), actor=SYSTEM)
    assert (result.added, result.skipped_outside, result.since, result.until) == (5, 0, None, None)


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"all_time": True, "since": START}, "all_time"),
        ({"since": START, "until": datetime(2024, 3, 13, tzinfo=UTC)}, "until"),
        ({"since": datetime(2024, 3, 14, 9)}, "since"),
    ],
)
def test_a_window_that_makes_no_sense_is_refused_naming_the_field(db, tmp_path, window, field):
    incident = _incident(db)
    with pytest.raises(InvalidInput) as refused:
        import_timeline(db, incident_id=incident, path=_export(tmp_path / "export.zip"), actor=SYSTEM, **window)
    assert refused.value.field == field
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ImportRecord)) == 0


def test_the_incidents_window_reaches_an_hour_past_its_start_and_end_and_reads_plainly():
    ended = Incident(effective_started_at=START, effective_resolved_at=datetime(2024, 3, 14, 10, 30, tzinfo=UTC))
    window = incident_window(ended)
    assert window.since == datetime(2024, 3, 14, 9, tzinfo=UTC)
    assert window.until == datetime(2024, 3, 14, 11, 30, tzinfo=UTC)
    assert describe_window(window.since, window.until) == "2024-03-14 09:00 → 11:30 UTC"
    detected_only = incident_window(Incident(effective_detected_at=START))
    assert (detected_only.since, detected_only.until) == (datetime(2024, 3, 14, 9, tzinfo=UTC), None)
    assert not incident_window(Incident()).bounded
    assert describe_window(START, datetime(2024, 3, 16, tzinfo=UTC)) == "2024-03-14 10:00 → 2024-03-16 00:00 UTC"
    assert describe_window(START, None) == "from 2024-03-14 10:00 UTC on"
    assert describe_window(None, START) == "up to 2024-03-14 10:00 UTC"
    assert describe_window(None, None) == "all time"
