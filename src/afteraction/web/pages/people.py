"""The directory of people: everyone, found by a part of their name; editors add and change people; everyone
chooses the channels they are notified on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from afteraction.core.errors import AfteractionError
from afteraction.people import service
from afteraction.people.service import PersonChanges
from afteraction.usecases.incidents import directory
from afteraction.web.deps import Editor, Viewer
from afteraction.web.pages.rendering import redirect, render
from afteraction.web.pages.session import PageDb

router = APIRouter()

Field = Annotated[str | None, Form(max_length=320)]


@router.get("/people")
def people_page(
    request: Request, user: Viewer, db: PageDb, q: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    """Everyone in the directory, with how to reach them."""
    return render(request, "people.html", people=directory(db, query=q, actor=user), query=q or "",
                  can_edit=user.can("editor"))  # fmt: skip


@router.post("/people")
def add_person(
    request: Request, user: Editor, db: PageDb, name: Annotated[str, Form(max_length=200)],
    email: Field = None, team: Field = None, slack_id: Field = None, github_login: Field = None,
) -> Response:  # fmt: skip
    """Add a person."""
    changes = PersonChanges(email=email or None, team=team or None, slack_id=slack_id or None,
                            github_login=github_login or None)  # fmt: skip
    try:
        person = service.add_person(db, name=name, changes=changes)
    except AfteractionError as exc:
        return redirect(request, "/people", error=exc.message)
    return redirect(request, "/people", ok=f"Added {person.name} to the directory.")


@router.post("/people/{person_id}")
def change_person(
    request: Request, person_id: int, user: Editor, db: PageDb,
    name: Field = None, email: Field = None, team: Field = None, slack_id: Field = None, github_login: Field = None,
    notify_email: Annotated[bool, Form()] = False, notify_slack: Annotated[bool, Form()] = False,
) -> Response:  # fmt: skip
    """Change a person (editors)."""
    changes = PersonChanges(name=name, email=email, team=team, slack_id=slack_id, github_login=github_login,
                            notify_email=notify_email, notify_slack=notify_slack)  # fmt: skip
    return _change(request, db, person_id, changes)


@router.post("/people/{person_id}/channels")
def choose_channels(
    request: Request, person_id: int, user: Viewer, db: PageDb,
    notify_email: Annotated[bool, Form()] = False, notify_slack: Annotated[bool, Form()] = False,
) -> Response:  # fmt: skip
    """Choose the channels one is notified on (anyone, on their own row; editors on anyone's)."""
    own = service.person_of_account_name(db, user.name)
    if not user.can("editor") and (own is None or own != person_id):
        return redirect(request, "/people", error="only editors change other people")
    return _change(request, db, person_id, PersonChanges(notify_email=notify_email, notify_slack=notify_slack))


def _change(request: Request, db: PageDb, person_id: int, changes: PersonChanges) -> Response:
    try:
        person = service.change_person(db, who=person_id, changes=changes)
    except AfteractionError as exc:
        return redirect(request, "/people", error=exc.message)
    return redirect(request, f"/people#p{person.id}", ok=f"Saved {person.name}.")
