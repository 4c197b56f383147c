"""The team's review meeting: what to go through (post-mortems to review, action items due or overdue per owner, the
last meeting's decisions), what happens during it (an item discussed, its status or due date changed, a decision
recorded) and afterwards (the minutes as Markdown, sent to the attendees)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import InvalidInput
from afteraction.domain.actions import ActionChanges
from afteraction.incidents.service import load_incident
from afteraction.meetings import service as meetings
from afteraction.meetings.service import MeetingView
from afteraction.notifications.service import Message, notify
from afteraction.usecases.actions import update_action
from afteraction.usecases.agenda import Agenda, build_agenda


@dataclass(frozen=True, slots=True)
class MeetingBoard:
    """A meeting, what it goes through, and the previous meeting of the team (for its decisions)."""

    meeting: MeetingView
    agenda: Agenda
    previous: MeetingView | None

    @property
    def discussed(self) -> set[str]:
        """The items and post-mortems marked discussed."""
        return {note.action_id or note.incident_id or "" for note in self.meeting.notes if note.kind == "discussed"}


def meeting_board(db: Database, *, meeting_id: int, actor: Actor, today: date | None = None) -> MeetingBoard:
    """The meeting with its agenda: items of its team since the previous meeting (or a week), of the incidents the
    actor may see."""
    meeting = meetings.get_meeting(db, meeting_id=meeting_id, actor=actor)
    previous = meetings.previous_meeting(db, meeting_id=meeting_id, actor=actor)
    since = previous.held_on if previous else meeting.held_on - timedelta(days=7)
    agenda = build_agenda(db, team=meeting.team, since=since, today=today or meeting.held_on, actor=actor)
    return MeetingBoard(meeting=meeting, agenda=agenda, previous=previous)


def mark_discussed(db: Database, *, meeting_id: int, target: str, actor: Actor) -> MeetingView:
    """Mark an action item (AI-7) or a post-mortem (INC-4) discussed."""
    clean = target.strip().upper()
    with db.transaction() as session:
        if clean.startswith("AI-"):
            item = meetings.action_row(session, clean, actor)
            meetings.add_note(session, meeting_id=meeting_id, kind="discussed", text="", actor=actor,
                              incident_row_id=item.incident_id, action_row_id=item.id)  # fmt: skip
        elif clean.startswith("INC-"):
            incident = load_incident(session, clean, actor)
            meetings.add_note(session, meeting_id=meeting_id, kind="discussed", text="", actor=actor,
                              incident_row_id=incident.id)  # fmt: skip
        else:
            raise InvalidInput(f"'{target}' is neither an action item (AI-7) nor an incident (INC-4)", field="target")
    return meetings.get_meeting(db, meeting_id=meeting_id, actor=actor)


def change_item(
    db: Database,
    *,
    meeting_id: int,
    action_id: str,
    actor: Actor,
    status: str | None = None,
    due: date | None = None,
    reason: str | None = None,
) -> MeetingView:
    """Change an item's status or due date during the meeting; the change and its note are one transaction."""
    if status is None and due is None:
        raise InvalidInput("change the status or the due date", field="status")
    with db.transaction() as session:
        before = meetings.action_row(session, action_id, actor)
        old_status, old_due = before.status, before.due_date

    def note(session: Session, item: ActionItem) -> None:
        said = [f"AI-{item.id}"]
        if status is not None and status != old_status:
            said.append(f"status {old_status} → {item.status}")
        if due is not None and due != old_due:
            said.append(f"due {old_due.isoformat() if old_due else 'none'} → {due.isoformat()}")
        meetings.add_note(session, meeting_id=meeting_id, kind="changed", text=", ".join(said), actor=actor,
                          incident_row_id=item.incident_id, action_row_id=item.id)  # fmt: skip

    update_action(db, actor=actor, action_id=action_id,
                  changes=ActionChanges(status=status, due=due, reason=reason), also=note)  # fmt: skip
    return meetings.get_meeting(db, meeting_id=meeting_id, actor=actor)


def record_decision(
    db: Database, *, meeting_id: int, text: str, actor: Actor, incident_id: str | None = None
) -> MeetingView:
    """Record a decision (about an incident, optionally)."""
    with db.transaction() as session:
        row = load_incident(session, incident_id, actor).id if incident_id else None
        meetings.add_note(session, meeting_id=meeting_id, kind="decision", text=text, actor=actor,
                          incident_row_id=row)  # fmt: skip
    return meetings.get_meeting(db, meeting_id=meeting_id, actor=actor)


def minutes(board: MeetingBoard) -> str:
    """The minutes as Markdown: who came, decisions, changes, what was discussed, and what is still open."""
    meeting, agenda = board.meeting, board.agenda
    team = f" — team {meeting.team}" if meeting.team else ""
    out = [f"# {meeting.title}, {meeting.held_on.isoformat()}{team}", ""]
    out += [f"Attendees: {', '.join(meeting.attendees) or 'none recorded'}", ""]

    def about(note: meetings.NoteView) -> str:
        return f" ({note.action_id or note.incident_id})" if (note.action_id or note.incident_id) else ""

    out += ["## Decisions", ""]
    out += [f"- {note.text}{' (' + note.incident_id + ')' if note.incident_id else ''}" for note in meeting.decisions]
    out += [] if meeting.decisions else ["No decision was recorded."]
    changes = [note for note in meeting.notes if note.kind == "changed"]
    out += ["", "## Changes to action items", ""]
    out += [f"- {note.text}" for note in changes] or ["No action item was changed."]
    discussed = [note for note in meeting.notes if note.kind == "discussed"]
    out += ["", "## Discussed", ""]
    out += [f"- {(note.action_id or note.incident_id)}" for note in discussed] or ["Nothing was marked discussed."]
    overdue = [item for items in agenda.open_by_owner.values() for item in items if item.overdue]
    out += ["", f"## Still overdue ({len(overdue)})", ""]
    out += [f"- {i.id} {i.title} ({i.incident_id}) — {i.owner or 'no owner'}, due {i.due}" for i in overdue] or [
        "Nothing is overdue."
    ]
    if board.previous and board.previous.decisions:
        out += ["", f"## Decisions of the previous meeting ({board.previous.held_on.isoformat()})", ""]
        out += [f"- {note.text}{about(note)}" for note in board.previous.decisions]
    return "\n".join(out).rstrip() + "\n"


def send_minutes(db: Database, *, meeting_id: int, actor: Actor) -> int:
    """End the meeting and send its minutes to the attendees (through the outbox); the number of messages written."""
    meetings.end_meeting(db, meeting_id=meeting_id, actor=actor)
    board = meeting_board(db, meeting_id=meeting_id, actor=actor)
    text = minutes(board)
    link = f"/meetings/{meeting_id}"  # the sender makes it absolute (AFTERACTION_BASE_URL)
    with db.transaction() as session:
        people = meetings.attendees_of(session, meeting_id)
        if not people:
            raise InvalidInput("the meeting has no attendees to send the minutes to", field="attendees")
        subject = f"Minutes: {board.meeting.title}, {board.meeting.held_on.isoformat()}"
        written = notify(session, people, Message(kind="minutes", subject=subject, body=text, link=link),
                         key=f"minutes:{meeting_id}:{utcnow().isoformat()}")  # fmt: skip
        meetings.mark_minutes_sent(session, meeting_id)
        return written
