"""Comments on a post-mortem: on a section, a why, a factor, a lesson, an action item or the whole document,
optionally quoting a passage of it; replies, @mentions (which notify the people mentioned), resolving and reopening.

A target is named as a reader writes it: a section's name (`Summary`, `impact`, a custom heading such as
`Attendees`), a why by its place in the tree (`W1.2`, the numbering of the editor and of action items' `addresses`),
a contributing factor by its place (`F3`), an action item by its key (`AI-7`), a lesson by its place (`lesson:2`),
or nothing (or `document`) for the whole. The row of a why, factor, lesson or action item is stored, so a thread
follows its target when whys are added before it; the label as typed is kept for a target since removed.

A thread is a comment and its replies (one level: a reply to a reply joins the thread). Only a thread is resolved or
reopened, by the comment's author or an author of the post-mortem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afteraction.accounts.models import User
from afteraction.actions.models import ActionItem
from afteraction.analysis.lint.structure import SECTION_LABELS
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident
from afteraction.notifications.service import Message, notify
from afteraction.people.models import Person
from afteraction.people.service import find_person, person_of_account
from afteraction.reviews.document import postmortem_row, why_tree
from afteraction.reviews.models import (
    Comment,
    ContributingFactor,
    ExtraSection,
    Lesson,
    Postmortem,
    PostmortemPerson,
    WhyNode,
)

TARGET_KINDS: tuple[str, ...] = ("document", "section", "why", "factor", "lesson", "action")
COMMENT_MAX = 10_000
QUOTE_MAX = 2_000
TARGET_MAX = 300  # comments.target_label
_WHY = re.compile(r"^W(\d+(?:\.\d+)*)$", re.IGNORECASE)
_FACTOR = re.compile(r"^F(\d+)$", re.IGNORECASE)
_ACTION = re.compile(r"^AI-?(\d+)$", re.IGNORECASE)
_LESSON = re.compile(r"^lessons?\s*[:#]?\s*(\d+)$", re.IGNORECASE)
# `@name`: not inside an e-mail address or a word; trailing dots and dashes end the sentence, not the name.
_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]*)")
_LIST_AT_MOST = 12  # how many existing targets an error names

# The sections of the format a comment can be on (the keys of SECTION_LABELS plus the problem statement), each
# with the words a reader may use for it, and the anchor of the section on the post-mortem page.
SECTION_NAMES: dict[str, str] = {**SECTION_LABELS, "problem_statement": "Problem Statement"}
_SECTION_WORDS: dict[str, str] = {
    "whys": "whys", "five whys": "whys", "why": "whys", "cause tree": "whys",
    "factors": "factors", "contributing factors": "factors", "root causes": "factors",
    "lessons": "lessons", "lessons learned": "learned", "learned": "learned",
    "went well": "went-well", "what went well": "went-well", "went wrong": "went-wrong",
    "what went wrong": "went-wrong", "lucky": "lucky", "where we got lucky": "lucky",
    "actions": "actions", "action items": "actions", "supporting info": "supporting_info",
    "supporting information": "supporting_info", "problem": "problem_statement",
    "problem statement": "problem_statement", "timeline": "timeline",
}  # fmt: skip
_SECTION_ANCHORS = {
    "timeline": "timeline-link", "went-well": "lessons", "went-wrong": "lessons", "lucky": "lessons",
    "learned": "lessons",
}  # fmt: skip
_PROSE = ("summary", "impact", "trigger", "detection", "resolution", "problem_statement", "supporting_info")


# ---------------------------------------------------------------- views


class CommentView(BaseModel):
    """A comment as every face shows it (`comment list --json`, the API): what it is on, who wrote it, its replies."""

    id: int
    on: str = Field(description="What it is on, as a reader names it now: Summary, W1.2, F3, AI-7, lesson:2, or "
                    "'document' for the whole.")  # fmt: skip
    target_kind: str
    anchor: str = Field(description="Where its target is on the post-mortem page (`why-1.2`, `AI-7`, `summary`).")
    text: str
    quote: str | None = None
    author: str
    mentions: list[str] = Field(default_factory=list)
    replies: list[CommentView] = Field(default_factory=list)
    parent_id: int | None = None
    resolved: bool = False
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    created_at: datetime


@dataclass
class Thread:
    """The comments on one target of a post-mortem, for the page: its label and anchor now, its comments (each with
    its replies, oldest first), and how many are open. `gone` says the target was removed since."""

    target_kind: str
    target_id: int | str | None  # a row id; a section's key ("summary") or custom section's row; None: the document
    label: str
    anchor: str
    comments: list[CommentView] = field(default_factory=list)
    gone: bool = False

    @property
    def open(self) -> int:
        """How many of its comments are not resolved."""
        return sum(1 for comment in self.comments if not comment.resolved)


@dataclass(frozen=True, slots=True)
class _Target:
    kind: str
    ref: int | str | None  # the key of its thread (see Thread.target_id)
    row_id: int | None  # what comments.target_id stores
    label: str
    anchor: str
    text: str  # what a quote must be part of


# ---------------------------------------------------------------- targets


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[#_\-*`:]+", " ", text).split()).lower()


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def _named(prefix: str, labels: Sequence[str]) -> str:
    if not labels:
        return f"{prefix} none yet"
    shown = ", ".join(labels[:_LIST_AT_MOST]) + (", …" if len(labels) > _LIST_AT_MOST else "")
    return f"{prefix} {shown}"


def why_labels(session: Session, postmortem_id: int) -> dict[int, str]:
    """Each why's label (`W1.2`) by its row id, in the tree's order."""
    rows = session.scalars(select(WhyNode).where(WhyNode.postmortem_id == postmortem_id)).all()
    _tree, paths = why_tree(rows)
    ordered = sorted(paths.items(), key=lambda item: [int(part) for part in item[1].split(".")])
    return {row_id: f"W{path}" for row_id, path in ordered}


def _ordered_ids(session: Session, model: type[ContributingFactor] | type[Lesson], postmortem_id: int) -> list[int]:
    return list(
        session.scalars(select(model.id).where(model.postmortem_id == postmortem_id).order_by(model.position, model.id))
    )


def _section_text(session: Session, pm: Postmortem, key: str) -> str:
    if key in _PROSE:
        return str(getattr(pm, key) or "")
    if key == "timeline":
        return pm.timeline_note or ""
    if key == "whys":
        texts = session.scalars(select(WhyNode.text).where(WhyNode.postmortem_id == pm.id))
        return "\n".join([pm.problem_statement or "", *texts])
    if key == "factors":
        return "\n".join(
            session.scalars(select(ContributingFactor.text).where(ContributingFactor.postmortem_id == pm.id))
        )
    if key in ("went-well", "went-wrong", "lucky", "learned", "lessons"):
        query = select(Lesson.text).where(Lesson.postmortem_id == pm.id)
        if key != "lessons":
            query = query.where(Lesson.kind == key)
        return "\n".join(session.scalars(query))
    if key == "actions":
        return "\n".join(session.scalars(select(ActionItem.title).where(ActionItem.incident_id == pm.incident_id)))
    return ""


def _section_key(text: str) -> str | None:
    wanted = _norm(text)
    for key, label in SECTION_NAMES.items():
        if wanted in (_norm(key), _norm(label)):
            return "lessons" if key == "learned" and wanted == "lessons" else key
    return _SECTION_WORDS.get(wanted)


def _section_label(key: str) -> str:
    return "Lessons" if key == "lessons" else SECTION_NAMES.get(key, key)


def _document_text(session: Session, pm: Postmortem) -> str:
    parts = [_section_text(session, pm, key) for key in (*_PROSE, "timeline", "whys", "factors", "lessons", "actions")]
    parts += [row.body for row in session.scalars(select(ExtraSection).where(ExtraSection.postmortem_id == pm.id))]
    return "\n".join(parts)


def _placed_target(
    session: Session,
    pm: Postmortem,
    model: type[ContributingFactor] | type[Lesson],
    place: int,
    kind: str,
    label: str,
    noun: str,
) -> _Target:
    """The factor or lesson at a place (1-based) of the post-mortem, labelled `label` (`F{}`, `lesson:{}`), or a
    one-line InvalidInput naming those that exist."""
    ids = _ordered_ids(session, model, pm.id)
    if not 0 < place <= len(ids):
        names = [label.format(n) for n in range(1, len(ids) + 1)]
        raise InvalidInput(f"no {noun}{label.format(place)}: {_named('the post-mortem has', names)}", field="on")
    row_id = ids[place - 1]
    text = session.scalar(select(model.text).where(model.id == row_id)) or ""
    return _Target(kind, row_id, row_id, label.format(place), f"{kind}-{place}", text)


def _find_target(session: Session, pm: Postmortem, on: str | None) -> _Target:
    """The target a reader's words name, or a one-line InvalidInput naming the targets that exist."""
    text = " ".join((on or "").split())
    if len(text) > TARGET_MAX:
        raise InvalidInput(f"a comment's target is at most {TARGET_MAX} characters", field="on")
    if not text or text.lower() in ("document", "the document", "whole document", "all"):
        return _Target("document", None, None, "document", "document", _document_text(session, pm))
    if match := _WHY.match(text):
        labels = why_labels(session, pm.id)
        wanted = f"W{'.'.join(str(int(part)) for part in match.group(1).split('.'))}"
        row_id = next((row for row, label in labels.items() if label == wanted), None)
        if row_id is None:
            raise InvalidInput(f"no why {wanted}: {_named('the tree has', list(labels.values()))}", field="on")
        node = session.get(WhyNode, row_id)
        return _Target("why", row_id, row_id, wanted, f"why-{wanted[1:]}", node.text if node else "")
    if match := _FACTOR.match(text):
        return _placed_target(session, pm, ContributingFactor, int(match.group(1)), "factor", "F{}", "factor ")
    if match := _LESSON.match(text):
        return _placed_target(session, pm, Lesson, int(match.group(1)), "lesson", "lesson:{}", "")
    if match := _ACTION.match(text):
        number = int(match.group(1))
        item = session.get(ActionItem, number)
        if item is None or item.incident_id != pm.incident_id:
            found = session.scalars(
                select(ActionItem.id).where(ActionItem.incident_id == pm.incident_id).order_by(ActionItem.id)
            )
            keys = [f"AI-{n}" for n in found]
            raise InvalidInput(f"no action item AI-{number} here: {_named('the post-mortem has', keys)}", field="on")
        return _Target("action", item.id, item.id, f"AI-{item.id}", f"AI-{item.id}", item.title)
    key = _section_key(text)
    if key is not None:
        return _Target("section", key, None, _section_label(key), _SECTION_ANCHORS.get(key, key),
                       _section_text(session, pm, key))  # fmt: skip
    extra = session.scalars(
        select(ExtraSection).where(ExtraSection.postmortem_id == pm.id).order_by(ExtraSection.position)
    ).all()
    for place, section in enumerate(extra, 1):
        if _norm(section.heading) == _norm(text):
            return _Target("section", section.id, section.id, section.heading, f"custom-{place}", section.body)
    names = ["Summary", "Impact", "Trigger", "Detection", "Resolution", "Timeline", "Five Whys", "…"]
    names += [section.heading for section in extra]
    raise InvalidInput(
        f"no section '{text}': the post-mortem has {', '.join(names)}; or name a why (W1.2), a factor (F1), "
        "an action item (AI-7) or a lesson (lesson:1)",
        field="on",
    )


