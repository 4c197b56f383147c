"""Use cases of the review workflow (draft → in-review → approved → published → closed) and of `policy check`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from afteraction.accounts.models import User
from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import Conflict, InvalidInput, PermissionDenied
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import CLOSED_ACTION_STATUSES
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import PostmortemDocument
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident
from afteraction.notifications.service import Message, notify
from afteraction.people.models import Person
from afteraction.people.service import find_person, get_or_create_person, person_of_actor
from afteraction.reviews.comments import open_comments_count
from afteraction.reviews.document import document_of
from afteraction.reviews.models import Postmortem, PostmortemPerson, ReviewEvent
from afteraction.timeline.models import TimelineEvent

UNPUBLISHED: tuple[str, ...] = ("draft", "in-review", "approved")
REVIEWER_ROLES: tuple[str, ...] = ("editor", "admin")  # the roles that may approve: a viewer cannot
# The steps of an admin who decides without being a named reviewer: their approval counts, and the history says so.
ADMIN_APPROVE, ADMIN_REJECT = "admin-approve", "admin-reject"


class ReviewEventView(BaseModel):
    """One recorded step of a review: what was done, from which state to which, by whom, when, and why."""

    action: str
    from_status: str
    to_status: str
    actor: str
    comment: str | None = None
    at: datetime


class Blocker(BaseModel):
    """One thing that still blocks publishing: a `code` (approvals, section, owner, due-date), what it is in plain
    words (no command, no Markdown), and `where` it is fixed: the incident's page (`review`, `postmortem#impact`)."""

    code: str
    text: str
    where: str


class Approval(BaseModel):
    """An approval that counts: who approved, when, and whether as an admin who is not a named reviewer."""

    by: str
    at: datetime
    as_admin: bool = False


class ReviewState(BaseModel):
    """Where a post-mortem stands in its review, who reviews it, and what still blocks publishing."""

    incident_id: str
    title: str
    status: str
    authors: list[str] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)
    approvals: list[str] = Field(default_factory=list)
    approved_by: list[Approval] = Field(default_factory=list)
    approvals_needed: int = 1
    published_at: datetime | None = None
    amended_at: datetime | None = None
    amended_by: str | None = None
    blockers: list[Blocker] = Field(default_factory=list)
    open_comments: int = 0  # comments not resolved yet (a blocker too where the policy says so)
    filled_due_dates: list[str] = Field(default_factory=list)
    history: list[ReviewEventView] = Field(default_factory=list)


class PublishRefused(Conflict):
    """Publishing was refused; `blockers` lists every missing piece (`reasons`: their words)."""

    def __init__(self, incident_id: str, blockers: Sequence[Blocker]) -> None:
        self.blockers = list(blockers)
        self.reasons = [blocker.text for blocker in self.blockers]
        super().__init__(f"cannot publish {incident_id}: " + " ".join(self.reasons))
        self.incident_id = incident_id


# ---------------------------------------------------------------- checks


def _has_section(doc: PostmortemDocument, key: str) -> bool:
    lessons = {"went-well": "went-well", "went-wrong": "went-wrong", "lucky": "lucky", "learned": "learned"}
    if key in lessons:
        return bool(doc.lessons_of(lessons[key]))
    value = {"timeline": doc.timeline, "whys": doc.whys, "factors": doc.factors, "actions": doc.actions}.get(key)
    if value is not None:
        return bool(value)
    return bool(str(getattr(doc, key, "") or "").strip())


SECTION_TITLES = {
    "summary": "Summary", "impact": "Impact", "trigger": "Trigger", "detection": "Detection",
    "resolution": "Resolution", "timeline": "Timeline", "whys": "Five Whys", "factors": "Contributing Factors",
    "went-well": "What Went Well", "went-wrong": "What Went Wrong", "lucky": "Where We Got Lucky",
    "learned": "Lessons Learned", "actions": "Action Items", "supporting_info": "Supporting Information",
}  # fmt: skip


