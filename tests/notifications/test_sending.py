"""What people receive when a post-mortem moves through review or an item becomes theirs: real e-mail through a
local SMTP server, real Slack messages to a local Web API and incoming webhooks; sent once, retried with backoff,
never failing the action that caused them."""

from __future__ import annotations

import email
import json
import threading
from datetime import date, timedelta

from sqlalchemy import select, update

from afteraction.actions.service import add_action, change_action
from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import utcnow
from afteraction.domain.actions import ActionChanges, ActionItemData
from afteraction.domain.policy import Policy
from afteraction.notifications.models import Notification
from afteraction.notifications.sender import MAX_ATTEMPTS, backoff, send_pending
from afteraction.notifications.service import Message, notify
from afteraction.people.models import Person
from afteraction.people.service import PersonChanges, add_person, change_person
from afteraction.reviews import workflow
from tests.factories import make_document, make_users

AUTHOR = Actor.system("Ann Lee")
REVIEWER = Actor.system("dana")


def subject(mail: email.message.Message) -> str:
    """A subject as it reads (long ones are folded over lines in the message)."""
    return " ".join(str(mail["Subject"]).split())


def rows(db) -> list[Notification]:
    with db.transaction() as session:
        found = list(session.scalars(select(Notification).order_by(Notification.id)))
        session.expunge_all()
        return found


def request_review(db, incident: str, *reviewers: str, actor: Actor = AUTHOR) -> None:
    workflow.request_review(db, incident_id=incident, actor=actor, policy=Policy(), reviewers=reviewers)


def test_a_review_request_reaches_the_reviewer_by_email_and_slack_once(cli, db, store, dana, smtp, slack_api):
    incident = store(make_document())
    request_review(db, incident, "dana")
    written = rows(db)
    assert [(r.kind, r.channel, r.state) for r in written] == [
        ("review-requested", "email", "pending"), ("review-requested", "slack", "pending")]  # fmt: skip

    sent = cli("notify")
    assert sent.exit_code == 0, sent.stderr
    assert sent.stdout.strip() == "Sent 2 notifications (1 e-mail, 1 Slack message); 0 will be retried; 0 failed."
    [mail] = smtp.messages
    assert mail["To"] == "dana@example.com" and mail["From"] == "afteraction@example.com"
    assert subject(mail) == f"[afteraction] Ann Lee asks you to review {incident}: Checkout errors after a config push"
    body = mail.get_payload(decode=True).decode()
    assert body.startswith("Hello dana,") and f"https://postmortems.example.com/incidents/{incident}/review" in body
    [chat] = slack_api.messages
    assert chat["channel"] == "U0DANA"
    assert chat["text"].startswith(f"*Ann Lee asks you to review {incident}: Checkout errors after a config push*")
    assert f"<https://postmortems.example.com/incidents/{incident}/review|Open in afteraction>" in chat["text"]

    again = cli("notify", "--json")
    assert json.loads(again.stdout) | {"next_retry_at": None} == {
        "emails": 0, "slack_messages": 0, "sent": 0, "retrying": 0, "next_retry_at": None, "failed": 0, "waiting": 0,
        "missing": [], "problems": []}  # fmt: skip
    assert len(smtp.messages) == 1 and len(slack_api.messages) == 1
    assert {(r.state, r.attempts) for r in rows(db)} == {("sent", 1)} and all(r.sent_at for r in rows(db))

    # The same request again asks nobody new; the same people are not asked twice for one step.
    request_review(db, incident, "dana")
    assert len(rows(db)) == 2


def test_the_person_who_acts_is_not_told_of_their_own_step(db, store, dana, smtp):
    make_users(db, "ann")
    incident = store(make_document())
    change_person(db, who="Ann Lee", changes=PersonChanges(account="ann", email="ann@example.com"))
    request_review(db, incident, "dana", actor=Actor.system("ann"))
    workflow.approve_review(db, incident_id=incident, actor=REVIEWER, policy=Policy(), comment="Clear and blameless.")
    # Dana approves: Ann (the author) hears of it, Dana does not.
    told = {(r.kind, r.person_id) for r in rows(db)}
    with db.transaction() as session:
        ids = {p.name: p.id for p in session.scalars(select(Person))}
    assert told == {("review-requested", ids["dana"]), ("approved", ids["Ann Lee"])}
    send_pending(db, Settings())
    approved = next(m for m in smtp.messages if m["To"] == "ann@example.com")
    assert subject(approved) == f"[afteraction] dana approved {incident}: Checkout errors after a config push"
    assert "It can now be published." in approved.get_payload(decode=True).decode()


