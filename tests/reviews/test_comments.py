"""What a team sees commenting on a post-mortem: comments on a section, a why, a factor, a lesson or an action item,
quotes, replies, mentions that notify, resolving by the right people, and publishing held back by open comments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from afteraction.domain.policy import Policy, policy_from_mapping
from afteraction.domain.reviews import FactorData, LessonData, SectionData, WhyNodeData
from afteraction.notifications.models import Notification
from afteraction.people.service import PersonChanges, add_person, change_person
from afteraction.reviews import comments, workflow
from afteraction.reviews.models import Postmortem
from afteraction.usecases.documents import store_document
from tests.factories import SEVERITIES, make_document, make_users

ANN = Actor.system("Ann Lee")  # the post-mortem's author
BO = Actor.system("Bo Chen")  # a reviewer
CY = Actor.system("Cy Diaz")  # someone else


@pytest.fixture
def incident(db: Database) -> str:
    """INC-1: a post-mortem by Ann Lee with a why-tree W1, W1.1, W2, two factors, two lessons, a custom section and
    one action item; Bo Chen and Cy Diaz are in the directory with e-mail addresses."""
    doc = make_document().model_copy(
        update={
            "whys": [
                WhyNodeData(text="The pool was too small", children=[WhyNodeData(text="A config push halved it")]),
                WhyNodeData(text="Nobody was paged"),
            ],
            "factors": [FactorData(text="No canary stage"), FactorData(text="Alert threshold too high")],
            "lessons": [
                LessonData(kind="went-well", text="Rollback took two minutes"),
                LessonData(kind="lucky", text="It was a quiet Sunday"),
            ],
            "sections": [SectionData(heading="Attendees", body="Ann, Bo and Cy met on Monday.")],
        }
    )
    key = store_document(db, doc=doc, severities=SEVERITIES, actor=Actor.system()).incident_id
    change_person(db, who="Bo Chen", changes=PersonChanges(email="bo@example.org"))  # the action item's owner
    add_person(db, name="Cy Diaz", changes=PersonChanges(email="cy@example.org"))
    return key


def _mentions(db: Database) -> list[tuple[str, str]]:
    with db.transaction() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == "mentioned").order_by(Notification.id))
        return [(row.subject, row.link or "") for row in rows]


def test_a_comment_names_its_target_as_the_reader_does(db, incident):
    on_why = comments.add_comment(db, incident_id=incident, actor=BO, on="w1.1", text="Why was it halved?")
    assert (on_why.on, on_why.target_kind, on_why.author, on_why.anchor) == ("W1.1", "why", "Bo Chen", "why-1.1")
    assert comments.add_comment(db, incident_id=incident, actor=BO, on="F2", text="How high?").on == "F2"
    assert comments.add_comment(db, incident_id=incident, actor=BO, on="lesson:2", text="Luck").on == "lesson:2"
    assert comments.add_comment(db, incident_id=incident, actor=BO, on="AI-1", text="Owner?").on == "AI-1"
    assert comments.add_comment(db, incident_id=incident, actor=BO, on="impact", text="Revenue?").on == "Impact"
    assert comments.add_comment(db, incident_id=incident, actor=BO, on="Attendees", text="Who led?").on == "Attendees"
    whole = comments.add_comment(db, incident_id=incident, actor=BO, text="Clear and blameless.")
    assert (whole.target_kind, whole.anchor) == ("document", "document")
    listed = comments.list_comments(db, incident_id=incident, actor=BO)
    assert [c.on for c in listed] == ["W1.1", "F2", "lesson:2", "AI-1", "Impact", "Attendees", "document"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("W4.1", "no why W4.1: the tree has W1, W1.1, W2"),
        ("F3", "no factor F3: the post-mortem has F1, F2"),
        ("lesson:7", "no lesson:7: the post-mortem has lesson:1, lesson:2"),
        ("AI-99", "no action item AI-99 here: the post-mortem has AI-1"),
        ("Postscript", "no section 'Postscript': the post-mortem has Summary, Impact"),
    ],
)
def test_an_unknown_target_is_refused_naming_what_exists(db, incident, target, message):
    with pytest.raises(InvalidInput) as refused:
        comments.add_comment(db, incident_id=incident, actor=BO, on=target, text="Hm")
    assert refused.value.message.startswith(message) and "\n" not in refused.value.message
    assert refused.value.field == "on"


def test_a_quote_must_be_part_of_what_is_commented_on(db, incident):
    made = comments.add_comment(db, incident_id=incident, actor=BO, on="W1.1", quote="a CONFIG push", text="Which?")
    assert made.quote == "a CONFIG push"
    with pytest.raises(InvalidInput, match=r"'checkout failed' is not in W1\.1") as refused:
        comments.add_comment(db, incident_id=incident, actor=BO, on="W1.1", quote="checkout failed", text="?")
    assert refused.value.field == "quote"


def test_a_mention_notifies_the_person_once_but_never_the_author(db, incident):
    made = comments.add_comment(
        db, incident_id=incident, actor=BO, on="F1", text="@cy can you check? cc @Bo and @nobody-here, ops@example.org"
    )
    assert made.mentions == ["Cy Diaz", "Bo Chen"]
    assert "@nobody-here" in made.text
    assert _mentions(db) == [
        (
            "Bo Chen mentioned you on INC-1 (F1): Checkout errors after a config push",
            "/incidents/INC-1/postmortem#factor-1",
        )
    ]


def test_an_ambiguous_mention_is_refused_naming_the_people(db, incident):
    add_person(db, name="Cy Young")
    with pytest.raises(InvalidInput, match="@cy: 'cy' matches several people: Cy Diaz, Cy Young"):
        comments.add_comment(db, incident_id=incident, actor=BO, text="@cy please")
    assert comments.list_comments(db, incident_id=incident, actor=BO) == []


def test_replies_nest_under_their_comment_and_share_its_target(db, incident):
    first = comments.add_comment(db, incident_id=incident, actor=BO, on="W2", text="Who was on call?")
    reply = comments.add_comment(db, incident_id=incident, actor=ANN, parent_id=first.id, text="Nobody: fixed now.")
    again = comments.add_comment(db, incident_id=incident, actor=BO, parent_id=reply.id, text="Thanks")
    assert (reply.on, reply.parent_id, again.parent_id) == ("W2", first.id, first.id)
    [thread] = comments.list_comments(db, incident_id=incident, actor=CY)
    assert [r.text for r in thread.replies] == ["Nobody: fixed now.", "Thanks"]
    with pytest.raises(InvalidInput, match="no comment 99 on INC-1 to reply to"):
        comments.add_comment(db, incident_id=incident, actor=BO, parent_id=99, text="?")


def test_only_the_comment_author_or_a_post_mortem_author_resolves(db, incident):
    made = comments.add_comment(db, incident_id=incident, actor=BO, on="Summary", text="Say who was paged")
    with pytest.raises(PermissionDenied) as refused:
        comments.resolve_comment(db, comment_id=made.id, actor=CY)
    assert refused.value.message == (
        f"only the comment's author (Bo Chen) or an author of the post-mortem (Ann Lee) can resolve comment {made.id}"
    )
    resolved = comments.resolve_comment(db, comment_id=made.id, actor=ANN)
    assert (resolved.resolved, resolved.resolved_by) == (True, "Ann Lee")
    with pytest.raises(Conflict, match="already resolved \\(by Ann Lee\\)"):
        comments.resolve_comment(db, comment_id=made.id, actor=BO)
    assert comments.list_comments(db, incident_id=incident, actor=BO, open_only=True) == []
    reopened = comments.reopen_comment(db, comment_id=made.id, actor=BO)
    assert (reopened.resolved, reopened.resolved_by) == (False, None)
    with pytest.raises(NotFound, match="no comment 99"):
        comments.resolve_comment(db, comment_id=99, actor=ANN)


def test_someone_nobody_knows_cannot_comment(db, incident):
    with pytest.raises(InvalidInput, match="who is acting is unknown: 'ghost' is nobody in the directory") as refused:
        comments.add_comment(db, incident_id=incident, actor=Actor.system("ghost"), text="boo")
    assert refused.value.field == "as"


def test_threads_group_by_target_for_the_page(db, incident):
    a = comments.add_comment(db, incident_id=incident, actor=BO, on="W1.1", text="One")
    comments.add_comment(db, incident_id=incident, actor=CY, on="w1.1", text="Two")
    comments.add_comment(db, incident_id=incident, actor=CY, on="summary", text="Three")
    comments.resolve_comment(db, comment_id=a.id, actor=BO)
    with db.transaction() as session:
        pm = session.scalars(select(Postmortem)).one()
        threads = comments.threads_of(session, pm.id)
        by_label = comments.threads_by_label(threads.values())
        count = comments.open_comments_count(session, pm.id)
    why = next(thread for (kind, _ref), thread in threads.items() if kind == "why")
    assert (why.label, why.anchor, why.open, [c.text for c in why.comments]) == ("W1.1", "why-1.1", 1, ["One", "Two"])
    assert threads[("section", "summary")].label == "Summary"
    assert set(by_label) == {"w1.1", "summary"} and count == 2
    page = comments.comment_threads(db, incident_id=incident, actor=BO)
    assert [thread.label for thread in page] == ["W1.1", "Summary"]


def test_the_policy_can_hold_publishing_while_comments_are_open(db, incident):
    make_users(db, "dana")
    policy = policy_from_mapping({"block-on-open-comments": True})
    assert policy.block_on_open_comments and not Policy().block_on_open_comments
    workflow.request_review(db, incident_id=incident, actor=ANN, policy=policy, reviewers=["dana"])
    workflow.approve_review(db, incident_id=incident, actor=Actor.system("dana"), policy=policy)
    first = comments.add_comment(db, incident_id=incident, actor=BO, on="Impact", text="Revenue?")
    comments.add_comment(db, incident_id=incident, actor=BO, on="F1", text="Canary?")
    state = workflow.review_state(db, incident_id=incident, actor=ANN, policy=policy)
    assert state.open_comments == 2
    assert [b.text for b in state.blockers if b.code == "comments"] == ["2 comments are still open."]
    with pytest.raises(workflow.PublishRefused, match="2 comments are still open"):
        workflow.publish_review(db, incident_id=incident, actor=ANN, policy=policy)
    # without the policy key, open comments are counted but do not block
    assert not [b for b in workflow.review_state(db, incident_id=incident, actor=ANN, policy=Policy()).blockers
                if b.code == "comments"]  # fmt: skip
    comments.resolve_comment(db, comment_id=first.id, actor=ANN)
    state = workflow.review_state(db, incident_id=incident, actor=ANN, policy=policy)
    assert [b.text for b in state.blockers if b.code == "comments"] == ["1 comment is still open."]


def test_comments_stay_on_their_why_factor_lesson_and_section_when_the_page_rewrites_them(db, incident):
    from afteraction.domain.reviews import FactorData, LessonData, SectionData, WhyNodeData
    from afteraction.reviews import sections

    def factors(*texts: str) -> list[FactorData]:
        return [FactorData(text=text) for text in texts]

    def whys(*texts: str) -> list[WhyNodeData]:
        return [WhyNodeData(text=text) for text in texts]

    sections.replace_whys(db, incident_id=incident, actor=BO, nodes=whys("A", "B", "C"))
    sections.replace_factors(db, incident_id=incident, actor=BO, items=factors("F-one", "F-two"))
    sections.replace_lessons(db, incident_id=incident, actor=BO, items=[LessonData(kind="lucky", text="Quiet day")])
    attendees = SectionData(heading="Attendees", body="")
    sections.replace_extra_sections(db, incident_id=incident, actor=BO, items=[attendees])
    for on in ("W2", "W1", "F2", "lesson:1", "Attendees"):
        comments.add_comment(db, incident_id=incident, actor=CY, on=on, text=f"About {on}")

    sections.replace_whys(db, incident_id=incident, actor=BO, nodes=whys("B", "C (edited)"))  # W1 removed
    sections.replace_factors(db, incident_id=incident, actor=BO, items=factors("F-two", "F-one"))
    lessons = [LessonData(kind="learned", text="New"), LessonData(kind="lucky", text="Quiet day")]
    sections.replace_lessons(db, incident_id=incident, actor=BO, items=lessons)
    sections.replace_extra_sections(db, incident_id=incident, actor=BO,
                                    items=[SectionData(heading="Figures", body=""),
                                           SectionData(heading="Attendees", body="- Bo")])  # fmt: skip
    sections.replace_whys(db, incident_id=incident, actor=BO, nodes=whys("B", "C (edited)", "D"))  # ids reused

    threads = comments.comment_threads(db, incident_id=incident, actor=BO)
    where = {thread.comments[0].text: (thread.label, thread.anchor, thread.gone) for thread in threads}
    assert where == {
        "About W2": ("W1", "why-1", False),  # B moved up from W2
        "About W1": ("W1", "comments", True),  # A was removed: its label as it was, not the new W1
        "About F2": ("F1", "factor-1", False),
        "About lesson:1": ("lesson:2", "lesson-2", False),
        "About Attendees": ("Attendees", "custom-2", False),
    }
