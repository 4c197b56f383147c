"""Comments on a post-mortem in the web app: every thread on one page (open ones first, by what they concern), and
the forms that comment, reply, resolve and reopen, which return to the comment's target in the post-mortem (or to the
page of threads)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from afteraction.core.errors import Conflict, InvalidInput, PermissionDenied
from afteraction.reviews import comments
from afteraction.usecases.incidents import get_incident
from afteraction.web.api.common import RowId
from afteraction.web.deps import Editor, IncidentId, Viewer
from afteraction.web.pages.rendering import redirect, render
from afteraction.web.pages.session import PageDb

router = APIRouter()

Back = Annotated[Literal["postmortem", "comments"], Form()]


def _back(incident_id: str, back: str, anchor: str | None = None) -> str:
    if back == "comments":
        return f"/incidents/{incident_id}/comments"
    return f"/incidents/{incident_id}/postmortem" + (f"#{anchor}" if anchor else "")


def _sentence(message: str) -> str:
    text = message[:1].upper() + message[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


@router.get("/incidents/{incident_id}/comments")
def comments_page(request: Request, incident_id: IncidentId, user: Viewer, db: PageDb) -> Response:
    """Every comment thread of the post-mortem, those with open comments first, each under what it concerns."""
    incident = get_incident(db, incident_id=incident_id, actor=user)
    threads = comments.comment_threads(db, incident_id=incident.id, actor=user)
    return render(
        request,
        "comments.html",
        incident=incident,
        threads=threads,
        open_count=sum(thread.open for thread in threads),
    )


@router.post("/incidents/{incident_id}/comments")
def add_comment(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    text: Annotated[str, Form(max_length=comments.COMMENT_MAX)] = "",
    on: Annotated[str, Form(max_length=comments.TARGET_MAX)] = "",
    quote: Annotated[str, Form(max_length=comments.QUOTE_MAX)] = "",
    parent_id: Annotated[str, Form(max_length=12)] = "",
    back: Back = "postmortem",
) -> Response:
    """Comment on a part of the post-mortem (or reply to a comment), then return to it with a message."""
    incident = get_incident(db, incident_id=incident_id, actor=user)
    try:
        parent = int(parent_id) if parent_id.strip() else None
    except ValueError:
        return redirect(request, _back(incident.id, back), error="That comment to reply to does not exist.")
    try:
        made = comments.add_comment(
            db, incident_id=incident.id, actor=user, text=text, on=on or None, quote=quote or None, parent_id=parent
        )
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        return redirect(request, _back(incident.id, back), error=_sentence(exc.message))
    where = "the whole post-mortem" if made.target_kind == "document" else made.on
    done = f"Replied on {where}." if made.parent_id else f"Comment added on {where}."
    if made.mentions:
        done += f" {', '.join(made.mentions)} will be told."
    return redirect(request, _back(incident.id, back, made.anchor), ok=done)


def _settle(
    request: Request, db: PageDb, user: Editor, incident_id: str, comment_id: int, back: str, verb: str
) -> Response:
    incident = get_incident(db, incident_id=incident_id, actor=user)
    run = comments.resolve_comment if verb == "resolve" else comments.reopen_comment
    try:
        made = run(db, comment_id=comment_id, actor=user, incident_id=incident.id)
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        return redirect(request, _back(incident.id, back), error=_sentence(exc.message))
    done = f"Resolved the comment on {made.on}." if verb == "resolve" else f"Reopened the comment on {made.on}."
    return redirect(request, _back(incident.id, back, made.anchor), ok=done)


@router.post("/incidents/{incident_id}/comments/{comment_id}/resolve")
def resolve(
    request: Request, incident_id: IncidentId, comment_id: RowId, user: Editor, db: PageDb, back: Back = "postmortem"
) -> Response:
    """Resolve a thread (its author or an author of the post-mortem may), then return to it."""
    return _settle(request, db, user, incident_id, comment_id, back, "resolve")


@router.post("/incidents/{incident_id}/comments/{comment_id}/reopen")
def reopen(
    request: Request, incident_id: IncidentId, comment_id: RowId, user: Editor, db: PageDb, back: Back = "postmortem"
) -> Response:
    """Reopen a resolved thread, then return to it."""
    return _settle(request, db, user, incident_id, comment_id, back, "reopen")
