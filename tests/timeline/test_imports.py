"""Imports commit in batches under an import record: other writers wait at most a batch, a failed or interrupted
import is undone whole and recorded as failed with its one-line error, and importing again adds nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from afteraction.core.actor import Actor
from afteraction.core.db import Database, DatabaseTimeouts
from afteraction.core.errors import InvalidInput
from afteraction.domain.incidents import NewIncident
from afteraction.timeline import pipeline, service
from afteraction.timeline.models import ImportRecord, TimelineEvent
from afteraction.timeline.service import add_event, import_timeline
from afteraction.usecases.incidents import create_incident
from tests.timeline.archives import DAY, message, slack_zip

SYSTEM = Actor.system("ana")
BATCH_ROWS = 10  # rows per batch of the pipeline here
COMMIT_ROWS = 20  # rows per transaction here: two batches


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches and transactions of a few rows, so that a small file spans several of each."""
    monkeypatch.setattr(pipeline, "BATCH_VALUES", BATCH_ROWS * pipeline.ROW_VALUES)
    monkeypatch.setattr(service, "COMMIT_ROWS", COMMIT_ROWS)


@pytest.fixture
def incident(db: Database) -> str:
    new = NewIncident(title="Checkout down", severity="SEV1")
    return create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id


def _export(path: Path, messages: int, *, broken: bool = False) -> Path:
    """A Slack export of one day of `messages` messages; `broken`: then one whose `ts` is no Slack timestamp."""
    day: list[Any] = [message(f"1710410890.{number:06d}", f"message {number}") for number in range(messages)]
    if broken:
        day.append({"type": "message", "user": "U1", "ts": 12, "text": "late and broken"})
    return slack_zip(path, {DAY: day})


def _records(db: Database) -> list[ImportRecord]:
    with db.transaction() as session:
        return list(session.scalars(select(ImportRecord).order_by(ImportRecord.id)))


def _events(db: Database) -> list[TimelineEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(TimelineEvent).order_by(TimelineEvent.id)))


def test_a_good_import_is_recorded_done_with_its_counts_and_every_event_carries_its_import(db, incident, tmp_path):
    before = datetime.now(UTC)
    commits: list[int] = []
    result = import_timeline(
        db, incident_id=incident, path=_export(tmp_path / "export.zip", 95), progress=commits.append, actor=SYSTEM
    )
    assert (result.read, result.added, result.duplicates, result.format) == (95, 95, 0, "slack")
    assert commits == [20, 40, 60, 80, 95]  # one transaction per two batches
    [record] = _records(db)
    assert result.import_id == record.id
    assert (record.state, record.read, record.added, record.error) == ("done", 95, 95, None)
    assert (record.format, record.file_name, record.actor) == ("slack", "export.zip", "ana")
    assert record.finished_at is not None and before <= record.started_at <= record.finished_at
    assert record.since is None and record.until is None
    events = _events(db)
    assert len(events) == 95 and {event.import_id for event in events} == {record.id}


def test_importing_again_adds_nothing_and_is_recorded_as_a_second_import(db, incident, tmp_path):
    path = _export(tmp_path / "export.zip", 45)
    first = import_timeline(db, incident_id=incident, path=path, actor=SYSTEM)
    again = import_timeline(db, incident_id=incident, path=path, actor=SYSTEM)
    assert (again.read, again.added, again.duplicates) == (45, 0, 45)
    assert again.import_id != first.import_id
    assert [(r.id, r.state, r.read, r.added) for r in _records(db)] == [
        (first.import_id, "done", 45, 45),
        (again.import_id, "done", 45, 0),
    ]
    # The events stay the first import's: a later import does not take them over.
    assert {event.import_id for event in _events(db)} == {first.import_id}