# Where on the post-mortem page each required section is written (the anchor of `postmortem#…`).
SECTION_PLACES = {
    "timeline": "timeline-link", "went-well": "lessons", "went-wrong": "lessons", "lucky": "lessons",
    "learned": "lessons",
}  # fmt: skip


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def approval_blocker(status: str, approvals: int, policy: Policy) -> Blocker | None:
    """What the policy's approvals still ask of a post-mortem in a status with so many approvals, or None."""
    if not policy.require_approval or status not in ("draft", "in-review"):
        return None
    needed = policy.approvals
    if status == "draft":
        text = f"It needs {_plural(needed, 'approval')} and has not been sent for review yet."
    else:
        text = f"It needs {_plural(max(needed - approvals, 1), 'more approval')} ({approvals} of {needed})."
    return Blocker(code="approvals", text=text, where="review")


def publish_blockers(
    doc: PostmortemDocument, policy: Policy, *, status: str | None = None, approvals: int = 0, open_comments: int = 0
) -> list[Blocker]:
    """Why a post-mortem cannot be published under a policy, in plain words: the approvals it still needs (given
    its `status` and how many `approvals` count), missing sections, items without owner or due date. The one list
    that publishing checks and that the review page, the API and the CLI show."""
    blockers: list[Blocker] = []
    needed = approval_blocker(status, approvals, policy) if status is not None else None
    if needed is not None:
        blockers.append(needed)
    blockers += [
        Blocker(
            code="section",
            text=f"The {SECTION_TITLES.get(key, key)} section is empty.",
            where=f"postmortem#{SECTION_PLACES.get(key, key)}",
        )
        for key in policy.sections_for(doc.kind)
        if not _has_section(doc, key)
    ]
    for item in doc.actions:
        if item.status in CLOSED_ACTION_STATUSES:
            continue
        label = f"{item.id or 'An action item'} ({item.title})"
        where = f"postmortem#{item.id}" if item.id else "postmortem#actions"
        if policy.require_owner and not (item.owner or "").strip():
            blockers.append(Blocker(code="owner", text=f"{label} has no owner.", where=where))
        # an item the policy has a default due date for gets it when the post-mortem is published
        if (
            policy.require_due_date
            and item.due is None
            and not policy.action_due_date(priority=item.priority, opened=utcnow().date())
        ):
            blockers.append(Blocker(code="due-date", text=f"{label} has no due date.", where=where))
    if policy.block_on_open_comments and open_comments:
        are = "1 comment is" if open_comments == 1 else f"{open_comments} comments are"
        blockers.append(Blocker(code="comments", text=f"{are} still open.", where="comments"))
    return blockers


# ---------------------------------------------------------------- workflow


def start_postmortem(session: Session, incident: Incident, *, authors: Sequence[str] = ()) -> Postmortem:
    """A new incident's empty draft post-mortem, with its authors (whoever recorded the incident)."""
    pm = Postmortem(incident_id=incident.id, status="draft")
    session.add(pm)
    session.flush()
    for position, name in enumerate(dict.fromkeys(n.strip() for n in authors if n.strip())):
        person = get_or_create_person(session, name)
        session.add(PostmortemPerson(postmortem_id=pm.id, person_id=person.id, role="author", position=position))
    return pm


def statuses_of(session: Session, incident_ids: Sequence[int]) -> dict[int, str]:
    """The post-mortem status of each incident row id that has one."""
    rows = session.execute(
        select(Postmortem.incident_id, Postmortem.status).where(Postmortem.incident_id.in_(incident_ids))
    )
    return {incident_id: status for incident_id, status in rows}


def _postmortem(session: Session, incident: Incident) -> Postmortem:
    pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id).with_for_update())
    if pm is None:
        pm = Postmortem(incident_id=incident.id, status="draft")
        session.add(pm)
        session.flush()
    return pm


def _people(session: Session, pm: Postmortem, role: str) -> list[str]:
    return list(
        session.scalars(
            select(Person.name)
            .join(PostmortemPerson, PostmortemPerson.person_id == Person.id)
            .where(PostmortemPerson.postmortem_id == pm.id, PostmortemPerson.role == role)
            .order_by(PostmortemPerson.position)
        )
    )


def _history(session: Session, pm: Postmortem) -> list[ReviewEvent]:
    return list(session.scalars(select(ReviewEvent).where(ReviewEvent.postmortem_id == pm.id).order_by(ReviewEvent.id)))


