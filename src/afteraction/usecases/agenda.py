"""Use case of `actions agenda`: what a review meeting goes through, as Markdown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from afteraction.actions.models import ActionItem
from afteraction.actions.service import view_of
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import OPEN_ACTION_STATUSES, ActionItemView
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.people.models import Person
from afteraction.reviews.models import Postmortem, PostmortemPerson, ReviewEvent

NO_OWNER = "(no owner)"


class AwaitingReview(BaseModel):
    """A post-mortem waiting for its reviewers."""

    incident_id: str
    title: str
    severity: str | None = None
    reviewers: list[str] = Field(default_factory=list)
    waiting_since: datetime | None = None


class Agenda(BaseModel):
    """The agenda of a review meeting."""

    today: date
    since: date
    team: str | None = None
    horizon_days: int = 7
    open_by_owner: dict[str, list[ActionItemView]] = Field(default_factory=dict)
    due_soon: list[ActionItemView] = Field(default_factory=list)
    completed: list[ActionItemView] = Field(default_factory=list)
    awaiting_review: list[AwaitingReview] = Field(default_factory=list)


def _team_filter(query: Select[ActionItem], team: str | None) -> Select[ActionItem]:
    if not team:
        return query
    teams = select(IncidentLabel.incident_id).where(IncidentLabel.kind == "team", IncidentLabel.value == team.strip())
    return query.where(ActionItem.incident_id.in_(teams))


def build_agenda(
    db: Database,
    *,
    team: str | None = None,
    since: date | None = None,
    today: date | None = None,
    horizon_days: int = 7,
    actor: Actor,
) -> Agenda:
    """Open and overdue items by owner, items due soon, items completed since the last meeting, reviews waiting: of
    the incidents the actor may see."""
    today = today or utcnow().date()
    since = since or today - timedelta(days=7)
    agenda = Agenda(today=today, since=since, team=team, horizon_days=horizon_days)
    visible = visible_clause(actor, Incident.id, Incident.private)
    items = (
        select(ActionItem)
        .join(Incident, ActionItem.incident_id == Incident.id)
        .where(visible)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
    )
    with db.transaction() as session:
        open_items = session.scalars(
            _team_filter(items.where(ActionItem.status.in_(OPEN_ACTION_STATUSES)), team).order_by(
                ActionItem.due_date.asc().nulls_last(), ActionItem.id
            )
        )
        for item in open_items:
            view = view_of(item, today=today)
            agenda.open_by_owner.setdefault(view.owner or NO_OWNER, []).append(view)
            if item.due_date is not None and today <= item.due_date <= today + timedelta(days=horizon_days):
                agenda.due_soon.append(view)
        start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
        done = session.scalars(
            _team_filter(
                items.where(ActionItem.status.not_in(OPEN_ACTION_STATUSES), ActionItem.closed_at >= start), team
            ).order_by(ActionItem.closed_at, ActionItem.id)
        )
        agenda.completed = [view_of(item, today=today) for item in done]
        reviews = select(Postmortem).options(joinedload(Postmortem.incident)).where(Postmortem.status == "in-review")
        if team:
            teams = select(IncidentLabel.incident_id).where(IncidentLabel.kind == "team", IncidentLabel.value == team)
            reviews = reviews.where(Postmortem.incident_id.in_(teams))
        for pm in session.scalars(
            reviews.join(Incident, Incident.id == Postmortem.incident_id).where(visible).order_by(Incident.number)
        ):
            reviewers = session.scalars(
                select(Person.name)
                .join(PostmortemPerson, PostmortemPerson.person_id == Person.id)
                .where(PostmortemPerson.postmortem_id == pm.id, PostmortemPerson.role == "reviewer")
                .order_by(PostmortemPerson.position)
            )
            requested = session.scalar(
                select(ReviewEvent.at)
                .where(ReviewEvent.postmortem_id == pm.id, ReviewEvent.action == "request")
                .order_by(ReviewEvent.id.desc())
                .limit(1)
            )
            agenda.awaiting_review.append(
                AwaitingReview(
                    incident_id=pm.incident.key,
                    title=pm.incident.title,
                    severity=pm.incident.severity,
                    reviewers=list(reviewers),
                    waiting_since=requested,
                )
            )
    # Owners with overdue work first, then by name; the unowned last.
    agenda.open_by_owner = dict(
        sorted(
            agenda.open_by_owner.items(),
            key=lambda pair: (pair[0] == NO_OWNER, not any(i.overdue for i in pair[1]), pair[0].lower()),
        )
    )
    return agenda


def _line(item: ActionItemView, today: date, *, owner: bool = False) -> str:
    parts = [f"**{item.id}** {item.title} ({item.incident_id})"]
    if owner:
        parts.append(item.owner or "no owner")
    if item.due is None:
        parts.append("no due date")
    elif item.overdue:
        parts.append(f"due {item.due.isoformat()}, **overdue by {(today - item.due).days} days**")
    else:
        parts.append(f"due {item.due.isoformat()}")
    parts += [p for p in (item.priority, item.status if item.status != "open" else None, item.tracker) if p]
    return "- " + " — ".join(parts[:1]) + (" — " + ", ".join(parts[1:]) if parts[1:] else "")


def render_agenda(agenda: Agenda) -> str:
    """The agenda as Markdown."""
    scope = f" — team {agenda.team}" if agenda.team else ""
    out = [f"# Post-mortem review meeting, {agenda.today.isoformat()}{scope}", ""]
    overdue = sum(1 for items in agenda.open_by_owner.values() for i in items if i.overdue)
    total = sum(len(items) for items in agenda.open_by_owner.values())
    out += [f"## Open action items by owner ({total} open, {overdue} overdue)", ""]
    if not agenda.open_by_owner:
        out += ["No open action items.", ""]
    for owner, items in agenda.open_by_owner.items():
        late = sum(1 for i in items if i.overdue)
        out += [f"### {owner}" + (f" ({late} overdue)" if late else ""), ""]
        out += [_line(i, agenda.today) for i in items] + [""]
    out += [f"## Due in the next {agenda.horizon_days} days", ""]
    out += [_line(i, agenda.today, owner=True) for i in agenda.due_soon] or ["Nothing is due."]
    out += ["", f"## Completed since {agenda.since.isoformat()}", ""]
    completed = [
        f"- **{i.id}** {i.title} ({i.incident_id}) — {i.owner or 'no owner'}, {i.status}"
        + (f" ({i.status_reason})" if i.status == "wont-do" and i.status_reason else "")
        + (f" on {i.closed_at.date().isoformat()}" if i.closed_at else "")
        for i in agenda.completed
    ]
    out += completed or ["Nothing was completed."]
    out += ["", "## Post-mortems awaiting review", ""]
    waiting = [
        f"- **{r.incident_id}** {r.title}"
        + (f" ({r.severity})" if r.severity else "")
        + f" — reviewers: {', '.join(r.reviewers) or 'none'}"
        + (f", waiting since {r.waiting_since.date().isoformat()}" if r.waiting_since else "")
        for r in agenda.awaiting_review
    ]
    out += waiting or ["None."]
    return "\n".join(out) + "\n"
