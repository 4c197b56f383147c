"""Action items: list across incidents, list and add on one incident, read and update one (with its version)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from afteraction.actions import service
from afteraction.domain.actions import ActionChanges, ActionItemView
from afteraction.usecases import actions as action_usecases
from afteraction.web.api.common import Label, QueryText, Text, Version
from afteraction.web.deps import (
    AppPolicy,
    CurrentIncident,
    Db,
    Editor,
    IfMatch,
    IncidentId,
    Viewer,
    etag,
    pick_version,
)

router = APIRouter(tags=["action items"])

ActionId = Annotated[str, Path(description="An action item id, e.g. AI-7.", max_length=40)]
Title = Annotated[Text, Field(min_length=1, max_length=2000)]
Choice = Annotated[str, Field(max_length=20)]


class ActionIn(BaseModel):
    """A new action item."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    owner: Label | None = None
    due: date | None = None
    type: Choice | None = None
    priority: Choice | None = None


class ActionPatch(BaseModel):
    """Changes to an action item; wont-do needs a reason."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    status: Choice | None = None
    owner: Label | None = None
    due: date | None = None
    type: Choice | None = None
    priority: Choice | None = None
    reason: Annotated[Text | None, Field(max_length=2000)] = None
    version: Version | None = None


class ActionPage(BaseModel):
    """A page of action items, soonest due first (those without a due date last): follow `next_cursor` (null on the
    last page)."""

    items: list[ActionItemView]
    next_cursor: str | None


PageLimit = Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="Action items per page.")]
PageCursor = Annotated[str | None, Query(max_length=200, description="The next_cursor of the page before.")]


@router.get("/actions", response_model=ActionPage)
def list_actions(
    user: Viewer,
    db: Db,
    incident: Annotated[str | None, Query(max_length=40, description="Only this incident's items.")] = None,
    open_only: Annotated[bool, Query(alias="open", description="Only open and in-progress items.")] = False,
    overdue: Annotated[bool, Query(description="Only open items past their due date.")] = False,
    owner: QueryText = None,
    limit: PageLimit = service.DEFAULT_PAGE,
    cursor: PageCursor = None,
) -> ActionPage:
    """Action items across the incidents the user may see, soonest due first, a page at a time."""
    items, next_cursor = service.page_actions(
        db,
        incident_id=incident,
        open_only=open_only,
        overdue=overdue,
        owner=owner,
        limit=limit,
        cursor=cursor or None,
        actor=user,
    )
    return ActionPage(items=items, next_cursor=next_cursor)


@router.get("/incidents/{incident_id}/actions", response_model=ActionPage)
def incident_actions(
    user: Viewer, incident: CurrentIncident, db: Db, limit: PageLimit = service.DEFAULT_PAGE, cursor: PageCursor = None
) -> ActionPage:
    """The action items of one incident, soonest due first, a page at a time."""
    items, next_cursor = service.page_actions(
        db, incident_id=incident.id, limit=limit, cursor=cursor or None, actor=user
    )
    return ActionPage(items=items, next_cursor=next_cursor)


@router.post("/incidents/{incident_id}/actions", response_model=ActionItemView, status_code=status.HTTP_201_CREATED)
def add_action(
    incident_id: IncidentId, body: ActionIn, user: Editor, db: Db, policy: AppPolicy, response: Response
) -> ActionItemView:
    """Add an action item to the incident's post-mortem; without a due date it gets the policy's for its priority."""
    item = action_usecases.add_action(
        db,
        incident_id=incident_id,
        title=body.title,
        owner=body.owner,
        due=body.due,
        type=body.type,
        priority=body.priority,
        policy=policy,
        actor=user,
    )
    response.headers["Location"] = f"/api/v1/actions/{item.id}"
    response.headers["ETag"] = etag(item.version)
    return item


@router.get("/actions/{action_id}", response_model=ActionItemView)
def get_action(action_id: ActionId, user: Viewer, db: Db, response: Response) -> ActionItemView:
    """One action item, with its version as the ETag."""
    item = service.get_action(db, action_id=action_id, actor=user)
    response.headers["ETag"] = etag(item.version)
    return item


@router.patch("/actions/{action_id}", response_model=ActionItemView)
def update_action(
    action_id: ActionId,
    body: ActionPatch,
    user: Editor,
    db: Db,
    if_match: IfMatch,
    response: Response,
    policy: AppPolicy,
) -> ActionItemView:
    """Change an action item; 409 with the current version when it changed since yours."""
    changes = ActionChanges(
        status=body.status,
        owner=body.owner,
        due=body.due,
        title=body.title,
        type=body.type,
        priority=body.priority,
        reason=body.reason,
        expected_version=pick_version(if_match, body.version),
    )
    item = action_usecases.update_action(db, actor=user, action_id=action_id, changes=changes, policy=policy).item
    response.headers["ETag"] = etag(item.version)
    return item
