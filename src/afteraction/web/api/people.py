"""The directory of people (list, find for type-ahead, add, change, merge) and the signed-in person's inbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from afteraction.people import service
from afteraction.people.service import PersonChanges, PersonView
from afteraction.usecases.inbox import Inbox, inbox
from afteraction.usecases.incidents import directory
from afteraction.web.api.common import Text
from afteraction.web.deps import Admin, Db, Editor, Viewer

router = APIRouter(tags=["people"])

Name = Annotated[Text, Field(min_length=1, max_length=200)]


class NewPerson(PersonChanges):
    """A person to add: a name, and any of their contacts, ids, team and account."""

    model_config = ConfigDict(extra="forbid")

    name: Name


class Merge(BaseModel):
    """Merge `others` into `keep` (each a name, e-mail or handle)."""

    model_config = ConfigDict(extra="forbid")

    keep: Name
    others: Annotated[list[Name], Field(min_length=1, max_length=20)]


@router.get("/people", response_model=list[PersonView])
def list_people(
    user: Viewer,
    db: Db,
    q: Annotated[str | None, Query(max_length=200, description="A part of a name, e-mail or handle.")] = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
) -> list[PersonView]:
    """Everyone in the directory the user may know of, by name (narrowed by `q` for type-ahead, and by `team`):
    people known only from a private incident the user may not see are left out."""
    return directory(db, team=team, query=q, actor=user)


@router.post("/people", response_model=PersonView, status_code=status.HTTP_201_CREATED)
def add_person(body: NewPerson, user: Editor, db: Db) -> PersonView:
    """Add a person (409 when the name is taken, in any case)."""
    return service.add_person(db, name=body.name, changes=PersonChanges(**body.model_dump(exclude={"name"})))


@router.patch("/people/{who}", response_model=PersonView)
def change_person(who: Annotated[str, Field(max_length=320)], body: PersonChanges, user: Editor, db: Db) -> PersonView:
    """Change a person found by name, e-mail or handle (422 naming the candidates when it matches several)."""
    return service.change_person(db, who=who, changes=body)


@router.post("/people/merge", response_model=PersonView)
def merge_people(body: Merge, user: Admin, db: Db) -> PersonView:
    """Merge people into one: their action items, reviews, comments and notifications follow (admins only)."""
    return service.merge_people(db, keep=body.keep, others=body.others)


@router.get("/me/inbox", response_model=Inbox)
def my_inbox(user: Viewer, db: Db) -> Inbox:
    """What waits for the signed-in person: `reviews` awaiting them, their open `actions` (overdue first), and the
    `postmortems_due` they author."""
    return inbox(db, actor=user)