def _target_of(session: Session, pm: Postmortem, row: Comment) -> _Target:
    """The target of a stored comment as it is now (a removed why, factor, lesson or item: its label as typed)."""
    if row.target_kind == "document" or (row.target_kind == "section" and row.target_id is None):
        try:
            return _find_target(session, pm, None if row.target_kind == "document" else row.target_label)
        except InvalidInput:
            pass
    else:
        found = _current_targets(session, pm).get((row.target_kind, row.target_id))
        if found is not None and row.target_kind != "section":
            return _find_target(session, pm, found[0])
        if found is not None:
            section = session.get(ExtraSection, row.target_id)
            return _Target("section", row.target_id, row.target_id, found[0], found[1], section.body if section else "")
    return _Target(row.target_kind, row.target_id, row.target_id, row.target_label, "comments", "")


def _current_targets(session: Session, pm: Postmortem) -> dict[tuple[str, int | None], tuple[str, str]]:
    """The label and anchor of every why, factor, lesson, action item and custom section now, by (kind, row id)."""
    found: dict[tuple[str, int | None], tuple[str, str]] = {}
    for row_id, label in why_labels(session, pm.id).items():
        found[("why", row_id)] = (label, f"why-{label[1:]}")
    for place, row_id in enumerate(_ordered_ids(session, ContributingFactor, pm.id), 1):
        found[("factor", row_id)] = (f"F{place}", f"factor-{place}")
    for place, row_id in enumerate(_ordered_ids(session, Lesson, pm.id), 1):
        found[("lesson", row_id)] = (f"lesson:{place}", f"lesson-{place}")
    for row_id in session.scalars(select(ActionItem.id).where(ActionItem.incident_id == pm.incident_id)):
        found[("action", row_id)] = (f"AI-{row_id}", f"AI-{row_id}")
    extra = session.scalars(
        select(ExtraSection).where(ExtraSection.postmortem_id == pm.id).order_by(ExtraSection.position)
    )
    for place, section in enumerate(extra, 1):
        found[("section", section.id)] = (section.heading, f"custom-{place}")
    return found


