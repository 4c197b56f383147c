"""Two people review a post-mortem together in real headless Chromium, on each database, with the server sending
notifications by itself as `serve` does: to a local SMTP server (aiosmtpd) and a local Slack Web API.

The author asks for a review; the reviewer finds it on their dashboard, gets the e-mail and the Slack message,
comments on a why; the author replies and resolves; the reviewer approves; the author publishes; a later edit marks it
amended after publication; a review meeting records a decision and sends its minutes to the attendees."""

from __future__ import annotations

import email
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

from afteraction.core.actor import Actor
from afteraction.usecases.documents import store_document
from tests.conftest import free_port
from tests.e2e.conftest import Server, expect, running_server, screenshot, sign_in
from tests.factories import SEVERITIES, make_document
from tests.notifications.channels import BOT_TOKEN, Inbox, SlackApi

REVIEWER_SLACK = "U0REVIEWER"
WHY = "Checkout pods ran out of database connections"
QUESTION = "Was the pool size checked when the config was pushed? @author"


@dataclass
class Walk:
    server: Server
    mail: Inbox
    slack: SlackApi
    incident: str


@pytest.fixture
def walk(database_url: str, cheap_hashes: None) -> Iterator[Walk]:
    mail, slack = Inbox(), SlackApi().start()
    smtp = Controller(mail, hostname="127.0.0.1", port=free_port())
    smtp.start()
    channels = dict(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="afteraction@example.com",
                    base_url="https://postmortems.example.com", slack_bot_token=BOT_TOKEN,
                    slack_api_url=slack.url + "/api", notify_interval=1, outbound_timeout=5)  # fmt: skip
    try:
        with running_server(database_url, send_notifications=True, **channels) as server:
            doc = make_document(title="Checkout returned 502s").model_copy(update={"authors": ["author"]})
            stored = store_document(server.app.state.db, doc=doc, severities=SEVERITIES, actor=Actor.system())
            yield Walk(server, mail, slack, stored.incident_id)
    finally:
        smtp.stop()
        slack.stop()


