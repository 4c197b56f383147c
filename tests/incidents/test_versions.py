"""Versions that cover everything, in the service: a label change moves the version, a stale one is a Conflict with
the current version, an unchanged one moves nothing; numbers follow each other; people are upserted."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from afteraction.core.actor import Actor
from afteraction.core.errors import Conflict
from afteraction.domain.incidents import IncidentChanges, NewIncident
from afteraction.incidents.service import labels_of, load_incident
from afteraction.people.models import Person
from afteraction.people.service import get_or_create_person
from afteraction.usecases.incidents import create_incident, update_incident

SYSTEM = Actor.system()
SEVERITIES = ["SEV1", "SEV2"]


def _new(db, title: str = "Checkout 502s") -> str:
    new = NewIncident(title=title, severity="SEV2", services=["checkout"])
    return create_incident(db, actor=SYSTEM, new=new, allowed_severities=SEVERITIES).id


def _change(db, incident: str, **fields) -> int:
    changes = IncidentChanges(**fields)
    found = update_incident(db, actor=SYSTEM, incident_id=incident, changes=changes, allowed_severities=SEVERITIES)
    return found.version


def test_each_kind_of_label_change_moves_the_version(db):
    incident = _new(db)
    assert _change(db, incident, services=["checkout", "payments"]) == 2
    assert _change(db, incident, teams=["core"]) == 3
    assert _change(db, incident, tags=["dns"]) == 4
    assert _change(db, incident, services=["checkout", "payments"], teams=["core"]) == 4  # nothing changed
    assert _change(db, incident, services=["payments", "checkout"]) == 5  # the order is part of the labels


def test_a_label_change_from_a_stale_version_is_a_conflict_with_the_current_version_and_changes_nothing(db):
    incident = _new(db)
    _change(db, incident, services=["a"], expected_version=1)
    with pytest.raises(Conflict) as refused:
        _change(db, incident, services=["b"], tags=["late"], expected_version=1)
    assert refused.value.current_version == 2
    with db.transaction() as session:
        row = load_incident(session, incident, SYSTEM)
        assert labels_of(row, "service") == ["a"] and labels_of(row, "tag") == [] and row.version == 2


def test_incident_numbers_follow_each_other(db):
    assert [_new(db, f"Incident {i}") for i in range(5)] == [f"INC-{n}" for n in range(1, 6)]


def test_a_person_named_twice_is_one_row(db):
    with db.transaction() as session:
        first = get_or_create_person(session, "  Ada Lovelace ")
        again = get_or_create_person(session, "Ada Lovelace")
        assert first is again
    with db.transaction() as session:
        assert get_or_create_person(session, "Ada Lovelace").id == first.id
        assert session.scalar(select(func.count()).select_from(Person)) == 1
