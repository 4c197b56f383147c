"""The review workflow of a post-mortem: state and history, request review, approve, reject, publish."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from afteraction.reviews import workflow
from afteraction.web.api.common import Label, Text
from afteraction.web.deps import AppPolicy, CurrentIncident, Db, Editor, Viewer

router = APIRouter(tags=["review"])

Comment = Annotated[Text, Field(max_length=10_000)]


class ReviewRequestIn(BaseModel):
    """Who should review (user accounts, editors or admins, not authors), and a note for them."""

    model_config = ConfigDict(extra="forbid")

    reviewers: Annotated[list[Label], Field(max_length=20)] = []
    comment: Comment | None = None


class ReviewNoteIn(BaseModel):
    """A comment on a review step."""

    model_config = ConfigDict(extra="forbid")

    comment: Comment | None = None


class RejectIn(BaseModel):
    """What must change before the post-mortem can pass review."""

    model_config = ConfigDict(extra="forbid")

    comment: Annotated[Text, Field(min_length=1, max_length=10_000)]


@router.get("/incidents/{incident_id}/review", response_model=workflow.ReviewState)
def review_state(incident: CurrentIncident, user: Viewer, db: Db, policy: AppPolicy) -> workflow.ReviewState:
    """Where the post-mortem stands in review: reviewers, approvals, what blocks publishing, and the history."""
    return workflow.review_state(db, incident_id=incident.id, actor=user, policy=policy)


@router.post("/incidents/{incident_id}/review/request", response_model=workflow.ReviewState)
def request_review(
    body: ReviewRequestIn, incident: CurrentIncident, user: Editor, db: Db, policy: AppPolicy
) -> workflow.ReviewState:
    """Send the draft for review to the reviewers named (added to those it has). 422 (field `reviewer`) for a name
    that is not an active editor's or admin's account, or that is an author's."""
    return workflow.request_review(
        db,
        incident_id=incident.id,
        actor=user,
        policy=policy,
        reviewers=body.reviewers,
        comment=body.comment,
    )


@router.post("/incidents/{incident_id}/review/approve", response_model=workflow.ReviewState)
def approve(
    body: ReviewNoteIn, incident: CurrentIncident, user: Editor, db: Db, policy: AppPolicy
) -> workflow.ReviewState:
    """Approve as one of the reviewers, or as an admin (counted, recorded as `admin-approve`). 403 for an author or
    anyone else; 409 for an empty draft (no summary, no timeline, no action item)."""
    return workflow.approve_review(db, incident_id=incident.id, actor=user, policy=policy, comment=body.comment)


@router.post("/incidents/{incident_id}/review/reject", response_model=workflow.ReviewState)
def reject(body: RejectIn, incident: CurrentIncident, user: Editor, db: Db, policy: AppPolicy) -> workflow.ReviewState:
    """Send the post-mortem back to draft, saying what must change: a reviewer or an admin (recorded as
    `admin-reject`); 403 for anyone else."""
    return workflow.reject_review(db, incident_id=incident.id, actor=user, policy=policy, comment=body.comment)


@router.post("/incidents/{incident_id}/review/publish", response_model=workflow.ReviewState)
def publish(
    body: ReviewNoteIn, incident: CurrentIncident, user: Editor, db: Db, policy: AppPolicy
) -> workflow.ReviewState:
    """Publish the approved post-mortem; 409 listing every reason while the policy's checks fail."""
    return workflow.publish_review(db, incident_id=incident.id, actor=user, policy=policy, comment=body.comment)