def wait_for(what: str, found: Callable[[], list]) -> list:
    """What `found` returns once it is not empty: the server's own loop sends within a second or two."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.2)
    raise AssertionError(f"nothing arrived: {what} ({found.__doc__ or ''})")


def subject(mail: email.message.Message) -> str:
    return " ".join(str(mail["Subject"]).split())


def body(mail: email.message.Message) -> str:
    part = mail.get_payload(0) if mail.is_multipart() else mail
    return part.get_payload(decode=True).decode()


def mails_to(inbox: Inbox, address: str, subject_part: str) -> Callable[[], list[email.message.Message]]:
    def found() -> list[email.message.Message]:
        with inbox.lock:
            return [m for m in inbox.messages if m["To"] == address and subject_part in subject(m)]

    found.__doc__ = f"mails to {address} about {subject_part!r}; so far: " + "; ".join(
        f"{m['To']}: {subject(m)}" for m in inbox.messages
    )
    return found


def flash(page, text: str) -> None:
    expect(page.locator(".flash-ok")).to_contain_text(text)


def test_two_people_review_a_post_mortem_together(chromium, walk: Walk):
    server, incident = walk.server, walk.incident
    author, reviewer = server.page(chromium), server.page(chromium)
    sign_in(author, server, "author")
    sign_in(reviewer, server, "reviewer")

    # The reviewer gives the directory their Slack id (everyone who signs in is in it).
    reviewer.goto(server.url + "/people?q=reviewer")
    row = reviewer.locator("tr", has_text="(you)")
    row.get_by_text("Change").click()
    row.get_by_label("Slack user id").fill(REVIEWER_SLACK)
    row.get_by_role("button", name="Save").click()
    flash(reviewer, "Saved reviewer.")

    # The author adds a why in place and asks the reviewer for a review.
    author.goto(f"{server.url}/incidents/{incident}/postmortem")
    author.get_by_text("Add a branch from the problem").click()
    author.get_by_label("Why did the problem happen?").fill(WHY)
    author.get_by_role("button", name="Add the branch").click()
    author.locator('[id="why-1"]').wait_for()
    author.get_by_role("link", name="Review").click()
    author.get_by_role("checkbox", name="reviewer").check()
    author.get_by_label("Note for the reviewers").fill("The why-tree is the part I am least sure of.")
    author.get_by_role("button", name="Request review").click()
    flash(author, "review")
    screenshot(author, "walk-review-requested")

    # The reviewer is told by e-mail and on Slack, and finds it waiting on the dashboard.
    [request] = wait_for("the review request e-mail", mails_to(walk.mail, "reviewer@example.org", f"review {incident}"))
    assert "author asks you to review" in subject(request)
    assert f"https://postmortems.example.com/incidents/{incident}/review" in body(request)
    slack = wait_for("the Slack message", lambda: [m for m in walk.slack.messages if m["channel"] == REVIEWER_SLACK])
    assert incident in slack[0]["text"]
    reviewer.goto(server.url + "/dashboard")
    waiting = reviewer.locator("section", has_text="Waiting for you")
    expect(waiting).to_contain_text("Checkout returned 502s")
    waiting.get_by_role("link", name="Checkout returned 502s").click()
    reviewer.wait_for_url(f"**/incidents/{incident}/review")

    # The reviewer comments on the why, mentioning the author.
    reviewer.get_by_role("link", name="Post-mortem").click()
    why = reviewer.locator('[id="why-1"]')
    why.get_by_text("Comment on W1", exact=True).click()
    why.get_by_label("Your comment").fill(QUESTION)
    why.get_by_role("button", name="Comment").click()
    flash(reviewer, "Comment added on W1. author will be told.")
    expect(reviewer.locator('[id="why-1"] .comment-thread')).to_contain_text("Comments on W1: 1 open")
    wait_for("the mention e-mail", mails_to(walk.mail, "author@example.org", "mentioned you on"))

    # The author sees it beside the why, replies and resolves it.
    author.goto(f"{server.url}/incidents/{incident}/postmortem#why-1")
    thread = author.locator('[id="why-1"] .comment-thread')
    expect(thread).to_contain_text(QUESTION)
    thread.locator("summary", has_text="Reply").click()
    thread.get_by_label("Your reply").fill("No: AI-1 adds the check to the deploy pipeline.")
    thread.get_by_role("button", name="Reply").click()
    flash(author, "Replied on W1.")
    screenshot(author, "walk-thread")
    author.locator('[id="why-1"] .comment-thread').get_by_role("button", name="Resolve").click()
    flash(author, "Resolved the comment on W1.")
    expect(author.locator('[id="why-1"] .comment-thread')).to_contain_text("resolved by author")

    # The reviewer approves; the author is told and publishes.
    reviewer.goto(f"{server.url}/incidents/{incident}/review")
    expect(reviewer.locator("#h-state + .states, .states")).to_contain_text("in-review")
    reviewer.get_by_role("button", name="Approve").click()
    flash(reviewer, "Approved")
    wait_for("the approval e-mail", mails_to(walk.mail, "author@example.org", "approved"))
    author.goto(f"{server.url}/incidents/{incident}/review")
    expect(author.locator(".approvals")).to_contain_text("reviewer")
    expect(author.locator(".ok-note").first).to_contain_text("Nothing blocks publishing")
    author.get_by_role("button", name="Publish").click()
    flash(author, "Published")
    expect(author.locator("[aria-current=step]")).to_have_text("published")

    # A later edit marks it amended after publication, and the history says who changed what.
    author.goto(f"{server.url}/incidents/{incident}/postmortem")
    author.get_by_text("Edit W1", exact=True).click()
    author.get_by_label("Text of W1").fill(WHY + " (all 50 of them)")
    author.locator('[id="why-1"] > .why-card').get_by_role("button", name="Save").click()
    flash(author, "Saved W1.")
    author.goto(f"{server.url}/incidents/{incident}/review")
    expect(author.locator(".amended")).to_contain_text("Amended after publication")
    expect(author.locator("#h-history + table")).to_contain_text("amend")
    screenshot(author, "walk-amended")

    # The review meeting: a decision about the incident, and the minutes sent to the attendees.
    author.goto(server.url + "/meetings")
    author.get_by_label("Attendees").fill("reviewer, author")
    author.get_by_role("button", name="Start").click()
    author.wait_for_url("**/meetings/*")
    author.get_by_label("Record a decision").fill("Pool sizes are checked in the deploy pipeline from now on.")
    author.get_by_label("About incident").fill(incident)
    author.get_by_role("button", name="Record").click()
    flash(author, "decision")
    author.get_by_role("button", name="End the meeting and send the minutes").click()
    flash(author, "minutes")
    [minutes] = wait_for("the minutes", mails_to(walk.mail, "reviewer@example.org", "Minutes: "))
    assert "Pool sizes are checked in the deploy pipeline from now on." in body(minutes)
    author.context.close()
    reviewer.context.close()
