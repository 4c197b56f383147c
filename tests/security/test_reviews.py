"""Row 6 of issue #14, against a live server: a review cannot be rubber-stamped. An author cannot name themself
reviewer nor approve their own post-mortem (even when also a reviewer); an editor who is not a reviewer cannot send
it back (403 from the API, a plain sentence on the page); a reviewer who is no account is refused (422); an empty
draft cannot be approved (409); the proper reviewer (or an admin, marked as such) approves."""

from __future__ import annotations

import itertools
import re
from html import unescape

import httpx

from tests.security.conftest import LiveServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_names = itertools.count(1)


def people(live: LiveServer, *roles: str) -> list[str]:
    """Fresh accounts on the module's server (one per role given), with their API tokens in live.tokens."""
    number = next(_names)
    names = [f"rv{number}-{index}" for index in range(len(roles))]
    for name, role in zip(names, roles, strict=True):
        live.add_user(name, role=role)
    return names


def api(live: LiveServer, name: str) -> httpx.Client:
    """An API client acting as one account."""
    return live.client(live.tokens[name])


def new_incident(live: LiveServer, author: str, *, summary: str | None = "Checkout failed for 23 minutes.") -> str:
    """An incident recorded through the API (its recorder becomes its author), with a summary unless told not."""
    with api(live, author) as client:
        created = client.post("/api/v1/incidents", json={"title": "Checkout 502s", "severity": "SEV3"})
        assert created.status_code == 201, created.text
        incident = str(created.json()["id"])
        if summary is not None:
            written = client.put(f"/api/v1/incidents/{incident}/postmortem/sections/summary", json={"text": summary})
            assert written.status_code == 200, written.text
    return incident


def review(live: LiveServer, name: str, incident: str, step: str, **body: object) -> httpx.Response:
    """One review step through the API as `name`."""
    with api(live, name) as client:
        return client.post(f"/api/v1/incidents/{incident}/review/{step}", json=body)


def state(live: LiveServer, name: str, incident: str) -> dict[str, object]:
    with api(live, name) as client:
        answer = client.get(f"/api/v1/incidents/{incident}/review")
        assert answer.status_code == 200
        return dict(answer.json())


def post_page_form(browser: httpx.Client, page: str, action: str, data: dict[str, str]) -> str:
    """Post a form as a signed-in browser does (with the CSRF token of the page) and return the visible text of the
    page the redirect leads to."""
    found = _CSRF.search(browser.get(page).text)
    assert found, f"no CSRF token on {page}"
    answer = browser.post(action, data={"csrf_token": found[1], **data})
    assert answer.status_code == 303, answer.text[:300]
    landed = browser.get(answer.headers["location"])
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", landed.text)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_an_author_cannot_name_themself_reviewer(live: LiveServer):
    (author,) = people(live, "editor")
    incident = new_incident(live, author)
    refused = review(live, author, incident, "request", reviewers=[author.upper()])
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["field"] == "reviewer"
    assert refused.json()["detail"] == (
        f"{author} is an author of {incident}: an author cannot review their own post-mortem, name someone else"
    )
    after = state(live, author, incident)
    assert (after["status"], after["reviewers"], after["history"]) == ("draft", [], [])


def test_an_author_who_is_also_a_reviewer_cannot_approve(live: LiveServer):
    author, reviewer = people(live, "editor", "editor")
    incident = new_incident(live, author)
    assert review(live, author, incident, "request", reviewers=[reviewer]).status_code == 200
    # The reviewer tries to make themself a co-author on the post-mortem page (or the author to step out of the
    # authors and be named reviewer): the authors of a post-mortem under review do not change.
    browser = live.sign_in(reviewer)
    page = f"/incidents/{incident}/postmortem"
    token = _CSRF.search(browser.get(page).text)
    assert token
    changed = browser.post(f"{page}/authors", data={"csrf_token": token[1], "authors": f"{author}, {reviewer}"})
    assert changed.status_code == 409, changed.text[:300]
    assert "its authors cannot change until it is sent back to draft" in unescape(changed.text)
    own = review(live, author, incident, "approve")
    assert own.status_code == 403 and own.headers["content-type"] == "application/problem+json"
    assert own.json()["detail"] == "an author cannot approve their own post-mortem: ask a reviewer"
    after = state(live, author, incident)
    assert after["status"] == "in-review" and after["approvals"] == [] and after["authors"] == [author]


def test_an_editor_who_is_not_a_reviewer_cannot_send_it_back(live: LiveServer):
    author, reviewer, other = people(live, "editor", "editor", "editor")
    incident = new_incident(live, author)
    assert review(live, author, incident, "request", reviewers=[reviewer]).status_code == 200
    sentence = f"{other} is not a reviewer of {incident}: only its reviewers ({reviewer}) or an admin can send it back"
    back = review(live, other, incident, "reject", comment="Not blameless enough")
    assert back.status_code == 403 and back.headers["content-type"] == "application/problem+json"
    assert back.json()["detail"] == sentence
    browser = live.sign_in(other)
    page = f"/incidents/{incident}/review"
    shown = post_page_form(browser, page, f"{page}/reject", {"comment": "Not blameless enough"})
    assert sentence[1:] + "." in shown  # the flash starts with a capital letter
    assert "Sent back to draft" not in shown
    after = state(live, author, incident)
    assert after["status"] == "in-review"
    assert [step["action"] for step in after["history"]] == ["request"]  # type: ignore[union-attr, index]


def test_a_reviewer_who_is_not_an_account_is_refused(live: LiveServer):
    author, reviewer = people(live, "editor", "editor")
    incident = new_incident(live, author)
    refused = review(live, author, incident, "request", reviewers=[reviewer, "bob"])
    assert refused.status_code == 422 and refused.json()["field"] == "reviewer"
    assert refused.json()["detail"] == (
        "no account named 'bob': reviewers are users of afteraction (add one with `afteraction user create`)"
    )
    after = state(live, author, incident)
    assert (after["status"], after["reviewers"]) == ("draft", [])


def test_an_empty_draft_cannot_be_approved(live: LiveServer):
    author, reviewer = people(live, "editor", "editor")
    incident = new_incident(live, author, summary=None)
    assert review(live, author, incident, "request", reviewers=[reviewer]).status_code == 200
    empty = review(live, reviewer, incident, "approve")
    assert empty.status_code == 409 and empty.headers["content-type"] == "application/problem+json"
    assert empty.json()["detail"] == (
        f"{incident} is an empty draft: write a summary, a timeline or an action item before it can be approved"
    )
    assert state(live, author, incident)["approvals"] == []


def test_the_named_reviewer_approves_and_an_admins_approval_is_marked(live: LiveServer):
    author, reviewer, admin = people(live, "editor", "editor", "admin")
    incident = new_incident(live, author)
    assert review(live, author, incident, "request", reviewers=[reviewer.upper()]).json()["reviewers"] == [reviewer]
    approved = review(live, reviewer, incident, "approve", comment="Clear and blameless")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["approvals"] == [reviewer]
    assert approved.json()["history"][-1]["action"] == "approve"
    second = new_incident(live, author)
    review(live, author, second, "request", reviewers=[reviewer])
    by_admin = review(live, admin, second, "approve", comment="The reviewer is away")
    assert by_admin.status_code == 200 and by_admin.json()["status"] == "approved"
    assert (by_admin.json()["history"][-1]["action"], by_admin.json()["history"][-1]["actor"]) == (
        "admin-approve",
        admin,
    )