def test_a_send_back_and_a_publication_tell_the_authors_and_reviewers(db, store, dana, smtp, slack_api):
    incident = store(make_document())
    change_person(db, who="Ann Lee", changes=PersonChanges(email="ann@example.com"))
    request_review(db, incident, "dana")
    workflow.reject_review(db, incident_id=incident, actor=REVIEWER, policy=Policy(), comment="Say what the alert was.")
    request_review(db, incident, "dana")  # back in review: Dana is asked again
    workflow.approve_review(db, incident_id=incident, actor=REVIEWER, policy=Policy())
    workflow.publish_review(db, incident_id=incident, actor=AUTHOR, policy=Policy(require_due_date=False))
    report = send_pending(db, Settings())
    assert report.failed == 0 and report.retrying == 0
    subjects = sorted((m["To"], subject(m).removeprefix("[afteraction] ")) for m in smtp.messages)
    title = "Checkout errors after a config push"
    assert subjects == [
        ("ann@example.com", f"dana approved {incident}: {title}"),
        ("ann@example.com", f"dana sent {incident} back to draft: {title}"),
        ("dana@example.com", f"Ann Lee asks you to review {incident}: {title}"),
        ("dana@example.com", f"Ann Lee asks you to review {incident}: {title}"),
        ("dana@example.com", f"{incident} is published: {title}"),
    ]
    sent_back = next(m for m in smtp.messages if "back to draft" in subject(m))
    assert "Say what the alert was." in sent_back.get_payload(decode=True).decode()
    # Ann has no Slack id and no team: e-mail only. Dana gets each on Slack too.
    assert len(slack_api.messages) == 3


def test_a_failing_smtp_server_leaves_the_row_to_be_retried_and_the_request_stands(cli, db, store, dana, smtp):
    smtp.refuse = True
    incident = store(make_document())
    before = utcnow()
    request_review(db, incident, "dana")
    assert workflow.review_state(db, incident_id=incident, actor=AUTHOR, policy=Policy()).status == "in-review"

    result = cli("notify")
    assert result.exit_code == 0, result.stderr
    [row] = [r for r in rows(db) if r.channel == "email"]
    assert (row.state, row.attempts) == ("pending", 1) and row.next_attempt_at > before + timedelta(seconds=50)
    assert "451" in (row.last_error or "") and row.claimed_until is None
    retry_at = row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S")
    assert result.stdout.strip() == (
        f"Sent 0 notifications (0 e-mails, 0 Slack messages); 1 will be retried at {retry_at} UTC; 0 failed."
    )
    assert "will be retried" in result.stderr and "Traceback" not in result.stderr

    # Not before its time; then the server is back and the row goes.
    assert send_pending(db, Settings()).sent == 0
    smtp.refuse = False
    report = send_pending(db, Settings(), now=row.next_attempt_at)
    assert report.emails == 1 and len(smtp.messages) == 1
    assert [(r.state, r.attempts, r.last_error) for r in rows(db) if r.channel == "email"] == [("sent", 2, None)]


def test_retries_back_off_and_give_up_after_the_last_attempt(db, store, dana, smtp):
    assert [backoff(n) for n in range(1, 10)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    smtp.refuse = True
    incident = store(make_document())
    request_review(db, incident, "dana")
    with db.transaction() as session:
        session.execute(update(Notification).values(attempts=MAX_ATTEMPTS - 1))
    report = send_pending(db, Settings())
    assert (report.failed, report.retrying, report.waiting) == (1, 0, 1)  # the Slack message waits for Slack
    [row] = [r for r in rows(db) if r.channel == "email"]
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS) and "451" in (row.last_error or "")
    assert report.problems == [f"#{row.id} to dana (email) failed after 8 tries: {row.last_error}"]


def test_two_senders_racing_send_each_row_once(db, dana, smtp):
    with db.transaction() as session:
        person = session.scalars(select(Person).where(Person.name == "dana")).one()
        person.notify_slack = False
        for number in range(12):
            notify(session, [person], Message("minutes", f"Minutes {number}"), key=f"race:{number}")
    settings = Settings()
    start = threading.Barrier(2)
    reports = []

    def sender() -> None:
        start.wait()
        reports.append(send_pending(db, settings))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(report.emails for report in reports) == 12
    subjects = sorted(subject(m) for m in smtp.messages)
    assert subjects == sorted(f"[afteraction] Minutes {n}" for n in range(12))  # each once
    assert {(r.state, r.attempts) for r in rows(db)} == {("sent", 1)}


def test_slack_goes_to_the_team_webhook_without_a_bot_or_a_slack_id(db, store, team_hook, smtp):
    make_users(db, "dana", "bo")
    add_person(db, name="dana", changes=PersonChanges(account="dana", team="SRE", slack_id="U0DANA"))
    add_person(db, name="Bo <!channel>", changes=PersonChanges(account="bo", team="sre"))
    incident = store(make_document())
    request_review(db, incident, "dana", "bo")
    report = send_pending(db, Settings())
    assert (report.slack_messages, report.failed) == (2, 0)
    texts = sorted(message["text"] for message in team_hook.messages)
    # No ping hides in a name: it reads as it is.
    assert texts[0].startswith(f"*Bo &lt;!channel&gt;*: *Ann Lee asks you to review {incident}")
    assert texts[1].startswith(f"<@U0DANA>: *Ann Lee asks you to review {incident}")


