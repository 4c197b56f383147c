"""The review of a post-mortem (request from named reviewers, approve or reject with a comment, publish, the
history of states) and its exports (Markdown, HTML, PDF, JSON)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from afteraction.core.errors import Conflict, InvalidInput, PermissionDenied
from afteraction.documents.pdf import Printer
from afteraction.reviews import workflow
from afteraction.usecases import editor
from afteraction.usecases.documents import export_document
from afteraction.usecases.incidents import get_incident
from afteraction.web.api.exports import export_headers
from afteraction.web.deps import AppPolicy, AppSettings, Editor, IncidentId, Viewer
from afteraction.web.pages.rendering import redirect, render
from afteraction.web.pages.session import PageDb

router = APIRouter()

Comment = Annotated[str, Form(max_length=10_000)]
# What the link beside each blocker of publishing says (it goes to the place in the pages that fixes it).
BLOCKER_LINKS = {
    "approvals": "Take a step",
    "section": "Write it",
    "owner": "Name an owner",
    "due-date": "Set a due date",
}
# A service's message as the page says it: hints naming command-line commands or options are dropped or reworded.
_PAGE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s*\([^()]*`[^`]*`[^()]*\)"), ""),
    (re.compile(r"name at least one with --reviewer"), "tick at least one reviewer"),
    (re.compile(r"\s*\(--\w+\)"), ""),
)
EXPORT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}


@router.get("/incidents/{incident_id}/review")
def review_page(request: Request, incident_id: IncidentId, user: Viewer, db: PageDb, policy: AppPolicy) -> Response:
    """Where the post-mortem stands in review, what blocks publishing, and its history."""
    page = editor.review_page(db, incident_id=incident_id, policy=policy, actor=user)
    state = page.state
    taken = {name.lower() for name in (*state.reviewers, *state.authors)}
    is_reviewer = user.name.lower() in {r.lower() for r in state.reviewers}
    return render(
        request,
        "review.html",
        incident=page.incident,
        state=state,
        # Those who could be asked: editors and admins, neither reviewers already nor authors.
        users=[u for u in page.users if u.role in workflow.REVIEWER_ROLES and u.name.lower() not in taken],
        is_reviewer=is_reviewer,
        blocker_links=BLOCKER_LINKS,
        is_author=user.name.lower() in {a.lower() for a in state.authors},
        can_decide=is_reviewer or user.is_admin,
        has_approved=user.name.lower() in {a.lower() for a in state.approvals},
    )


def page_words(message: str) -> str:
    """An error message as a sentence of the page: capitalised, ended, without command-line hints."""
    for pattern, words in _PAGE_WORDS:
        message = pattern.sub(words, message)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _act(request: Request, incident_id: str, step: Literal["request", "approve", "reject", "publish"],
         run: object) -> Response:  # fmt: skip
    back = f"/incidents/{incident_id}/review"
    try:
        state = run() if callable(run) else None
    except workflow.PublishRefused as exc:
        return redirect(request, back, error="Not published yet. " + " ".join(exc.reasons))
    except (Conflict, InvalidInput, PermissionDenied) as exc:
        return redirect(request, back, error=page_words(exc.message))
    assert isinstance(state, workflow.ReviewState)
    done = {
        "request": f"Review requested from {', '.join(state.reviewers)}.",
        "approve": ("Approved as an admin." if state.history[-1].action == workflow.ADMIN_APPROVE else "Approved.")
        + (" The post-mortem is approved." if state.status == "approved" else ""),
        "reject": "Sent back to draft with your comment.",
        "publish": "Published." + (" Every action item is finished, so it is closed." if state.status == "closed"
                                   else ""),
    }[step]  # fmt: skip
    if state.filled_due_dates:
        done += " Due dates from the policy: " + ", ".join(state.filled_due_dates) + "."
    return redirect(request, back, ok=done)


@router.post("/incidents/{incident_id}/review/request")
def request_review(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    policy: AppPolicy,
    reviewer: Annotated[list[str] | None, Form(max_length=100)] = None,
    comment: Comment = "",
) -> Response:
    """Send the draft for review to the reviewers ticked (accounts; added to those it has)."""
    incident = get_incident(db, incident_id=incident_id, actor=user)
    return _act(request, incident.id, "request", lambda: workflow.request_review(
        db, incident_id=incident.id, actor=user, policy=policy, reviewers=reviewer or [],
        comment=comment or None,
    ))  # fmt: skip


@router.post("/incidents/{incident_id}/review/approve")
def approve(
    request: Request, incident_id: IncidentId, user: Editor, db: PageDb, policy: AppPolicy, comment: Comment = ""
) -> Response:
    """Approve as one of the reviewers (or as an admin); an author, anyone else, or an empty draft is refused with a
    sentence on the page."""
    incident = get_incident(db, incident_id=incident_id, actor=user)
    return _act(request, incident.id, "approve", lambda: workflow.approve_review(
        db, incident_id=incident.id, actor=user, policy=policy, comment=comment or None
    ))  # fmt: skip


@router.post("/incidents/{incident_id}/review/reject")
def reject(
    request: Request, incident_id: IncidentId, user: Editor, db: PageDb, policy: AppPolicy, comment: Comment = ""
) -> Response:
    """Send the post-mortem back to draft, saying what must change (a reviewer or an admin)."""
    incident = get_incident(db, incident_id=incident_id, actor=user)
    return _act(request, incident.id, "reject", lambda: workflow.reject_review(
        db, incident_id=incident.id, actor=user, policy=policy, comment=comment
    ))  # fmt: skip


@router.post("/incidents/{incident_id}/review/publish")
def publish(
    request: Request, incident_id: IncidentId, user: Editor, db: PageDb, policy: AppPolicy, comment: Comment = ""
) -> Response:
    """Publish the approved post-mortem; refused, with every reason, while the policy's checks fail."""
    incident = get_incident(db, incident_id=incident_id, actor=user)
    return _act(request, incident.id, "publish", lambda: workflow.publish_review(
        db, incident_id=incident.id, actor=user, policy=policy, comment=comment or None
    ))  # fmt: skip


@router.get("/incidents/{incident_id}/export/{fmt}")
def export(
    incident_id: IncidentId, fmt: Literal["md", "html", "pdf", "json"], user: Viewer, db: PageDb, settings: AppSettings
) -> Response:
    """The post-mortem as a file to download: Markdown, HTML, PDF (printed by Chromium) or JSON."""
    incident = get_incident(db, incident_id=incident_id, actor=user)
    content = export_document(
        db, incident_id=incident.id, fmt=fmt, template_dir=settings.template_dir,
        printer=Printer.from_settings(settings), actor=user,
    )  # fmt: skip
    return Response(content, media_type=EXPORT_TYPES[fmt], headers=export_headers(f"{incident.id}-postmortem.{fmt}"))
