"""The review routes refuse a rubber stamp with a problem: 422 (field `reviewer`) for a reviewer who is no account or
an author, 403 for an author approving or anyone but a reviewer or an admin deciding, 409 for an empty draft."""

from __future__ import annotations

from tests.web.conftest import Api
from tests.web.test_api import new_incident

REVIEW = "/api/v1/incidents/INC-1/review"


def write_summary(api: Api) -> None:
    summary = {"text": "Checkout failed for 23 minutes."}
    assert api.call("editor", "PUT", "/api/v1/incidents/INC-1/postmortem/sections/summary", json=summary).is_success


def test_reviewers_are_accounts_other_than_the_author(api: Api):
    new_incident(api)  # the editor records it, so the editor is its author
    for names, detail in (
        (["outsider", "bob"], "no account named 'bob': reviewers are users of afteraction"),
        (["Editor"], "editor is an author of INC-1: an author cannot review their own post-mortem"),
        (["viewer"], "viewer is a viewer: a reviewer needs an editor or admin account to approve"),
    ):
        refused = api.call("editor", "POST", f"{REVIEW}/request", json={"reviewers": names})
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["field"] == "reviewer" and refused.json()["detail"].startswith(detail)
    state = api.call("viewer", "GET", REVIEW).json()
    assert (state["status"], state["reviewers"], state["history"]) == ("draft", [], [])
    asked = api.call("editor", "POST", f"{REVIEW}/request", json={"reviewers": ["OUTSIDER"]})
    assert asked.status_code == 200 and asked.json()["reviewers"] == ["outsider"]


def test_only_a_reviewer_or_an_admin_decides_and_never_the_author(api: Api):
    new_incident(api)
    write_summary(api)
    api.call("editor", "POST", f"{REVIEW}/request", json={"reviewers": ["outsider"]})
    own = api.call("editor", "POST", f"{REVIEW}/approve", json={})
    assert own.status_code == 403
    assert own.json()["detail"] == "an author cannot approve their own post-mortem: ask a reviewer"
    back = api.call("editor", "POST", f"{REVIEW}/reject", json={"comment": "Not blameless"})
    assert back.status_code == 403
    assert back.json()["detail"] == (
        "editor is not a reviewer of INC-1: only its reviewers (outsider) or an admin can send it back"
    )
    assert api.call("viewer", "POST", f"{REVIEW}/approve", json={}).status_code == 403  # viewers never write
    assert api.call("viewer", "GET", REVIEW).json()["status"] == "in-review"
    by_admin = api.call("admin", "POST", f"{REVIEW}/approve", json={"comment": "Outsider is away"})
    assert by_admin.status_code == 200 and by_admin.json()["status"] == "approved"
    assert by_admin.json()["approvals"] == ["admin"]
    assert [(h["action"], h["actor"]) for h in by_admin.json()["history"]] == [
        ("request", "editor"),
        ("admin-approve", "admin"),
    ]


def test_an_empty_draft_cannot_be_approved(api: Api):
    new_incident(api)
    api.call("editor", "POST", f"{REVIEW}/request", json={"reviewers": ["outsider"]})
    empty = api.call("outsider", "POST", f"{REVIEW}/approve", json={})
    assert empty.status_code == 409
    assert empty.json()["detail"] == (
        "INC-1 is an empty draft: write a summary, a timeline or an action item before it can be approved"
    )
    write_summary(api)
    approved = api.call("outsider", "POST", f"{REVIEW}/approve", json={})
    assert approved.status_code == 200 and approved.json()["history"][-1]["action"] == "approve"