def _approval_steps(history: Sequence[ReviewEvent]) -> list[ReviewEvent]:
    """The approvals that count: since the review was last requested, rejected or amended after publication."""
    steps: list[ReviewEvent] = []
    for event in history:
        if event.action in ("reject", ADMIN_REJECT, "amend") or (
            event.action == "request" and event.from_status != "in-review"
        ):
            steps = []
        elif event.action in ("approve", ADMIN_APPROVE) and event.actor not in {step.actor for step in steps}:
            steps.append(event)
    return steps


def _approvals(history: Sequence[ReviewEvent]) -> list[str]:
    """Who approved since the review was last requested or rejected."""
    return [event.actor for event in _approval_steps(history)]


def current_approvals(session: Session, pm: Postmortem) -> list[str]:
    """Who approved a post-mortem since its review was last requested or sent back (names as recorded)."""
    return _approvals(_history(session, pm))


def _record(
    session: Session,
    pm: Postmortem,
    action: str,
    to_status: str,
    actor: str,
    comment: str | None,
    at: datetime | None = None,
) -> None:
    session.add(
        ReviewEvent(
            postmortem_id=pm.id,
            action=action,
            from_status=pm.status,
            to_status=to_status,
            actor=actor,
            comment=(comment or "").strip() or None,
            at=at or utcnow(),
        )
    )
    pm.status = to_status


def _persons(session: Session, pm: Postmortem, role: str) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(PostmortemPerson, PostmortemPerson.person_id == Person.id)
            .where(PostmortemPerson.postmortem_id == pm.id, PostmortemPerson.role == role)
            .order_by(PostmortemPerson.position)
        )
    )


def _tell(
    session: Session, actor: Actor, incident: Incident, pm: Postmortem, people: Sequence[Person], kind: str,
    subject: str, body: str = "",
) -> None:  # fmt: skip
    """Notify people of the review step just recorded (not the person who acted), in its transaction; sent later."""
    session.flush()
    step = session.scalar(select(func.max(ReviewEvent.id)).where(ReviewEvent.postmortem_id == pm.id))
    me = person_of_actor(session, actor)
    message = Message(kind, subject, body, link=f"/incidents/{incident.key}/review", incident_id=incident.id)
    notify(session, people, message, key=f"{kind}:{incident.key}:{step}", skip=[me.id] if me else [])


def _state(session: Session, incident: Incident, pm: Postmortem, policy: Policy, **extra: list[str]) -> ReviewState:
    session.flush()
    history = _history(session, pm)
    steps = _approval_steps(history) if pm.status in ("in-review", "approved") else []
    open_comments = open_comments_count(session, pm.id)
    blockers: list[Blocker] = []
    if pm.status in UNPUBLISHED:
        doc = document_of(session, incident)
        blockers = publish_blockers(doc, policy, status=pm.status, approvals=len(steps), open_comments=open_comments)
    return ReviewState(
        incident_id=incident.key,
        title=incident.title,
        status=pm.status,
        authors=_people(session, pm, "author"),
        reviewers=_people(session, pm, "reviewer"),
        approvals=[step.actor for step in steps],
        approved_by=[Approval(by=step.actor, at=step.at, as_admin=step.action == ADMIN_APPROVE) for step in steps],
        approvals_needed=policy.approvals,
        published_at=pm.published_at,
        amended_at=pm.amended_at,
        amended_by=pm.amended_by,
        blockers=blockers,
        open_comments=open_comments,
        history=[ReviewEventView.model_validate(event, from_attributes=True) for event in history],
        **extra,
    )


def _check_actor(actor: str) -> str:
    if not actor.strip():
        raise InvalidInput("who is acting is unknown: give --as NAME or set AFTERACTION_USER", field="as")
    return actor.strip()


