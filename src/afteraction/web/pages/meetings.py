"""The team's review meeting in the browser: start one, go through post-mortems to review and items due or overdue
per owner, mark them discussed, change an item's status or due date, record decisions, then send the minutes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, Response

from afteraction.core.db import utcnow
from afteraction.core.errors import AfteractionError, InvalidInput
from afteraction.domain.actions import ACTION_STATUSES
from afteraction.meetings import service as meetings
from afteraction.usecases import meeting as meeting_usecase
from afteraction.usecases.incidents import directory
from afteraction.web.deps import Editor, Viewer
from afteraction.web.pages.forms import words
from afteraction.web.pages.rendering import redirect, render
from afteraction.web.pages.session import PageDb

router = APIRouter()

Short = Annotated[str | None, Form(max_length=300)]


def _day(value: str | None, field: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field}: '{value}' is not a date (YYYY-MM-DD)", field=field) from None


@router.get("/meetings")
def meetings_page(request: Request, user: Viewer, db: PageDb) -> Response:
    """Past meetings and a form to start one."""
    return render(request, "meetings.html", meetings=meetings.list_meetings(db, actor=user), today=utcnow().date(),
                  can_edit=user.can("editor"), people_names=[p.name for p in directory(db, actor=user)])  # fmt: skip


@router.post("/meetings")
def start(
    request: Request, user: Editor, db: PageDb, title: Annotated[str, Form(max_length=300)],
    held_on: Short = None, team: Short = None, attendees: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:  # fmt: skip
    """Start a meeting."""
    try:
        found = meetings.start_meeting(db, title=title, held_on=_day(held_on, "held_on") or utcnow().date(),
                                       team=team, attendees=words(attendees), actor=user)  # fmt: skip
    except AfteractionError as exc:
        return redirect(request, "/meetings", error=exc.message)
    return redirect(request, f"/meetings/{found.id}", ok=f"Started '{found.title}'.")


@router.get("/meetings/{meeting_id}")
def meeting_page(request: Request, meeting_id: int, user: Viewer, db: PageDb) -> Response:
    """The meeting: what to go through, what it did so far, and the last meeting's decisions."""
    board = meeting_usecase.meeting_board(db, meeting_id=meeting_id, actor=user)
    return render(request, "meeting.html", board=board, statuses=ACTION_STATUSES, can_edit=user.can("editor"))


def _act(request: Request, meeting_id: int, ok: str, do: Callable[[], object]) -> Response:
    """Do one thing of the meeting, then back to its page with what happened or the one-line error."""
    back = f"/meetings/{meeting_id}"
    try:
        done = do()
    except AfteractionError as exc:
        return redirect(request, back, error=exc.message)
    return redirect(request, back, ok=ok.replace("{done}", str(done)))


@router.post("/meetings/{meeting_id}/discussed")
def discussed(
    request: Request, meeting_id: int, user: Editor, db: PageDb, target: Annotated[str, Form(max_length=40)]
) -> Response:
    """Mark an item or a post-mortem discussed."""

    def do() -> object:
        return meeting_usecase.mark_discussed(db, meeting_id=meeting_id, target=target, actor=user)

    return _act(request, meeting_id, f"Marked {target} discussed.", do)


@router.post("/meetings/{meeting_id}/items/{action_id}")
def change(
    request: Request, meeting_id: int, action_id: str, user: Editor, db: PageDb,
    status: Short = None, due: Short = None, reason: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:  # fmt: skip
    """Change an item's status or due date."""

    def do() -> object:
        return meeting_usecase.change_item(
            db, meeting_id=meeting_id, action_id=action_id, actor=user,
            status=status or None, due=_day(due, "due"), reason=reason or None,
        )  # fmt: skip

    return _act(request, meeting_id, f"Changed {action_id}.", do)


@router.post("/meetings/{meeting_id}/decisions")
def decide(
    request: Request, meeting_id: int, user: Editor, db: PageDb,
    text: Annotated[str, Form(max_length=5000)], incident_id: Annotated[str | None, Form(max_length=40)] = None,
) -> Response:  # fmt: skip
    """Record a decision."""

    def do() -> object:
        return meeting_usecase.record_decision(
            db, meeting_id=meeting_id, text=text, actor=user, incident_id=incident_id or None
        )

    return _act(request, meeting_id, "Recorded the decision.", do)


@router.post("/meetings/{meeting_id}/minutes")
def send(request: Request, meeting_id: int, user: Editor, db: PageDb) -> Response:
    """End the meeting and send the minutes to the attendees."""

    def do() -> object:
        return meeting_usecase.send_minutes(db, meeting_id=meeting_id, actor=user)

    return _act(request, meeting_id, "The meeting has ended; the minutes go out in {done} message(s).", do)


@router.get("/meetings/{meeting_id}/minutes.md")
def minutes_markdown(meeting_id: int, user: Viewer, db: PageDb) -> Response:
    """The minutes as Markdown."""
    board = meeting_usecase.meeting_board(db, meeting_id=meeting_id, actor=user)
    return PlainTextResponse(
        meeting_usecase.minutes(board),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.md"'},
    )
