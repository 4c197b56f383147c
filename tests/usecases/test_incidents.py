"""Recording and changing an incident: the rules and side effects live in the service, so every face gets them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afteraction.accounts.models import User
from afteraction.accounts.service import create_user
from afteraction.core.actor import Actor
from afteraction.core.errors import Conflict, InvalidInput
from afteraction.domain.incidents import IncidentChanges, NewIncident
from afteraction.incidents.members import list_members
from afteraction.reviews.document import load_document
from afteraction.usecases.incidents import create_incident, get_incident, update_incident

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
SYSTEM = Actor.system()


def _user(db, name: str, role: str = "editor") -> Actor:
    create_user(db, name=name, email=f"{name}@example.com", role=role, password="correct horse battery")
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.name == name))
    return Actor(user_id=user_id, name=name, role=role)


def test_a_signed_in_creator_becomes_member_and_author_the_system_neither(db):
    ana = _user(db, "ana")
    mine = create_incident(
        db, actor=ana, new=NewIncident(title="Secret", severity="SEV1", private=True), allowed_severities=SEVERITIES
    )
    assert [u.name for u in list_members(db, incident_id=mine.id, actor=ana)] == ["ana"]
    assert load_document(db, incident_id=mine.id, actor=ana).authors == ["ana"]
    assert get_incident(db, actor=ana, incident_id=mine.id).postmortem_status == "draft"
    cron = create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Batch", severity="SEV3"), allowed_severities=SEVERITIES
    )
    assert load_document(db, incident_id=cron.id, actor=SYSTEM).authors == []
    assert list_members(db, incident_id=cron.id, actor=SYSTEM) == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewIncident(title="No severity"), "severity is required unless the kind is milestone: one of SEV1, SEV2"),
        (NewIncident(title="  ", severity="SEV2"), "title must not be empty"),
        (NewIncident(title="x" * 501, severity="SEV2"), "title is 501 characters long; at most 500"),
        (NewIncident(title="Bad", severity="SEV9"), "invalid severity 'SEV9'"),
        (NewIncident(title="Bad", severity="SEV2", kind="outage"), "invalid kind 'outage'"),
        (NewIncident(title="Long", severity="SEV2", services=["s" * 201]), "a service name is 201 characters long"),
    ],
)
def test_what_no_face_can_record(db, new: NewIncident, message: str):
    with pytest.raises(InvalidInput) as raised:
        create_incident(db, actor=SYSTEM, new=new, allowed_severities=SEVERITIES)
    assert message in raised.value.message
    # Nothing was written: the next incident is still INC-1.
    first = create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Ok", severity="SEV2"), allowed_severities=SEVERITIES
    )
    assert first.id == "INC-1"


def test_a_milestone_needs_no_severity_and_keeps_none(db):
    made = create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Q3 launch", kind="milestone"), allowed_severities=SEVERITIES
    )
    assert (made.kind, made.severity) == ("milestone", None)


def test_a_change_from_an_old_version_is_refused_with_the_current_one(db):
    made = create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Old", severity="SEV2"), allowed_severities=SEVERITIES
    )
    changed = update_incident(
        db, actor=SYSTEM, incident_id=made.id, changes=IncidentChanges(title="New", expected_version=1),
        allowed_severities=SEVERITIES,
    )  # fmt: skip
    assert (changed.title, changed.version) == ("New", 2)
    with pytest.raises(Conflict) as raised:
        update_incident(
            db, actor=SYSTEM, incident_id=made.id, changes=IncidentChanges(title="Late", expected_version=1),
            allowed_severities=SEVERITIES,
        )  # fmt: skip
    assert raised.value.message == "INC-1 was changed meanwhile (version 2, yours 1)"
    assert raised.value.current_version == 2


def test_an_imported_document_meets_the_same_label_rule(db):
    from afteraction.domain.reviews import PostmortemDocument
    from afteraction.usecases.documents import store_document

    doc = PostmortemDocument(title="Imported", severity="SEV2", services=["s" * 201])
    with pytest.raises(InvalidInput) as raised:
        store_document(db, doc=doc, severities=SEVERITIES, actor=SYSTEM)
    assert "a service name is 201 characters long; at most 200" in raised.value.message
    assert store_document(
        db, doc=doc.model_copy(update={"services": ["checkout"]}), severities=SEVERITIES, actor=SYSTEM
    )
