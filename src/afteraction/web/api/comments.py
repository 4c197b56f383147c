"""Comments on a post-mortem: list them, comment on a section, why, factor, lesson or action item (or reply), and
resolve or reopen a thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from afteraction.reviews import comments
from afteraction.web.api.common import MAX_ID, RowId, Text
from afteraction.web.deps import CurrentIncident, Db, Editor, Viewer

router = APIRouter(tags=["comments"])


class CommentIn(BaseModel):
    """A comment: what it is on (a section's name, W1.2, F3, AI-7, lesson:2; empty for the whole post-mortem), its
    text (`@name` mentions notify), optionally a passage of the target it quotes, or the comment it replies to."""

    model_config = ConfigDict(extra="forbid")

    on: Annotated[Text, Field(max_length=comments.TARGET_MAX)] | None = None
    text: Annotated[Text, Field(min_length=1, max_length=comments.COMMENT_MAX)]
    quote: Annotated[Text, Field(max_length=comments.QUOTE_MAX)] | None = None
    parent_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


@router.get("/incidents/{incident_id}/comments", response_model=list[comments.CommentView])
def list_comments(
    incident: CurrentIncident,
    user: Viewer,
    db: Db,
    open_only: Annotated[bool, Query(alias="open", description="Only the threads not resolved.")] = False,
) -> list[comments.CommentView]:
    """The comments of the post-mortem, oldest first, each with its replies."""
    return comments.list_comments(db, incident_id=incident.id, actor=user, open_only=open_only)


@router.post(
    "/incidents/{incident_id}/comments", response_model=comments.CommentView, status_code=status.HTTP_201_CREATED
)
def add_comment(body: CommentIn, incident: CurrentIncident, user: Editor, db: Db) -> comments.CommentView:
    """Comment on a part of the post-mortem, or reply to a comment (`parent_id`). 422 (field `on`) naming what exists
    for a target that does not; (field `quote`) for a quote that is not in the target; (field `text`) for an
    `@name` that matches several people."""
    return comments.add_comment(
        db,
        incident_id=incident.id,
        actor=user,
        text=body.text,
        on=body.on,
        quote=body.quote,
        parent_id=body.parent_id,
    )


@router.post("/incidents/{incident_id}/comments/{comment_id}/resolve", response_model=comments.CommentView)
def resolve(comment_id: RowId, incident: CurrentIncident, user: Editor, db: Db) -> comments.CommentView:
    """Resolve a thread: its author or an author of the post-mortem may (403 for anyone else); 409 if resolved."""
    return comments.resolve_comment(db, comment_id=comment_id, actor=user, incident_id=incident.id)


@router.post("/incidents/{incident_id}/comments/{comment_id}/reopen", response_model=comments.CommentView)
def reopen(comment_id: RowId, incident: CurrentIncident, user: Editor, db: Db) -> comments.CommentView:
    """Reopen a resolved thread (the same people who may resolve it); 409 if it is open."""
    return comments.reopen_comment(db, comment_id=comment_id, actor=user, incident_id=incident.id)
