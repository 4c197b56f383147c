"""One directory of people: a name, e-mail or handle finds one person (or is refused naming the candidates), merging
moves everything that pointed at a person, and every foreign key to people is known to the merge."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, select

import afteraction.models as models
from afteraction.accounts import service as accounts
from afteraction.actions.models import ActionItem
from afteraction.core.errors import Conflict, InvalidInput
from afteraction.domain.actions import ActionItemData
from afteraction.people import service
from afteraction.people.models import Person
from afteraction.people.service import PERSON_REFERENCES, PersonChanges, find_person
from afteraction.reviews.models import PostmortemPerson
from tests.factories import make_document


def test_a_name_email_or_handle_finds_one_person_and_several_are_refused(db):
    accounts.create_user(db, name="rgomez", email="rita@corp.example", role="editor", password="correct horse")
    service.add_person(db, name="Rita Gomez", changes=PersonChanges(email="rita.g@example.com", github_login="ritag"))
    service.add_person(db, name="Rita Smith")
    with db.transaction() as session:
        gomez = find_person(session, "Rita Gomez", add=False).person
        assert find_person(session, "rita gomez", add=False).person is gomez
        assert find_person(session, "RITA.G@example.com", add=False).person is gomez
        assert find_person(session, "@ritag", add=False).person is gomez
        assert find_person(session, "gomez", add=False).person is gomez  # a word of one name
        with pytest.raises(InvalidInput, match="'rita' matches several people: Rita Gomez, Rita Smith"):
            find_person(session, "rita", add=False)
        with pytest.raises(InvalidInput, match=r"'nobody@example\.com' matches nobody in the directory"):
            find_person(session, "nobody@example.com", add=True)  # an e-mail alone never becomes a name
        added = find_person(session, "  Bo   Chen ", add=True)
        assert (added.added, added.person.name) == (True, "Bo Chen")
    # the account's person was made when it was first needed, named as the account
    with db.transaction() as session:
        assert find_person(session, "rgomez", add=True).person.name == "rgomez"


def test_names_are_unique_without_regard_to_case(db):
    service.add_person(db, name="Ann Lee")
    with pytest.raises(Conflict, match="'Ann Lee' is already in the directory"):
        service.add_person(db, name="ann lee")
    service.add_person(db, name="Ann Leigh")
    with pytest.raises(Conflict, match="someone is already named 'Ann Lee': merge the two instead"):
        service.change_person(db, who="Ann Leigh", changes=PersonChanges(name="ANN LEE"))


def test_merging_moves_items_and_roles_and_keeps_contacts(db, store):
    doc = make_document(actions=[ActionItemData(title="Add an alert", owner="Bo", due=date(2030, 1, 1))])
    doc.authors = ["Bo", "Bo Chen"]
    store(doc)
    service.change_person(db, who="Bo", changes=PersonChanges(email="bo@example.com", slack_id="U0BO"))
    merged = service.merge_people(db, keep="Bo Chen", others=["Bo"])
    assert (merged.name, merged.email, merged.slack_id) == ("Bo Chen", "bo@example.com", "U0BO")
    with db.transaction() as session:
        assert [p.name for p in session.scalars(select(Person).order_by(Person.name))] == ["Bo Chen"]
        owner = session.scalars(select(ActionItem)).one().owner
        assert owner is not None and owner.name == "Bo Chen"
        roles = session.scalars(select(PostmortemPerson).where(PostmortemPerson.role == "author")).all()
        assert len(roles) == 1  # the two author rows became one, not a duplicate
    with pytest.raises(InvalidInput, match="name at least one other person"):
        service.merge_people(db, keep="Bo Chen", others=["bo chen"])


def test_every_reference_to_a_person_is_moved_by_a_merge():
    found = {
        (table.name, column.name)
        for table in models.metadata.tables.values()
        for column in table.columns
        for key in column.foreign_keys
        if key.target_fullname == "people.id"
    }
    assert found == {(name, column) for name, column, _ in PERSON_REFERENCES}
    assert inspect(Person).columns["user_id"].foreign_keys