def review_state(db: Database, *, incident_id: str, actor: Actor, policy: Policy) -> ReviewState:
    """A post-mortem's review state, reviewers, approvals, publishing blockers and history."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        return _state(session, incident, _postmortem(session, incident), policy)


def account_named(session: Session, name: str) -> User | None:
    """The account a name means: an account of that name (matched case-insensitively, one spelled exactly so
    first), else the sign-in of the person the directory finds for it (a display name, e-mail or handle), or None."""
    clean = name.strip()
    rows = session.scalars(select(User).where(func.lower(User.name) == clean.lower()).order_by(User.id)).all()
    if rows:
        return next((row for row in rows if row.name == clean), rows[0])
    try:
        person = find_person(session, clean, add=False).person
    except InvalidInput:
        return None
    return session.get(User, person.user_id) if person.user_id is not None else None


def _reviewer(session: Session, name: str, incident: Incident, pm: Postmortem) -> Person:
    """The person a reviewer's name, e-mail or handle names; refused unless they sign in with an active editor's or
    admin's account and are not an author of the post-mortem."""
    try:
        person = find_person(session, name, add=False, field="reviewer").person
    except InvalidInput:
        person = None
    account = session.get(User, person.user_id) if person is not None and person.user_id is not None else None
    if account is None:
        raise InvalidInput(
            f"no account named '{name.strip()}': reviewers are users of afteraction "
            "(add one with `afteraction user create`)",
            field="reviewer",
        )
    if not account.active:
        raise InvalidInput(
            f"the account '{account.name}' is deactivated: reviewers are active users of afteraction "
            f"(reactivate it with `afteraction user set {account.name} --active`)",
            field="reviewer",
        )
    if account.role not in REVIEWER_ROLES:
        raise InvalidInput(
            f"{account.name} is a {account.role}: a reviewer needs an editor or admin account to approve "
            f"(`afteraction user set {account.name} --role editor`)",
            field="reviewer",
        )
    assert person is not None
    authors = session.scalars(
        select(PostmortemPerson.person_id).where(
            PostmortemPerson.postmortem_id == pm.id, PostmortemPerson.role == "author"
        )
    ).all()
    if person.id in authors:
        raise InvalidInput(
            f"{person.name} is an author of {incident.key}: an author cannot review their own post-mortem, "
            "name someone else",
            field="reviewer",
        )
    return person


def request_review(
    db: Database,
    *,
    incident_id: str,
    actor: Actor,
    policy: Policy,
    reviewers: Sequence[str] = (),
    comment: str | None = None,
) -> ReviewState:
    """Ask reviewers to review a draft (or add reviewers to a review under way). Each reviewer named is an active
    editor's or admin's account (matched case-insensitively, stored under the account's own spelling) and not an
    author; one refused name refuses the whole request."""
    who = _check_actor(actor.name)
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = _postmortem(session, incident)
        if pm.status not in ("draft", "in-review"):
            raise Conflict(f"{incident.key} is {pm.status}: only a draft can be sent for review")
        current = _people(session, pm, "reviewer")
        known = {name.lower() for name in current}
        added: list[Person] = []
        for name in reviewers:
            if not name.strip() or name.strip().lower() in known:
                continue
            person = _reviewer(session, name, incident, pm)
            if person.name.lower() in known:
                continue
            session.add(PostmortemPerson(postmortem_id=pm.id, person_id=person.id, role="reviewer",
                                         position=len(current)))  # fmt: skip
            current.append(person.name)
            known.add(person.name.lower())
            added.append(person)
        if not current:
            raise InvalidInput(f"{incident.key} has no reviewers: name at least one with --reviewer", field="reviewer")
        # A draft sent for review asks every reviewer; a review under way asks only those added now.
        asked = _persons(session, pm, "reviewer") if pm.status == "draft" else added
        _record(session, pm, "request", "in-review", who, comment)
        _tell(session, actor, incident, pm, asked, "review-requested",
              f"{who} asks you to review {incident.key}: {incident.title}", comment or "")  # fmt: skip
        return _state(session, incident, pm, policy)


def restart_review(
    db: Database, *, incident_id: str, actor: Actor, at: datetime | None = None, comment: str | None = None
) -> None:
    """Forget a post-mortem's review history and record one request to its reviewers: a reloaded demo starts over."""
    who = _check_actor(actor.name)
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = _postmortem(session, incident)
        reviewers = _people(session, pm, "reviewer")
        if not reviewers:
            raise InvalidInput(f"{incident.key} has no reviewers to ask", field="reviewer")
        session.execute(delete(ReviewEvent).where(ReviewEvent.postmortem_id == pm.id))
        pm.status, pm.published_at = "draft", None
        _record(session, pm, "request", "in-review", who, comment, at)


