"""The review page refuses a rubber stamp with a plain sentence: a reviewer who is no account or is the author, an
author approving, an editor who is not a reviewer sending it back, an empty draft; an admin's approval is marked."""

from __future__ import annotations

import re

from afteraction.core.actor import Actor
from afteraction.incidents.members import add_member
from tests.web.pages.conftest import Site, forms_of, new_incident, text_of
from tests.web.pages.test_review_board import ready_incident

SYSTEM = Actor.system()


def test_a_reviewer_must_be_an_account_and_not_the_author(site: Site):
    incident = ready_incident(site)
    author = site.browser("editor")
    author.get(f"/incidents/{incident}/review")
    nobody = author.post(f"/incidents/{incident}/review/request", {"reviewer": ["reviewer", "bob"]})
    assert "No account named 'bob': reviewers are users of afteraction." in text_of(nobody)
    herself = author.post(f"/incidents/{incident}/review/request", {"reviewer": "EDITOR"})
    assert f"Editor is an author of {incident}: an author cannot review their own post-mortem" in text_of(herself)
    a_viewer = author.post(f"/incidents/{incident}/review/request", {"reviewer": "viewer"})
    assert "Viewer is a viewer: a reviewer needs an editor or admin account to approve" in text_of(a_viewer)
    page = text_of(author.get(f"/incidents/{incident}/review"))
    assert "Reviewers none yet" in page and "No review steps yet." in page


def test_the_author_and_an_editor_who_is_not_a_reviewer_are_refused_with_a_sentence(site: Site):
    incident = ready_incident(site)
    author, other = site.browser("editor"), site.browser("outsider")
    author.get(f"/incidents/{incident}/review")
    author.post(f"/incidents/{incident}/review/request", {"reviewer": "reviewer"})
    own = author.post(f"/incidents/{incident}/review/approve", {"comment": "LGTM"})
    assert "An author cannot approve their own post-mortem: ask a reviewer." in text_of(own)
    seen = other.get(f"/incidents/{incident}/review")
    assert f"/incidents/{incident}/review/reject" not in forms_of(seen)
    assert "Only the reviewers named above (or an admin) can approve or send it back." in text_of(seen)
    back = other.post(f"/incidents/{incident}/review/reject", {"comment": "Not good enough"})
    assert (
        f"Outsider is not a reviewer of {incident}: only its reviewers (reviewer) or an admin can send it back."
        in text_of(back)
    )
    sneaked = other.post(f"/incidents/{incident}/review/approve", {})
    assert f"is not a reviewer of {incident}: only its reviewers (reviewer) or an admin can approve it." in (
        text_of(sneaked)
    )
    assert 'aria-current="step">in-review' in sneaked.text
    assert re.findall(r'<td data-label="Step">([\w-]+)</td>', sneaked.text) == ["request"]


def test_an_admin_who_is_not_a_reviewer_approves_and_the_history_says_so(site: Site):
    incident = ready_incident(site)
    site.browser("editor").get(f"/incidents/{incident}/review")
    site.browser("editor").post(f"/incidents/{incident}/review/request", {"reviewer": "reviewer"})
    admin = site.browser("admin")
    page = admin.get(f"/incidents/{incident}/review")
    assert "Approve as admin" in text_of(page) and "recorded as an admin's, and it counts" in text_of(page)
    approved = admin.post(f"/incidents/{incident}/review/approve", {"comment": "Reviewer is away"})
    assert "Approved as an admin. The post-mortem is approved." in text_of(approved)
    steps = re.findall(r'<td data-label="Who">([^<]+)</td><td data-label="Step">([\w-]+)</td>', approved.text)
    assert steps == [("admin", "admin-approve"), ("editor", "request")]


def test_an_empty_draft_cannot_be_approved_on_the_page(site: Site):
    incident = new_incident(site)
    add_member(site.db, actor=SYSTEM, incident_id=incident, user="reviewer")
    site.browser("editor").get(f"/incidents/{incident}/review")
    site.browser("editor").post(f"/incidents/{incident}/review/request", {"reviewer": "reviewer"})
    reviewer = site.browser("reviewer")
    reviewer.get(f"/incidents/{incident}/review")
    refused = reviewer.post(f"/incidents/{incident}/review/approve", {})
    assert (
        f"{incident} is an empty draft: write a summary, a timeline or an action item before it can be approved."
        in text_of(refused)
    )
    assert "Approvals 0 of 1 needed" in text_of(refused)
