"""Review meetings: start one with its attendees, record what it discussed, changed and decided, end it, and read it
back (with the decisions of the team's previous meeting). Notes about an incident the reader may not see are left
out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import Conflict, InvalidInput, NotFound
from afteraction.core.validation import check_choice
from afteraction.core.visibility import visible_clause
from afteraction.incidents.models import Incident
from afteraction.meetings.models import Meeting, MeetingAttendee, MeetingNote
from afteraction.people.models import Person
from afteraction.people.service import find_person

NOTE_KINDS = ("decision", "discussed", "changed")


class NoteView(BaseModel):
    """One thing a meeting did."""

    id: int
    kind: str
    text: str
    incident_id: str | None = None
    action_id: str | None = None
    actor: str
    at: datetime


class MeetingView(BaseModel):
    """A meeting with its attendees and notes (those the reader may see)."""

    id: int
    title: str
    team: str | None = None
    held_on: date
    created_by: str
    ended_at: datetime | None = None
    minutes_sent_at: datetime | None = None
    attendees: list[str] = Field(default_factory=list)
    notes: list[NoteView] = Field(default_factory=list)

    @property
    def decisions(self) -> list[NoteView]:
        """What the meeting decided."""
        return [note for note in self.notes if note.kind == "decision"]


def _meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    return meeting


def _view(session: Session, meeting: Meeting, actor: Actor) -> MeetingView:
    attendees = session.scalars(
        select(Person.name)
        .join(MeetingAttendee, MeetingAttendee.person_id == Person.id)
        .where(MeetingAttendee.meeting_id == meeting.id)
        .order_by(Person.name)
    ).all()
    rows = session.execute(
        select(MeetingNote, Incident.number)
        .outerjoin(Incident, Incident.id == MeetingNote.incident_id)
        .where(MeetingNote.meeting_id == meeting.id)
        .where(or_(MeetingNote.incident_id.is_(None), visible_clause(actor, Incident.id, Incident.private)))
        .order_by(MeetingNote.id)
    ).all()
    notes = [
        NoteView(
            id=note.id,
            kind=note.kind,
            text=note.text,
            actor=note.actor,
            at=note.at,
            incident_id=f"INC-{number}" if number is not None else None,
            action_id=f"AI-{note.action_id}" if note.action_id is not None else None,
        )
        for note, number in rows
    ]
    return MeetingView(
        id=meeting.id, title=meeting.title, team=meeting.team, held_on=meeting.held_on, created_by=meeting.created_by,
        ended_at=meeting.ended_at, minutes_sent_at=meeting.minutes_sent_at, attendees=list(attendees), notes=notes,
    )  # fmt: skip


def start_meeting(
    db: Database, *, title: str, held_on: date, attendees: Sequence[str], team: str | None = None, actor: Actor
) -> MeetingView:
    """Start a meeting; each attendee is a person of the directory (a name, e-mail or handle; a new name is added)."""
    clean = " ".join(title.split())
    if not clean:
        raise InvalidInput("a meeting needs a title", field="title")
    with db.transaction() as session:
        meeting = Meeting(title=clean[:300], team=(team or "").strip() or None, held_on=held_on,
                          created_by=actor.name[:200])  # fmt: skip
        session.add(meeting)
        session.flush()
        for name in dict.fromkeys(a.strip() for a in attendees if a.strip()):
            person = find_person(session, name, add=True, field="attendees").person
            there = select(MeetingAttendee.id).where(
                MeetingAttendee.meeting_id == meeting.id, MeetingAttendee.person_id == person.id
            )
            if session.scalar(there) is None:
                session.add(MeetingAttendee(meeting_id=meeting.id, person_id=person.id))
        session.flush()
        return _view(session, meeting, actor)


def get_meeting(db: Database, *, meeting_id: int, actor: Actor) -> MeetingView:
    """A meeting with what the reader may see of it."""
    with db.transaction() as session:
        return _view(session, _meeting(session, meeting_id), actor)


def list_meetings(db: Database, *, actor: Actor, limit: int = 50) -> list[MeetingView]:
    """The latest meetings first."""
    with db.transaction() as session:
        rows = session.scalars(select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(limit))
        return [_view(session, meeting, actor) for meeting in rows]


def previous_meeting(db: Database, *, meeting_id: int, actor: Actor) -> MeetingView | None:
    """The meeting of the same team held before this one, if any."""
    with db.transaction() as session:
        meeting = _meeting(session, meeting_id)
        team_match = Meeting.team.is_(None) if meeting.team is None else Meeting.team == meeting.team
        earlier = session.scalars(
            select(Meeting)
            .where(team_match, Meeting.id != meeting.id)
            .where(
                or_(Meeting.held_on < meeting.held_on, (Meeting.held_on == meeting.held_on) & (Meeting.id < meeting.id))
            )
            .order_by(Meeting.held_on.desc(), Meeting.id.desc())
            .limit(1)
        ).first()
        return _view(session, earlier, actor) if earlier is not None else None


def add_note(
    session: Session,
    *,
    meeting_id: int,
    kind: str,
    text: str,
    actor: Actor,
    incident_row_id: int | None = None,
    action_row_id: int | None = None,
) -> MeetingNote:
    """Record what a meeting did, in the caller's transaction; an ended meeting takes no more notes."""
    check_choice(kind, NOTE_KINDS, "kind")
    meeting = _meeting(session, meeting_id)
    if meeting.ended_at is not None:
        raise Conflict(f"the meeting '{meeting.title}' has ended: start a new one to record more")
    clean = text.strip()
    if kind == "decision" and not clean:
        raise InvalidInput("write the decision", field="text")
    note = MeetingNote(meeting_id=meeting.id, kind=kind, text=clean[:5000], actor=actor.name[:200],
                       incident_id=incident_row_id, action_id=action_row_id, at=utcnow())  # fmt: skip
    session.add(note)
    session.flush()
    return note


def action_row(session: Session, action_id: str, actor: Actor) -> ActionItem:
    """An action item the actor may see, by its key (AI-7)."""
    from afteraction.actions.service import parse_action_id

    item = session.scalar(
        select(ActionItem)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(ActionItem.id == parse_action_id(action_id), visible_clause(actor, Incident.id, Incident.private))
    )
    if item is None:
        raise NotFound(f"no action item {action_id}")
    return item


def end_meeting(db: Database, *, meeting_id: int, actor: Actor) -> MeetingView:
    """End a meeting: its minutes are final."""
    with db.transaction() as session:
        meeting = _meeting(session, meeting_id)
        if meeting.ended_at is None:
            meeting.ended_at = utcnow()
        return _view(session, meeting, actor)


def attendees_of(session: Session, meeting_id: int) -> list[Person]:
    """The people at a meeting."""
    return list(
        session.scalars(
            select(Person).join(MeetingAttendee, MeetingAttendee.person_id == Person.id)
            .where(MeetingAttendee.meeting_id == meeting_id).order_by(Person.name)
        )
    )  # fmt: skip


def mark_minutes_sent(session: Session, meeting_id: int) -> None:
    """Record that the minutes went out."""
    _meeting(session, meeting_id).minutes_sent_at = utcnow()