# ---------------------------------------------------------------- people


def _lookup(session: Session, text: str, field_name: str) -> Person | None:
    """The person a text names; None when it names nobody; several are refused naming them."""
    try:
        return find_person(session, text, add=False, field=field_name).person
    except InvalidInput as exc:
        if "matches nobody" in exc.message:
            return None
        raise


def _acting_person(session: Session, actor: Actor) -> Person | None:
    """The person who acts: a signed-in user's person (added on first use); on the command line, the person the
    acting name (--as) names, or the person of the account of that name."""
    if actor.user_id is not None:
        user = session.get(User, actor.user_id)
        return person_of_account(session, user) if user is not None else None
    name = actor.name.strip()
    if not name:
        return None
    found = _lookup(session, name, "as")
    if found is not None:
        return found
    account = session.scalar(select(User).where(func.lower(User.name) == name.lower()))
    return person_of_account(session, account) if account is not None else None


def _mentioned(session: Session, text: str) -> list[Person]:
    """The people `@name`s of a text name (a name, account, Slack id or GitHub login); an @word that names nobody is
    text, one that names several is refused naming them."""
    people: list[Person] = []
    for match in _MENTION.finditer(text):
        word = match.group(1).rstrip("._-")
        if not word:
            continue
        try:
            person = _lookup(session, word, "text")
        except InvalidInput as exc:
            raise InvalidInput(f"@{word}: {exc.message}", field="text") from None
        if person is not None and person not in people:
            people.append(person)
    return people


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        person_id: name
        for person_id, name in session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    }