def test_a_file_broken_near_its_end_leaves_no_events_and_a_failed_record(db, incident, tmp_path):
    path = _export(tmp_path / "export.zip", 100, broken=True)
    commits: list[int] = []
    with pytest.raises(InvalidInput) as failed:
        import_timeline(db, incident_id=incident, path=path, progress=commits.append, actor=SYSTEM)
    # The error is the parser's own line, as the command prints it.
    assert str(failed.value) == f"{path}: {DAY}: entry 101: 'ts' is not a Slack timestamp: 12"
    assert commits == [20, 40, 60, 80, 100]  # five transactions were committed before the broken entry was met
    assert _events(db) == []
    [record] = _records(db)
    assert (record.state, record.read, record.added) == ("failed", 100, 0)
    # Recorded with the file's name, never its path.
    assert record.error == f"export.zip: {DAY}: entry 101: 'ts' is not a Slack timestamp: 12"
    assert record.finished_at is not None


def test_a_failed_import_keeps_the_events_earlier_imports_added(db, incident, tmp_path):
    first = import_timeline(db, incident_id=incident, path=_export(tmp_path / "first.zip", 30), actor=SYSTEM)
    with pytest.raises(InvalidInput):
        import_timeline(db, incident_id=incident, path=_export(tmp_path / "more.zip", 70, broken=True), actor=SYSTEM)
    events = _events(db)
    assert len(events) == 30 and {event.import_id for event in events} == {first.import_id}
    assert [record.state for record in _records(db)] == ["done", "failed"]


def test_an_import_interrupted_between_batches_is_undone(db, incident, tmp_path):
    def interrupt(read: int) -> None:
        if read == 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_timeline(
            db, incident_id=incident, path=_export(tmp_path / "export.zip", 100), progress=interrupt, actor=SYSTEM
        )
    assert _events(db) == []
    [record] = _records(db)
    assert (record.state, record.read, record.added, record.error) == ("failed", 40, 0, "interrupted")


def test_undoing_a_large_import_deletes_its_events_a_transaction_at_a_time(db, incident, tmp_path, monkeypatch):
    left: list[int] = []  # the events left as each transaction of the undo begins
    transaction = db.transaction

    def counting() -> Any:
        with transaction() as session:
            left.append(session.scalar(select(func.count()).select_from(TimelineEvent)) or 0)
        return transaction()

    with monkeypatch.context() as patch:

        def fail(read: int) -> None:
            if read == 100:
                patch.setattr(db, "transaction", counting)
                raise InvalidInput("stop")

        path = _export(tmp_path / "export.zip", 100)
        with pytest.raises(InvalidInput, match=r"^stop$"):
            import_timeline(db, incident_id=incident, path=path, progress=fail, actor=SYSTEM)
    # 100 events, COMMIT_ROWS a transaction: five deletes, one that finds none left, then the record is marked.
    assert left == [100, 80, 60, 40, 20, 0, 0]
    assert _events(db) == [] and _records(db)[0].error == "stop"


@pytest.mark.parametrize("when", ["progress", "thread"])
def test_another_writer_is_not_locked_out_while_an_import_is_between_batches(
    db, incident, tmp_path, database_url, when
):
    # The other writer waits at most a fifth of a second for SQLite's write lock: were the import one transaction,
    # every one of its writes would fail with "database is locked".
    other = Database(database_url, timeouts=DatabaseTimeouts(lock=0.2))
    written: list[str] = []
    errors: list[Exception] = []

    def write(read: int) -> None:
        try:
            at = datetime(2024, 3, 14, 11, 0, read % 60, tzinfo=UTC)
            written.append(add_event(other, incident_id=incident, at=at, text=f"after {read}", actor=SYSTEM).text)
        except Exception as exc:  # reported below
            errors.append(exc)

    progress: Callable[[int], None] = write
    if when == "thread":

        def in_a_thread(read: int) -> None:
            writer = threading.Thread(target=write, args=(read,))
            writer.start()
            writer.join(timeout=10)

        progress = in_a_thread
    try:
        result = import_timeline(
            db, incident_id=incident, path=_export(tmp_path / "export.zip", 100), progress=progress, actor=SYSTEM
        )
    finally:
        other.dispose()
    assert errors == []
    assert written == [f"after {read}" for read in (20, 40, 60, 80, 100)]
    assert result.added == 100 and len(_events(db)) == 105
