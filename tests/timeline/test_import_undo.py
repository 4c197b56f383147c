"""An import can be listed and undone: exactly its events go, with the key moments derived from them, in one
transaction; events can be deleted in bulk by filter, with a count first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import Conflict, InvalidInput, NotFound
from afteraction.domain.incidents import NewIncident
from afteraction.incidents.models import Incident
from afteraction.timeline.imports import EventFilter, delete_events, list_imports, undo_import
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.service import import_timeline
from afteraction.usecases.incidents import create_incident
from tests.timeline.archives import DAY, message, slack_zip

SYSTEM = Actor.system("ana")
FIRED = datetime(2026, 3, 14, 10, 4, 40, tzinfo=UTC)
ALERT = {
    "version": "4", "status": "firing", "receiver": "afteraction", "groupKey": '{}:{alertname="Errors"}',
    "alerts": [{"status": "firing", "labels": {"alertname": "Errors", "service": "checkout"},
                "annotations": {"summary": "5xx above 5%"}, "startsAt": "2026-03-14T10:04:40Z",
                "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "c8d9e0f1"}],
}  # fmt: skip


def _incident(db: Database, title: str = "Checkout down") -> str:
    new = NewIncident(title=title, severity="SEV1")
    return create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id


def _two_imports(db: Database, incident: str, tmp_path: Path) -> tuple[int, int]:
    """An Alertmanager import (its alert derives the detection) and a Slack import of two messages after it."""
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps(ALERT))
    first = import_timeline(db, incident_id=incident, path=alerts, actor=SYSTEM)
    chat = slack_zip(tmp_path / "chat.zip", {DAY: [message("1773483000.000100", "rolling back"),
                                                   message("1773483060.000100", "back to normal")]})  # fmt: skip
    second = import_timeline(db, incident_id=incident, path=chat, actor=SYSTEM)
    assert (first.added, second.added) == (1, 2)
    return first.import_id, second.import_id


def _sources(db: Database) -> list[str]:
    with db.transaction() as session:
        return sorted(session.scalars(select(TimelineEvent.source)))


def _detected(db: Database, incident: str) -> datetime | None:
    with db.transaction() as session:
        row = session.scalars(select(Incident).where(Incident.number == int(incident.split("-")[1]))).one()
        return row.effective_detected_at


def test_undo_removes_exactly_one_of_two_imports_and_the_moments_derived_from_it(db, tmp_path):
    incident = _incident(db)
    alerts, chat = _two_imports(db, incident, tmp_path)
    assert _detected(db, incident) == FIRED
    listed = list_imports(db, incident_id=incident, actor=SYSTEM)
    assert [(i.id, i.format, i.file_name, i.state, i.added) for i in listed] == [
        (chat, "slack", "chat.zip", "done", 2), (alerts, "alertmanager", "alerts.json", "done", 1),
    ]  # fmt: skip
    undone = undo_import(db, incident_id=incident, import_id=alerts, actor=SYSTEM)
    assert (undone.incident_id, undone.import_id, undone.removed) == (incident, alerts, 1)
    assert _sources(db) == ["slack", "slack"] and _detected(db, incident) is None
    assert [i.state for i in list_imports(db, incident_id=incident, actor=SYSTEM)] == ["done", "undone"]
    with pytest.raises(Conflict, match=f"import {alerts} of {incident} is already undone"):
        undo_import(db, incident_id=incident, import_id=alerts, actor=SYSTEM)


def test_an_import_of_another_incident_or_none_is_not_found(db, tmp_path):
    incident, other = _incident(db), _incident(db, "Other")
    alerts, _ = _two_imports(db, incident, tmp_path)
    with pytest.raises(NotFound, match=f"no import {alerts} of {other}"):
        undo_import(db, incident_id=other, import_id=alerts, actor=SYSTEM)
    with pytest.raises(NotFound):
        undo_import(db, incident_id=incident, import_id=9999, actor=SYSTEM)
    assert len(_sources(db)) == 3


def test_bulk_delete_by_source_counts_first_then_deletes_and_refreshes_the_moments(db, tmp_path):
    incident = _incident(db)
    _two_imports(db, incident, tmp_path)
    alertmanager = EventFilter(source="alertmanager")
    assert delete_events(db, incident_id=incident, where=alertmanager, dry_run=True, actor=SYSTEM) == 1
    assert len(_sources(db)) == 3
    assert delete_events(db, incident_id=incident, where=alertmanager, actor=SYSTEM) == 1
    assert _sources(db) == ["slack", "slack"] and _detected(db, incident) is None
    late = EventFilter(since=datetime(2026, 3, 14, 10, 10, 30, tzinfo=UTC))
    assert delete_events(db, incident_id=incident, where=late, actor=SYSTEM) == 1
    with pytest.raises(InvalidInput) as refused:
        delete_events(db, incident_id=incident, where=EventFilter(), actor=SYSTEM)
    assert refused.value.field == "filter" and "at least one filter" in refused.value.message