# ---------------------------------------------------------------- reading


def _labeller(session: Session, pm: Postmortem, rows: Sequence[Comment]) -> Callable[[Comment], CommentView]:
    """A function making the view of each of these rows (the names they need read at once)."""
    current = _current_targets(session, pm)
    names = _names(session, [i for row in rows for i in (row.author_id, row.resolved_by_id, *(row.mentions or []))])

    def view(row: Comment) -> CommentView:
        if row.target_kind == "document":
            label, anchor = row.target_label, "document"
        elif row.target_kind == "section" and row.target_id is None:
            key = _section_key(row.target_label) or ""
            label, anchor = row.target_label, _SECTION_ANCHORS.get(key, key or "comments")
        else:
            label, anchor = current.get((row.target_kind, row.target_id), (row.target_label, "comments"))
        return CommentView(
            id=row.id, on=label, target_kind=row.target_kind, anchor=anchor, text=row.text, quote=row.quote,
            author=names.get(row.author_id, "someone"), mentions=[names[i] for i in row.mentions or [] if i in names],
            parent_id=row.parent_id, resolved=row.resolved_at is not None,
            resolved_by=names.get(row.resolved_by_id) if row.resolved_by_id else None, resolved_at=row.resolved_at,
            created_at=row.created_at,
        )  # fmt: skip

    return view


def _views(session: Session, pm: Postmortem, rows: Sequence[Comment]) -> list[CommentView]:
    """Top-level comments with their replies nested, oldest first, each labelled as its target is named now."""
    view = _labeller(session, pm, rows)
    tops: dict[int, CommentView] = {}
    replies: list[Comment] = []
    for row in sorted(rows, key=lambda r: (r.created_at, r.id)):
        if row.parent_id is None:
            tops[row.id] = view(row)
        else:
            replies.append(row)
    for row in replies:
        parent = tops.get(row.parent_id or -1)
        if parent is not None:
            parent.replies.append(view(row))
    return list(tops.values())


def _rows(session: Session, postmortem_id: int) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment).where(Comment.postmortem_id == postmortem_id).order_by(Comment.created_at, Comment.id)
        )
    )


