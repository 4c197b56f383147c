"""Bulk inserts of imported events: many rows per statement, the same rows and counts as one row at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from afteraction.core.actor import Actor
from afteraction.domain.incidents import NewIncident
from afteraction.incidents.models import Incident
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import ROWS_PER_INSERT, insert_events
from afteraction.usecases.incidents import create_incident

SYSTEM = Actor.system()

START = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def _events(numbers: range) -> list[ImportedEvent]:
    return [
        ImportedEvent(
            START + timedelta(seconds=number, microseconds=number),
            "slack",
            "message",
            f"message {number} ü",
            f"C1:{number}",
            f"Person {number % 3}" if number % 2 else None,
            None,
            f"C1:{number - 1}" if number % 5 == 0 else None,
        )
        for number in numbers
    ]


def test_many_rows_per_statement_keep_every_row_its_order_and_the_count_of_added(db):
    create_incident(db, actor=SYSTEM, new=NewIncident(title="Bulk", severity="SEV1"), allowed_severities=["SEV1"])
    total = 2 * ROWS_PER_INSERT + 37  # two whole statements and a shorter one
    events = _events(range(total))
    events.insert(3, _events(range(2, 3))[0])  # a duplicate within one statement is skipped
    with db.transaction() as session:
        incident = session.scalars(select(Incident)).one()
        assert insert_events(session, incident.id, events, None) == (total + 1, total)
    with db.transaction() as session:
        # Re-importing an overlapping range adds only the new events.
        assert insert_events(session, incident.id, _events(range(total - 10, total + 5)), None) == (15, 5)
    with db.transaction() as session:
        rows = session.scalars(select(TimelineEvent).order_by(TimelineEvent.id)).all()
        assert [row.source_id for row in rows] == [f"C1:{number}" for number in range(total + 5)]
        for number, row in enumerate(rows):
            assert row.incident_id == incident.id and row.position == 0
            assert row.import_id is None  # inserted outside a file import (a webhook delivery): no import record
            assert row.at == row.sort_at == START + timedelta(seconds=number, microseconds=number)
            assert row.text == f"message {number} ü" and row.kind == "message" and row.source == "slack"
            assert row.actor == (f"Person {number % 3}" if number % 2 else None)
            assert row.parent_source_id == (f"C1:{number - 1}" if number % 5 == 0 else None)
