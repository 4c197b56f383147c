"""Members of an incident: who may list them (and see their e-mail addresses), who may change them, and that a
refusal says nothing about which accounts exist."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afteraction.accounts.models import User
from afteraction.accounts.service import create_user
from afteraction.core.actor import Actor
from afteraction.core.errors import NotFound, PermissionDenied
from afteraction.domain.incidents import NewIncident
from afteraction.incidents.members import add_member, list_members, remove_member
from afteraction.usecases.incidents import create_incident

SYSTEM = Actor.system()


def _user(db, name: str, role: str) -> Actor:
    create_user(db, name=name, email=f"{name}@example.org", role=role, password="correct horse battery")
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.name == name))
    return Actor(user_id=user_id, name=name, role=role)


@pytest.fixture
def people(db):
    """An incident INC-1 (public) created by the editor `ana` (so a member), and others who are not members."""
    people = {
        "ana": _user(db, "ana", "editor"),
        "ben": _user(db, "ben", "editor"),
        "vic": _user(db, "vic", "viewer"),
        "ada": _user(db, "ada", "admin"),
    }
    leak = NewIncident(title="Leak", severity="SEV1")
    create_incident(db, actor=people["ana"], new=leak, allowed_severities=["SEV1"])
    return people


def test_e_mail_addresses_are_shown_to_admins_only(db, people):
    for name in ("ana", "ben", "vic"):
        listed = list_members(db, incident_id="INC-1", actor=people[name])
        assert [(m.name, m.role, m.email) for m in listed] == [("ana", "editor", None)]
    assert [m.email for m in list_members(db, incident_id="INC-1", actor=people["ada"])] == ["ana@example.org"]
    assert [m.email for m in list_members(db, incident_id="INC-1", actor=SYSTEM)] == ["ana@example.org"]


def test_members_are_changed_by_admins_and_member_editors_only(db, people):
    added = add_member(db, incident_id="INC-1", user="vic", actor=people["ana"])  # a member editor
    assert (added.name, added.email) == ("vic", None)
    assert add_member(db, incident_id="INC-1", user="ben", actor=people["ada"]).email == "ben@example.org"
    remove_member(db, incident_id="INC-1", user="ben", actor=people["ana"])
    for outsider in ("ben", "vic"):  # an editor who is not a member; a viewer who is
        with pytest.raises(PermissionDenied, match="only admins and editors who are members of INC-1"):
            add_member(db, incident_id="INC-1", user="ada", actor=people[outsider])
        with pytest.raises(PermissionDenied):
            remove_member(db, incident_id="INC-1", user="ana", actor=people[outsider])
    assert [m.name for m in list_members(db, incident_id="INC-1", actor=SYSTEM)] == ["ana", "vic"]


def test_a_refusal_is_the_same_whether_the_user_exists_or_not(db, people):
    def refusal(user: str) -> str:
        with pytest.raises(PermissionDenied) as raised:
            add_member(db, incident_id="INC-1", user=user, actor=people["ben"])
        return raised.value.message

    assert refusal("ada") == refusal("nobody-by-that-name")
    # Whoever may manage the members learns that a name is unknown: they need to, to add a colleague.
    with pytest.raises(NotFound, match="no user 'nobody'"):
        add_member(db, incident_id="INC-1", user="nobody", actor=people["ana"])
    with pytest.raises(NotFound, match="'ben' is not a member of INC-1"):
        remove_member(db, incident_id="INC-1", user="ben", actor=people["ada"])


def test_a_member_is_named_in_any_case(db, people):
    _user(db, "Dana.Ross", "editor")
    added = add_member(db, incident_id="INC-1", user="dana.ross", actor=people["ada"])
    assert added.name == "Dana.Ross"
    remove_member(db, incident_id="INC-1", user="DANA.ROSS", actor=people["ada"])
    assert [m.name for m in list_members(db, incident_id="INC-1", actor=people["ada"])] == ["ana"]
