"""The review page in plain words: what blocks publishing (the list the server checks), approvals with who and
when, no command-line command and no Markdown syntax; lint findings in the editor speak of the page's controls."""

from __future__ import annotations

import re

from afteraction.core.actor import Actor
from afteraction.incidents.members import add_member
from afteraction.reviews.sections import get_text_section
from tests.web.pages.conftest import Site, new_incident, text_of
from tests.web.pages.test_review_board import ready_incident

SYSTEM = Actor.system()
NOT_FOR_THE_WEB = re.compile(r"afteraction (?:user|review|import|export|actions|lint|policy)\b|--\w|`|##|\*\*")


def test_the_review_page_lists_the_blockers_in_plain_words_and_publishing_refuses_with_them(site: Site):
    incident = new_incident(site)
    author = site.browser("editor")
    page = author.get(f"/incidents/{incident}/review")
    shown = text_of(page)
    assert "What still blocks publishing" in shown
    assert "It needs 1 approval and has not been sent for review yet." in shown
    assert "The Summary section is empty." in shown and "Nothing blocks publishing" not in shown
    assert f'href="/incidents/{incident}/postmortem#summary">Write it</a>' in page.text
    assert not NOT_FOR_THE_WEB.search(shown)
    refused = text_of(author.post(f"/incidents/{incident}/review/publish", {}))
    assert "Not published yet. It needs 1 approval and has not been sent for review yet." in refused
    assert "The Summary section is empty." in refused and not NOT_FOR_THE_WEB.search(refused)
    nobody = text_of(author.post(f"/incidents/{incident}/review/request", {"reviewer": "bob"}))
    assert "No account named 'bob': reviewers are users of afteraction." in nobody
    assert not NOT_FOR_THE_WEB.search(nobody)


def test_approvals_show_who_and_when_and_the_api_says_the_same_blockers(site: Site):
    incident = ready_incident(site)
    add_member(site.db, actor=SYSTEM, incident_id=incident, user="reviewer")
    author = site.browser("editor")
    author.get(f"/incidents/{incident}/review")
    asked = text_of(author.post(f"/incidents/{incident}/review/request", {"reviewer": "reviewer"}))
    assert "It needs 1 more approval (0 of 1)." in asked
    api = author.client.get(f"/api/v1/incidents/{incident}/review").json()
    assert api["blockers"] == [{"code": "approvals", "text": "It needs 1 more approval (0 of 1).", "where": "review"}]
    refused = author.client.post(
        f"/api/v1/incidents/{incident}/review/publish", json={}, headers={"X-CSRF-Token": author.csrf}
    )
    if refused.status_code == 409:
        assert refused.json()["detail"] == f"cannot publish {incident}: It needs 1 more approval (0 of 1)."
    reviewer = site.browser("reviewer")
    reviewer.get(f"/incidents/{incident}/review")
    approved = text_of(reviewer.post(f"/incidents/{incident}/review/approve", {}))
    assert re.search(r"Approvals 1 of 1 needed reviewer, \d{4}-\d\d-\d\d", approved), approved
    assert "Nothing blocks publishing" in approved and not NOT_FOR_THE_WEB.search(approved)


def test_lint_findings_in_the_editor_name_the_page_controls(site: Site):
    incident = new_incident(site)
    page = text_of(site.browser("editor").get(f"/incidents/{incident}/postmortem"))
    assert "Write the Summary." in page and "Write the Impact." in page
    assert "Set 'Detected' in the incident's key moments (Edit the incident), or mark a timeline event" in page
    assert "Add a '## Summary' section" not in page and "front matter" not in page
    assert "`" not in page and "**" not in page


def _publish(site: Site, incident: str) -> None:
    add_member(site.db, actor=SYSTEM, incident_id=incident, user="reviewer")
    author, reviewer = site.browser("editor"), site.browser("reviewer")
    author.get(f"/incidents/{incident}/review")
    author.post(f"/incidents/{incident}/review/request", {"reviewer": "reviewer"})
    reviewer.get(f"/incidents/{incident}/review")
    reviewer.post(f"/incidents/{incident}/review/approve", {})
    assert "Published." in text_of(author.post(f"/incidents/{incident}/review/publish", {}))


def test_editing_a_published_post_mortem_on_the_page_marks_it_amended(site: Site):
    incident = ready_incident(site)
    _publish(site, incident)
    author = site.browser("editor")
    author.get(f"/incidents/{incident}/postmortem")
    version = get_text_section(site.db, incident_id=incident, name="summary", actor=SYSTEM).version
    author.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {"text": "Checkout failed for 25 minutes.", "version": str(version), "action": "save"},
    )
    page = author.get(f"/incidents/{incident}/review")
    shown = text_of(page)
    assert "Amended after publication on" in shown and "by editor" in shown
    assert 'aria-current="step">published' in page.text  # the default policy leaves it published
    steps = [step for step in page.text.split("<tr>") if 'data-label="Step">amend<' in step]
    assert len(steps) == 1 and "changed Summary" in steps[0]
    author.get(f"/incidents/{incident}/postmortem")
    author.post(
        f"/incidents/{incident}/postmortem/sections/summary",
        {"text": "Checkout failed for 25 minutes.", "version": str(version + 1), "action": "save"},
    )
    again = author.get(f"/incidents/{incident}/review").text
    assert again.count('data-label="Step">amend<') == 1  # saving the same text changes nothing