def _decider(session: Session, actor: Actor, incident: Incident, pm: Postmortem, verb: str) -> tuple[str, bool]:
    """Who approves or sends back, and whether as an admin who is not a named reviewer: a named reviewer or an admin
    (the signed-in user; on the command line, the active account `--as` names), else PermissionDenied."""
    who = _check_actor(actor.name)
    reviewers = _people(session, pm, "reviewer")
    named = ", ".join(reviewers) or "none yet"
    if actor.is_system:
        account = account_named(session, who)
        if account is None or not account.active:
            raise PermissionDenied(
                f"no account named '{who}': only a reviewer of {incident.key} ({named}) or an admin can {verb}"
            )
        who, role = account.name, account.role
        user_id: int | None = account.id
    else:
        role, user_id = actor.role, actor.user_id
    people = _persons(session, pm, "reviewer")
    match = next(
        (p.name for p in people if (user_id is not None and p.user_id == user_id) or p.name.lower() == who.lower()),
        None,
    )
    if match is not None:
        if role not in REVIEWER_ROLES:
            raise PermissionDenied(f"{who} is a {role}: a reviewer needs an editor or admin account to {verb}")
        return match, False
    if role == "admin":
        return who, True
    raise PermissionDenied(
        f"{who} is not a reviewer of {incident.key}: only its reviewers ({named}) or an admin can {verb}"
    )


def is_empty_draft(session: Session, incident: Incident, pm: Postmortem) -> bool:
    """Whether a post-mortem has nothing to review: no summary, no timeline event and no action item."""
    if (pm.summary or "").strip():
        return False
    has_event = session.scalar(select(exists().where(TimelineEvent.incident_id == incident.id)))
    has_item = session.scalar(select(exists().where(ActionItem.incident_id == incident.id)))
    return not (has_event or has_item)


def approve_review(
    db: Database, *, incident_id: str, actor: Actor, policy: Policy, comment: str | None = None
) -> ReviewState:
    """Record an approval by a named reviewer, or by an admin (recorded as `admin-approve`, counted the same); enough
    approvals (the policy's number) make the post-mortem approved. An author never approves their own post-mortem,
    and an empty draft cannot be approved."""
    _check_actor(actor.name)
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = _postmortem(session, incident)
        if pm.status != "in-review":
            raise Conflict(f"{incident.key} is {pm.status}, not in review: request a review first")
        authors = {name.lower() for name in _people(session, pm, "author")}
        if actor.name.strip().lower() in authors:
            raise PermissionDenied("an author cannot approve their own post-mortem: ask a reviewer")
        who, as_admin = _decider(session, actor, incident, pm, "approve it")
        if who.lower() in authors:
            raise PermissionDenied("an author cannot approve their own post-mortem: ask a reviewer")
        approvals = _approvals(_history(session, pm))
        if who in approvals:
            raise Conflict(f"{who} has already approved {incident.key}")
        if is_empty_draft(session, incident, pm):
            raise Conflict(
                f"{incident.key} is an empty draft: write a summary, a timeline or an action item "
                "before it can be approved"
            )
        enough = len(approvals) + 1 >= policy.approvals
        action = ADMIN_APPROVE if as_admin else "approve"
        _record(session, pm, action, "approved" if enough else "in-review", who, comment)
        so_far = "It can now be published." if enough else f"{len(approvals) + 1} of {policy.approvals} approvals."
        _tell(session, actor, incident, pm, _persons(session, pm, "author"), "approved",
              f"{who} approved {incident.key}: {incident.title}", f"{so_far}\n\n{comment or ''}".strip())  # fmt: skip
        return _state(session, incident, pm, policy)


def reject_review(db: Database, *, incident_id: str, actor: Actor, policy: Policy, comment: str) -> ReviewState:
    """Send a post-mortem under review back to draft, saying what must change: a named reviewer or an admin
    (recorded as `admin-reject`) may."""
    _check_actor(actor.name)
    if not comment.strip():
        raise InvalidInput("rejecting needs a comment saying what to change (--comment)", field="comment")
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = _postmortem(session, incident)
        if pm.status not in ("in-review", "approved"):
            raise Conflict(f"{incident.key} is {pm.status}: only a post-mortem under review can be rejected")
        who, as_admin = _decider(session, actor, incident, pm, "send it back")
        _record(session, pm, ADMIN_REJECT if as_admin else "reject", "draft", who, comment)
        _tell(session, actor, incident, pm, _persons(session, pm, "author"), "sent-back",
              f"{who} sent {incident.key} back to draft: {incident.title}", comment.strip())  # fmt: skip
        return _state(session, incident, pm, policy)