def threads_of(session: Session, postmortem_id: int) -> dict[tuple[str, int | str | None], Thread]:
    """Every thread of a post-mortem grouped by target, `(target_kind, target_id)`: target_id is the row id of a
    why, factor, lesson, action item or custom section, a section's key (`"summary"`, `"whys"`) for the format's
    sections, None for the whole document. For the page, which shows each beside what it concerns: see
    `threads_by_label` to find them by the label the page prints (W1.2, F3, AI-7, lesson:2, Summary)."""
    pm = session.get(Postmortem, postmortem_id)
    if pm is None:
        return {}
    current = _current_targets(session, pm)
    rows = {row.id: row for row in _rows(session, postmortem_id)}
    threads: dict[tuple[str, int | str | None], Thread] = {}
    for comment in _views(session, pm, list(rows.values())):
        row = rows[comment.id]
        ref: int | str | None = row.target_id
        if row.target_kind == "section" and row.target_id is None:
            ref = _section_key(row.target_label) or _norm(row.target_label)
        gone = row.target_id is not None and (row.target_kind, row.target_id) not in current
        key = (row.target_kind, ref)
        if key not in threads:
            threads[key] = Thread(row.target_kind, ref, comment.on, comment.anchor, gone=gone)
        threads[key].comments.append(comment)
    return threads


def threads_by_label(threads: Iterable[Thread]) -> dict[str, Thread]:
    """Threads by the lower-case label of their target now, as the editor finds them beside each target: `w1.2`,
    `f3`, `ai-7`, `lesson:2`, `summary` (a section's key), a custom section's heading, `document`. Removed targets
    are left out."""
    found: dict[str, Thread] = {}
    for thread in threads:
        if thread.gone:
            continue
        ref = thread.target_id
        found[ref if thread.target_kind == "section" and isinstance(ref, str) else thread.label.lower()] = thread
    return found


def open_comments_count(session: Session, postmortem_id: int) -> int:
    """How many comments of a post-mortem are open (threads not resolved; replies are not counted apart)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Comment)
            .where(Comment.postmortem_id == postmortem_id, Comment.parent_id.is_(None), Comment.resolved_at.is_(None))
        )
        or 0
    )


def list_comments(db: Database, *, incident_id: str, actor: Actor, open_only: bool = False) -> list[CommentView]:
    """The comments of a post-mortem the actor may see, oldest first, replies nested; `open_only` leaves out the
    resolved threads."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
        if pm is None:
            return []
        found = _views(session, pm, _rows(session, pm.id))
        return [comment for comment in found if not comment.resolved] if open_only else found


def comment_threads(db: Database, *, incident_id: str, actor: Actor) -> list[Thread]:
    """Every thread of a post-mortem the actor may see, those with open comments first, then in the document's
    order of their first comment."""
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))
        if pm is None:
            return []
        threads = list(threads_of(session, pm.id).values())
        return sorted(threads, key=lambda thread: (thread.open == 0, thread.comments[0].created_at))


# ---------------------------------------------------------------- writing


def _clean_text(text: str) -> str:
    clean = text.strip()
    if not clean:
        raise InvalidInput("a comment needs text", field="text")
    if len(clean) > COMMENT_MAX:
        raise InvalidInput(f"a comment is at most {COMMENT_MAX} characters", field="text")
    return clean


def _check_quote(quote: str | None, target: _Target) -> str | None:
    clean = " ".join((quote or "").split())
    if not clean:
        return None
    if len(clean) > QUOTE_MAX:
        raise InvalidInput(f"a quote is at most {QUOTE_MAX} characters", field="quote")
    if _squash(clean) not in _squash(target.text):
        where = "the document" if target.kind == "document" else target.label
        raise InvalidInput(f"'{clean[:60]}' is not in {where}: quote a passage of what you comment on", field="quote")
    return clean


def add_comment(
    db: Database,
    *,
    incident_id: str,
    actor: Actor,
    text: str,
    on: str | None = None,
    quote: str | None = None,
    parent_id: int | None = None,
    link_base: str = "",
) -> CommentView:
    """Comment on a target of a post-mortem (see the module), or reply to a comment (`parent_id`, on its target).
    The author is the acting person; each person @mentioned (but the author) is notified, once per comment."""
    clean = _clean_text(text)
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor)
        pm = postmortem_row(session, incident)
        author = _acting_person(session, actor)
        if author is None:
            raise InvalidInput(
                f"who is acting is unknown: '{actor.name}' is nobody in the directory of people; "
                "give --as NAME (a person's name, e-mail or handle)",
                field="as",
            )
        parent: Comment | None = None
        if parent_id is not None:
            parent = session.get(Comment, parent_id)
            if parent is None or parent.postmortem_id != pm.id:
                raise InvalidInput(f"no comment {parent_id} on {incident.key} to reply to", field="parent_id")
            if parent.parent_id is not None:  # a reply to a reply joins the thread
                parent = session.get(Comment, parent.parent_id)
                assert parent is not None
        target = _target_of(session, pm, parent) if parent is not None else _find_target(session, pm, on)
        kind, row_id, label = target.kind, target.row_id, target.label
        checked_quote = _check_quote(quote, target) if quote else None
        mentioned = _mentioned(session, clean)
        row = Comment(
            postmortem_id=pm.id, parent_id=parent.id if parent else None, target_kind=kind, target_id=row_id,
            target_label=label, quote=checked_quote, author_id=author.id, text=clean,
            mentions=[person.id for person in mentioned], created_at=utcnow(),
        )  # fmt: skip
        session.add(row)
        session.flush()
        if mentioned:
            where = "the whole post-mortem" if kind == "document" else label
            body = clean if not checked_quote else f"> {checked_quote}\n\n{clean}"
            message = Message(
                kind="mentioned",
                subject=f"{author.name} mentioned you on {incident.key} ({where}): {incident.title}"[:300],
                body=body,
                link=f"{link_base}/incidents/{incident.key}/postmortem#{target.anchor}",
                incident_id=incident.id,
            )
            notify(session, mentioned, message, key=f"mentioned:{row.id}", skip=[author.id])
        return _labeller(session, pm, [row])(row)