def test_someone_who_cannot_be_reached_is_failed_saying_why(db, store, smtp, slack_api):
    make_users(db, "dana", "bo")
    add_person(db, name="dana", changes=PersonChanges(account="dana", email="dana@example.com", team="sre"))
    add_person(db, name="bo", changes=PersonChanges(account="bo", slack_id="U0BO", email="bo@example.com"))
    incident = store(make_document())
    request_review(db, incident, "dana", "bo")
    change_person(db, who="bo", changes=PersonChanges(notify_email=False))  # after the rows were written
    report = send_pending(db, Settings())
    assert (report.emails, report.slack_messages, report.failed) == (1, 1, 2)
    failed = {r.last_error for r in rows(db) if r.state == "failed"}
    assert failed == {
        "bo turned e-mail notifications off",
        "dana cannot be reached on Slack: no Slack id, and no webhook for team 'sre' "
        "(AFTERACTION_SLACK_TEAM_WEBHOOKS) or AFTERACTION_SLACK_WEBHOOK_URL",
    }


def test_an_item_given_to_someone_tells_them_and_an_item_due_soon_once(cli, db, store, smtp):
    add_person(db, name="Bo Chen", changes=PersonChanges(email="bo@example.com"))
    add_person(db, name="Cy Diaz", changes=PersonChanges(email="cy@example.com"))
    incident = store(make_document(actions=[]))
    item = add_action(db, incident_id=incident, title="Add a canary stage", owner="Bo Chen",
                      due=date.today() + timedelta(days=2), actor=AUTHOR)  # fmt: skip
    add_action(db, incident_id=incident, title="Self-assigned", owner="Ann Lee", actor=AUTHOR)  # Ann acts: untold
    with db.transaction() as session:
        change_action(session, actor=AUTHOR, action_id=item.id, changes=ActionChanges(title="Add a canary stage!"))
    assert [(r.kind, r.subject) for r in rows(db)] == [("assigned", f"You own {item.id}: Add a canary stage")]
    with db.transaction() as session:
        change_action(session, actor=AUTHOR, action_id=item.id, changes=ActionChanges(owner="Cy Diaz"))

    assert cli("notify").exit_code == 0
    to = sorted((m["To"], subject(m).removeprefix("[afteraction] ")) for m in smtp.messages)
    assert to == [
        ("bo@example.com", f"You own {item.id}: Add a canary stage"),
        ("cy@example.com", f"{item.id} is due in 2 days ({item.due}): Add a canary stage!"),
        ("cy@example.com", f"You own {item.id}: Add a canary stage!"),
    ]
    assert cli("notify").stdout.startswith("Sent 0 notifications")  # due soon: once per item and due date
    assert len(smtp.messages) == 3


def test_notify_without_any_channel_configured_says_what_to_set(cli, db, store):
    result = cli("notify")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no notification channel is configured: set AFTERACTION_SMTP_HOST")
    assert "AFTERACTION_SLACK_WEBHOOK_URL" in result.stderr and "Traceback" not in result.stderr


def test_rows_for_a_channel_not_configured_wait_for_it(cli, db, store, dana, smtp):
    incident = store(make_document())
    request_review(db, incident, "dana")  # an e-mail and a Slack message: Slack is not configured
    result = cli("notify")
    assert result.exit_code == 0
    assert result.stdout.startswith("Sent 1 notification (1 e-mail, 0 Slack messages)")
    assert "1 notification waits for a channel that is not configured: set AFTERACTION_SLACK_WEBHOOK_URL" in (
        " ".join(result.stderr.split())
    )
    assert [(r.channel, r.state, r.attempts) for r in rows(db)] == [("email", "sent", 1), ("slack", "pending", 0)]


def test_a_bad_team_webhooks_setting_is_one_line(cli, monkeypatch):
    monkeypatch.setenv("AFTERACTION_SLACK_TEAM_WEBHOOKS", '{"sre": "ftp://hooks.example.com/x"}')
    result = cli("notify")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: invalid setting AFTERACTION_SLACK_TEAM_WEBHOOKS: Value error, the webhook of team 'sre' is not an "
        "http(s) URL"
    )
    assert "ftp://" not in result.stderr


def test_a_document_item_owner_is_not_told_by_an_import(db, store, smtp):
    store(make_document(actions=[ActionItemData(title="Imported", owner="Bo Chen")]))
    assert rows(db) == []