def _fill_due_dates(session: Session, incident: Incident, policy: Policy) -> list[str]:
    """Give open items without a due date the policy's default for their priority; returns what was filled."""
    filled = []
    items = session.scalars(
        select(ActionItem).where(
            ActionItem.incident_id == incident.id,
            ActionItem.due_date.is_(None),
            ActionItem.status.not_in(CLOSED_ACTION_STATUSES),
        )
    )
    for item in items:
        due = policy.action_due_date(priority=item.priority, opened=item.opened_at.date())
        if due is not None:
            item.due_date = due
            filled.append(f"AI-{item.id} due {due.isoformat()} ({item.priority or 'default'})")
    session.flush()
    return filled


def publish_review(
    db: Database, *, incident_id: str, actor: Actor, policy: Policy, comment: str | None = None
) -> ReviewState:
    """Publish an approved post-mortem; refused, with every reason, while the policy's checks fail."""
    who = _check_actor(actor.name)
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = _postmortem(session, incident)
        if pm.status not in UNPUBLISHED:
            raise Conflict(f"{incident.key} is {pm.status} and cannot be published again")
        filled = _fill_due_dates(session, incident, policy) if policy.require_due_date else []
        approvals = len(_approvals(_history(session, pm))) if pm.status == "in-review" else 0
        doc, open_comments = document_of(session, incident), open_comments_count(session, pm.id)
        blockers = publish_blockers(doc, policy, status=pm.status, approvals=approvals, open_comments=open_comments)
        if blockers:
            raise PublishRefused(incident.key, blockers)
        _record(session, pm, "publish", "published", who, comment)
        pm.published_at = utcnow()
        settle_closures(session, actor=actor, postmortem_ids=[pm.id])
        _tell(session, actor, incident, pm, _persons(session, pm, "author") + _persons(session, pm, "reviewer"),
              "published", f"{incident.key} is published: {incident.title}", f"Published by {who}.")  # fmt: skip
        return _state(session, incident, pm, policy, filled_due_dates=filled)


def settle_closures(
    session: Session,
    *,
    actor: Actor,
    postmortem_ids: Sequence[int] | None = None,
    incident_ids: Sequence[int] | None = None,
) -> list[str]:
    """Close published post-mortems whose items are all done or wont-do, reopen closed ones with open items again
    (all of them, or those of the post-mortem or incident row ids given, of the incidents the actor may see); returns
    `INC-n closed|published` lines."""
    open_items = exists().where(
        ActionItem.incident_id == Postmortem.incident_id, ActionItem.status.not_in(CLOSED_ACTION_STATUSES)
    )
    query = (
        select(Postmortem)
        .options(joinedload(Postmortem.incident))
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(
            or_(and_(Postmortem.status == "published", ~open_items), and_(Postmortem.status == "closed", open_items))
        )
        .where(visible_clause(actor, Incident.id, Incident.private))
    )
    if postmortem_ids is not None:
        query = query.where(Postmortem.id.in_(postmortem_ids))
    if incident_ids is not None:
        query = query.where(Postmortem.incident_id.in_(incident_ids))
    changed = []
    for pm in session.scalars(query):
        if pm.status == "published":
            _record(session, pm, "close", "closed", actor.name, "every action item is done or wont-do")
        else:
            _record(session, pm, "reopen", "published", actor.name, "an action item was reopened")
        changed.append(f"{pm.incident.key} {pm.status}")
    session.flush()
    return changed


def close_finished(db: Database, *, actor: Actor) -> list[str]:
    """Settle the closed state of every post-mortem the actor may see in one transaction; returns
    `INC-n closed|published` lines."""
    with db.transaction() as session:
        return settle_closures(session, actor=actor)


# ---------------------------------------------------------------- policy check


FindingKind = Literal["missing-postmortem", "late-postmortem", "overdue-action"]


class PolicyFinding(BaseModel):
    """One thing the policy says is missing or late."""

    kind: FindingKind
    incident_id: str
    title: str
    action_id: str | None = None
    owner: str | None = None
    status: str
    due: date | None = None
    days_late: int = 0
    message: str


