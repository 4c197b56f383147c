"""Reviews cannot be rubber-stamped: reviewers are accounts, an author never approves their own post-mortem, only a
named reviewer (or an admin) approves or sends back, and an empty draft cannot be approved."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from afteraction.accounts import service as accounts
from afteraction.accounts.models import User
from afteraction.core.actor import Actor
from afteraction.core.errors import Conflict, InvalidInput, PermissionDenied
from afteraction.domain.actions import ActionItemData
from afteraction.domain.policy import Policy
from afteraction.reviews import workflow
from afteraction.reviews.sections import update_text_section
from afteraction.timeline.service import add_event
from tests.factories import SYSTEM, make_document, make_users


def signed_in(db, name: str) -> Actor:
    """The actor of an account, as the web app passes it."""
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.name == name)).one()
        return Actor(user_id=user.id, name=user.name, role=user.role)


def state(db, incident: str) -> workflow.ReviewState:
    return workflow.review_state(db, incident_id=incident, actor=SYSTEM, policy=Policy())


def request(db, incident: str, *reviewers: str, actor: Actor | None = None) -> workflow.ReviewState:
    return workflow.request_review(
        db, incident_id=incident, actor=actor or Actor.system("Ann Lee"), policy=Policy(), reviewers=reviewers
    )


def test_a_reviewer_is_an_account_stored_under_its_own_spelling(db, store):
    make_users(db, "dana.ross")
    incident = store(make_document())
    with pytest.raises(InvalidInput) as raised:
        request(db, incident, "bob")
    assert raised.value.field == "reviewer"
    assert raised.value.message == (
        "no account named 'bob': reviewers are users of afteraction (add one with `afteraction user create`)"
    )
    assert state(db, incident).status == "draft" and state(db, incident).reviewers == []
    assert request(db, incident, "DANA.Ross").reviewers == ["dana.ross"]


def test_one_refused_reviewer_refuses_the_whole_request(db, store):
    make_users(db, "dana.ross")
    make_users(db, "vic", role="viewer")
    make_users(db, "gone")
    accounts.update_user(db, name="gone", active=False)
    incident = store(make_document())
    for name, message in (
        ("vic", "vic is a viewer: a reviewer needs an editor or admin account to approve"),
        ("gone", "the account 'gone' is deactivated: reviewers are active users of afteraction"),
    ):
        with pytest.raises(InvalidInput) as raised:
            request(db, incident, "dana.ross", name)
        assert raised.value.message.startswith(message) and raised.value.field == "reviewer"
    after = state(db, incident)
    assert (after.status, after.reviewers, after.history) == ("draft", [], [])


def test_an_author_cannot_be_named_reviewer(db, store):
    make_users(db, "ann", "dana.ross")
    doc = make_document()
    doc.authors = ["Ann"]
    incident = store(doc)
    with pytest.raises(InvalidInput) as raised:
        request(db, incident, "ann", actor=signed_in(db, "ann"))
    assert raised.value.message == (
        f"ann is an author of {incident}: an author cannot review their own post-mortem, name someone else"
    )
    assert state(db, incident).reviewers == []


def test_an_author_cannot_approve_even_when_named_reviewer(db, store, cli):
    make_users(db, "ann", "dana.ross")
    make_users(db, "root", role="admin")
    doc = make_document()
    doc.authors, doc.reviewers = ["ann", "root"], ["ann", "root"]  # as an imported document may have it
    incident = store(doc)
    request(db, incident, "dana.ross")
    for actor in (signed_in(db, "ann"), Actor.system("ANN"), signed_in(db, "root")):
        with pytest.raises(PermissionDenied) as raised:
            workflow.approve_review(db, incident_id=incident, actor=actor, policy=Policy())
        assert raised.value.message == "an author cannot approve their own post-mortem: ask a reviewer"
    refused = cli("review", "approve", incident, "--as", "ann")
    assert refused.exit_code == 2
    assert refused.stderr == "error: an author cannot approve their own post-mortem: ask a reviewer\n"
    assert state(db, incident).approvals == []


def test_only_a_named_reviewer_or_an_admin_sends_it_back(db, store, cli):
    make_users(db, "dana.ross", "eve")
    make_users(db, "root", role="admin")
    incident = store(make_document())
    request(db, incident, "dana.ross")
    with pytest.raises(PermissionDenied) as raised:
        workflow.reject_review(db, incident_id=incident, actor=signed_in(db, "eve"), policy=Policy(), comment="No.")
    assert raised.value.message == (
        f"eve is not a reviewer of {incident}: only its reviewers (dana.ross) or an admin can send it back"
    )
    refused = cli("review", "reject", incident, "-m", "No.", "--as", "eve")
    assert refused.exit_code == 2 and "eve is not a reviewer of INC-1" in refused.stderr
    assert state(db, incident).status == "in-review"
    back = workflow.reject_review(db, incident_id=incident, actor=signed_in(db, "root"), policy=Policy(),
                                  comment="Name the systemic cause.")  # fmt: skip
    assert back.status == "draft"
    assert (back.history[-1].action, back.history[-1].actor) == ("admin-reject", "root")


def test_an_admins_approval_counts_and_the_history_says_it_was_an_admins(db, store, cli, tmp_path, monkeypatch):
    (tmp_path / "afteraction.toml").write_text("[policy]\napprovals = 2\n")
    monkeypatch.chdir(tmp_path)
    make_users(db, "dana.ross")
    make_users(db, "root", role="admin")
    incident = store(make_document())
    request(db, incident, "dana.ross")
    by_admin = cli("review", "approve", incident, "--as", "Root", "--json")
    assert by_admin.exit_code == 0, by_admin.stderr
    first = json.loads(by_admin.stdout)
    assert first["status"] == "in-review" and first["approvals"] == ["root"]
    assert (first["history"][-1]["action"], first["history"][-1]["actor"]) == ("admin-approve", "root")
    assert "Approved by dana.ross." in cli("review", "approve", incident, "--as", "dana.ross").stdout
    assert state(db, incident).status == "approved" and state(db, incident).approvals == ["root", "dana.ross"]
    again = cli("review", "approve", incident, "--as", "root")
    assert again.exit_code == 4  # approved already: not in review


def test_an_empty_draft_cannot_be_approved(db, store, cli):
    make_users(db, "dana.ross")
    incident = store(make_document(summary="", impact="", timeline=False, actions=[]))
    request(db, incident, "dana.ross")
    reviewer = signed_in(db, "dana.ross")
    with pytest.raises(Conflict) as raised:
        workflow.approve_review(db, incident_id=incident, actor=reviewer, policy=Policy())
    assert raised.value.message == (
        f"{incident} is an empty draft: write a summary, a timeline or an action item before it can be approved"
    )
    refused = cli("review", "approve", incident, "--as", "dana.ross")
    assert refused.exit_code == 4 and refused.stderr.count("\n") == 1 and "is an empty draft" in refused.stderr
    assert state(db, incident).approvals == []


@pytest.mark.parametrize("what", ["summary", "timeline", "action item"])
def test_any_one_of_summary_timeline_or_action_item_is_enough_to_approve(db, store, what):
    from afteraction.actions.service import add_action
    from afteraction.core.db import utcnow

    make_users(db, "dana.ross")
    incident = store(make_document(summary="", impact="", timeline=False, actions=[]))
    if what == "summary":
        update_text_section(db, actor=SYSTEM, incident_id=incident, name="summary", text="Checkout failed.")
    elif what == "timeline":
        add_event(db, actor=SYSTEM, incident_id=incident, at=utcnow(), text="Alert fired", kind="alert")
    else:
        add_action(db, actor=SYSTEM, incident_id=incident, title="Alert on pool usage")
    request(db, incident, "dana.ross")
    approved = workflow.approve_review(db, incident_id=incident, actor=signed_in(db, "dana.ross"), policy=Policy())
    assert approved.status == "approved"


def test_a_reviewer_whose_account_became_a_viewer_cannot_decide(db, store, cli):
    make_users(db, "dana.ross")
    incident = store(make_document(actions=[ActionItemData(title="Alert on pool usage")]))
    request(db, incident, "dana.ross")
    accounts.update_user(db, name="dana.ross", role="viewer")
    refused = cli("review", "approve", incident, "--as", "dana.ross")
    assert refused.exit_code == 2
    assert "dana.ross is a viewer: a reviewer needs an editor or admin account to approve it" in refused.stderr


def test_the_authors_cannot_change_while_a_review_is_under_way(db, store):
    from afteraction.usecases import editor

    make_users(db, "dana.ross")
    incident = store(make_document())  # written by Ann Lee
    request(db, incident, "dana.ross")
    # The author would step out of the authors, be named reviewer, and approve their own work: refused.
    with pytest.raises(Conflict, match="is in-review: its authors cannot change until it is sent back to draft"):
        editor.set_authors(db, incident_id=incident, names=["someone.else"], actor=SYSTEM)
    assert editor.set_authors(db, incident_id=incident, names=["ann lee"], actor=SYSTEM) == ["ann lee"]  # the same