def _load_thread(session: Session, comment_id: int, actor: Actor, incident_id: str | None) -> tuple[Comment, Incident]:
    """A comment the actor may see (NotFound, also for a comment of a private incident they may not see)."""
    row = session.get(Comment, comment_id)
    pm = session.get(Postmortem, row.postmortem_id) if row is not None else None
    incident = session.get(Incident, pm.incident_id) if pm is not None else None
    if row is None or incident is None:
        raise NotFound(f"no comment {comment_id}")
    try:
        load_incident(session, incident.key, actor)
    except NotFound:
        raise NotFound(f"no comment {comment_id}") from None
    if incident_id is not None and load_incident(session, incident_id, actor).id != incident.id:
        raise NotFound(f"no comment {comment_id} on {incident_id.upper()}")
    if row.parent_id is not None:
        raise InvalidInput(
            f"comment {comment_id} is a reply: resolve or reopen its thread, comment {row.parent_id}", field="comment"
        )
    return row, incident


def _check_may_settle(session: Session, row: Comment, actor: Actor, verb: str) -> Person:
    person = _acting_person(session, actor)
    authors = list(
        session.scalars(
            select(Person)
            .join(PostmortemPerson, PostmortemPerson.person_id == Person.id)
            .where(PostmortemPerson.postmortem_id == row.postmortem_id, PostmortemPerson.role == "author")
            .order_by(PostmortemPerson.position)
        )
    )
    if person is not None and (person.id == row.author_id or person.id in {a.id for a in authors}):
        return person
    writer = _names(session, [row.author_id]).get(row.author_id, "someone")
    named = ", ".join(a.name for a in authors) or "none yet"
    raise PermissionDenied(
        f"only the comment's author ({writer}) or an author of the post-mortem ({named}) can {verb} comment {row.id}"
    )


def resolve_comment(db: Database, *, comment_id: int, actor: Actor, incident_id: str | None = None) -> CommentView:
    """Resolve a thread: its comment's author or an author of the post-mortem may; `incident_id` (the API's path)
    must be the comment's incident."""
    with db.transaction() as session:
        row, _incident = _load_thread(session, comment_id, actor, incident_id)
        person = _check_may_settle(session, row, actor, "resolve")
        if row.resolved_at is not None:
            by = _names(session, [row.resolved_by_id]).get(row.resolved_by_id or -1, "someone")
            raise Conflict(f"comment {row.id} is already resolved (by {by})")
        row.resolved_at, row.resolved_by_id = utcnow(), person.id
        session.flush()
        pm = session.get(Postmortem, row.postmortem_id)
        assert pm is not None
        return _views(session, pm, [row, *_replies(session, row)])[0]


def reopen_comment(db: Database, *, comment_id: int, actor: Actor, incident_id: str | None = None) -> CommentView:
    """Reopen a resolved thread (the same people who may resolve it)."""
    with db.transaction() as session:
        row, _incident = _load_thread(session, comment_id, actor, incident_id)
        _check_may_settle(session, row, actor, "reopen")
        if row.resolved_at is None:
            raise Conflict(f"comment {row.id} is open already")
        row.resolved_at, row.resolved_by_id = None, None
        session.flush()
        pm = session.get(Postmortem, row.postmortem_id)
        assert pm is not None
        return _views(session, pm, [row, *_replies(session, row)])[0]


def _replies(session: Session, row: Comment) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.parent_id == row.id)))