class PolicyReport(BaseModel):
    """What `policy check` found on a day under a policy."""

    today: date
    policy_file: str | None = None
    findings: list[PolicyFinding] = Field(default_factory=list)

    def count(self, kind: FindingKind) -> int:
        """How many findings of one kind."""
        return sum(1 for finding in self.findings if finding.kind == kind)


def _resolution_day(incident: Incident) -> date | None:
    # The effective moments (hand-set, marked or derived from the timeline) that timeline.moments stores.
    if incident.effective_resolved_at is not None:
        return incident.effective_resolved_at.date()
    if incident.kind == "milestone" or incident.status in ("resolved", "closed"):
        moment = incident.effective_mitigated_at or incident.effective_started_at or incident.created_at
        return moment.date() if moment else None
    return None


def policy_check(db: Database, *, actor: Actor, policy: Policy, today: date | None = None) -> PolicyReport:
    """Incidents missing a post-mortem, late post-mortems and overdue action items under a policy (of the incidents
    the actor may see)."""
    today = today or utcnow().date()
    report = PolicyReport(today=today, policy_file=str(policy.source) if policy.source else None)
    required = or_(
        func.lower(Incident.kind).in_([k.lower() for k in policy.require_kinds]),
        func.upper(Incident.severity).in_([s.upper() for s in policy.require_severities]),
    )
    has_items = exists().where(ActionItem.incident_id == Incident.id)
    query = (
        select(Incident, Postmortem, has_items)
        .outerjoin(Postmortem, Postmortem.incident_id == Incident.id)
        .where(required, or_(Postmortem.id.is_(None), Postmortem.status.in_(UNPUBLISHED)))
        .where(visible_clause(actor, Incident.id, Incident.private))
        .order_by(Incident.number)
    )
    with db.transaction() as session:
        for incident, pm, items in session.execute(query):
            resolved = _resolution_day(incident)
            if resolved is None:
                continue
            due = pm.due_date if pm is not None and pm.due_date else None
            due = due or policy.postmortem_due_date(kind=incident.kind, severity=incident.severity, resolved=resolved)
            late = (today - due).days if due is not None and today > due else 0
            started = pm is not None and (
                items
                or any((getattr(pm, name) or "").strip() for name in ("summary", "impact", "trigger", "resolution"))
            )
            status = pm.status if pm is not None else "none"
            what = "retrospective" if incident.kind == "milestone" else "post-mortem"
            if not started:
                when = f", {late} days late" if late else (f", due {due.isoformat()}" if due else "")
                report.findings.append(
                    PolicyFinding(
                        kind="missing-postmortem",
                        incident_id=incident.key,
                        title=incident.title,
                        status=status,
                        due=due,
                        days_late=late,
                        message=f"{incident.key} needs a {what} and has none{when}",
                    )
                )
            elif late:
                report.findings.append(
                    PolicyFinding(
                        kind="late-postmortem",
                        incident_id=incident.key,
                        title=incident.title,
                        status=status,
                        due=due,
                        days_late=late,
                        message=f"the {what} of {incident.key} is {status}, {late} days past its due date "
                        f"{due.isoformat() if due else ''}",
                    )
                )
        overdue = session.scalars(
            select(ActionItem)
            .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
            .join(Incident, ActionItem.incident_id == Incident.id)
            .where(ActionItem.status.not_in(CLOSED_ACTION_STATUSES), ActionItem.due_date < today)
            .where(visible_clause(actor, Incident.id, Incident.private))
            .order_by(ActionItem.due_date, ActionItem.id)
        )
        for item in overdue:
            assert item.due_date is not None
            late = (today - item.due_date).days
            owner = item.owner.name if item.owner else None
            report.findings.append(
                PolicyFinding(
                    kind="overdue-action",
                    incident_id=item.incident.key,
                    title=item.title,
                    action_id=f"AI-{item.id}",
                    owner=owner,
                    status=item.status,
                    due=item.due_date,
                    days_late=late,
                    message=f"AI-{item.id} ({item.incident.key}) is {late} days overdue, "
                    f"owner {owner or 'none'}: {item.title}",
                )
            )
    return report
