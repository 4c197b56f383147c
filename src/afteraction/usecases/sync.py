"""Use case of `actions sync`: every open action item gets one tracker issue, status comes back, edits go out.

Safe to run from cron, twice at once, and after a failure: each create is claimed first (a lease on the item's
tracker link, committed before the request) and carries a stable marker, so a run that lost the tracker's answer
finds the issue the next time instead of making a second one."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Literal, cast

from pydantic import BaseModel, Field
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from afteraction.actions.models import ActionItem, TrackerLink
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import TrackerAuthError, TrackerError
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import CLOSED_ACTION_STATUSES, OPEN_ACTION_STATUSES
from afteraction.domain.policy import Policy
from afteraction.incidents.models import Incident
from afteraction.reviews.workflow import settle_closures
from afteraction.trackers import TRACKER_TITLES, Tracker, TrackerItem, TrackerUnreachable

LEASE = timedelta(minutes=10)
ChangeKind = Literal["create", "created", "found", "push", "updated", "status", "failed", "skipped"]


class SyncChange(BaseModel):
    """What sync did (or, in a dry run, would do) to one action item."""

    action_id: str
    incident_id: str
    title: str
    change: ChangeKind
    key: str | None = None
    url: str | None = None
    detail: str = ""


class SyncReport(BaseModel):
    """What one run of `actions sync` did."""

    tracker: str
    dry_run: bool = False
    changes: list[SyncChange] = Field(default_factory=list)
    closed: list[str] = Field(default_factory=list)
    aborted: str | None = None

    @property
    def failures(self) -> list[SyncChange]:
        """The items that could not be synced this time."""
        return [change for change in self.changes if change.change == "failed"]


def link_for(base_url: str | None, incident_key: str) -> str | None:
    """The web address of a post-mortem, when the public URL of afteraction is known."""
    return f"{base_url.rstrip('/')}/incidents/{incident_key}" if base_url else None


def _tracker_item(item: ActionItem, marker: str, policy: Policy, base_url: str | None) -> TrackerItem:
    owner = item.owner.name if item.owner else None
    contact = policy.contact(owner) if owner else None
    email = (item.owner.email if item.owner else None) or (contact.email if contact else None)
    return TrackerItem(
        action_id=f"AI-{item.id}",
        title=item.title,
        incident_id=item.incident.key,
        incident_title=item.incident.title,
        marker=marker,
        due=item.due_date,
        priority=item.priority,
        type=item.type,
        owner=owner,
        owner_email=email,
        owner_github=contact.github if contact else None,
        link=link_for(base_url, item.incident.key),
    )


def _load_item(session: Session, item_id: int) -> ActionItem:
    item = session.scalar(
        select(ActionItem)
        .where(ActionItem.id == item_id)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
    )
    assert item is not None
    return item


def _candidates(session: Session, tracker: str, actor: Actor) -> list[tuple[int, TrackerLink | None]]:
    """Open items of the incidents the actor may see with this tracker's link (or none yet), in a stable order."""
    rows = session.execute(
        select(ActionItem.id, TrackerLink)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .outerjoin(TrackerLink, (TrackerLink.action_item_id == ActionItem.id) & (TrackerLink.tracker == tracker))
        .where(ActionItem.status.in_(OPEN_ACTION_STATUSES), visible_clause(actor, Incident.id, Incident.private))
        .order_by(ActionItem.id)
    ).all()
    return [(int(item_id), link) for item_id, link in rows]


def _claim(
    db: Database, *, item_id: int, tracker: str, policy: Policy, base_url: str | None
) -> tuple[TrackerItem, bool] | None:
    """Claim an item for creating its issue: (what to send, whether an earlier attempt may have landed) or None."""
    now = utcnow()
    try:
        with db.transaction() as session:
            link = session.scalar(
                select(TrackerLink)
                .where(TrackerLink.action_item_id == item_id, TrackerLink.tracker == tracker)
                .with_for_update(skip_locked=True)
            )
            if link is None:
                if session.scalar(select(TrackerLink.id).where(TrackerLink.action_item_id == item_id,
                                                               TrackerLink.tracker == tracker)):  # fmt: skip
                    return None  # locked by another run right now
                link = TrackerLink(action_item_id=item_id, tracker=tracker, marker=uuid.uuid4().hex, attempts=0)
                session.add(link)
                session.flush()
            # The lease is taken with a conditional UPDATE so that two runs cannot both win it.
            won = cast(
                CursorResult[Any],
                session.execute(
                    update(TrackerLink)
                    .where(
                        TrackerLink.id == link.id,
                        TrackerLink.key.is_(None),
                        or_(TrackerLink.claimed_until.is_(None), TrackerLink.claimed_until < now),
                    )
                    .values(claimed_until=now + LEASE, attempts=TrackerLink.attempts + 1)
                    .execution_options(synchronize_session=False)
                ),
            )
            if won.rowcount != 1:
                return None
            item = _load_item(session, item_id)
            if item.status not in OPEN_ACTION_STATUSES:
                return None
            return _tracker_item(item, link.marker, policy, base_url), link.attempts > 0
    except IntegrityError:
        return None  # another run created the link at the same moment


def _release(db: Database, *, item_id: int, tracker: str, error: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(TrackerLink)
            .where(TrackerLink.action_item_id == item_id, TrackerLink.tracker == tracker)
            .values(claimed_until=None, last_error=error[:2000])
        )


def _record_created(db: Database, *, item_id: int, tracker: str, key: str, url: str | None, sent: TrackerItem) -> None:
    with db.transaction() as session:
        link = session.scalar(
            select(TrackerLink).where(TrackerLink.action_item_id == item_id, TrackerLink.tracker == tracker)
        )
        assert link is not None
        now = utcnow()
        link.key, link.url, link.claimed_until, link.last_error = key, url, None, None
        link.pushed_title, link.pushed_due, link.remote_status, link.synced_at = sent.title, sent.due, "open", now
        item = _load_item(session, item_id)
        item.tracker, item.tracker_key, item.tracker_url = tracker, key, url


def _apply_status(item: ActionItem, link: TrackerLink, state: str, name: str, tracker: str) -> str:
    """Follow a status change made in the tracker; returns what changed, or an empty string."""
    if state == link.remote_status or state == item.status:
        return ""
    where = f"{name} in {TRACKER_TITLES[tracker]} ({link.key})"
    if state in CLOSED_ACTION_STATUSES:
        item.status = state
        item.closed_at = utcnow()
        if state == "wont-do" and not item.status_reason:
            item.status_reason = where
        return f"{state}: {where}"
    if state == "in-progress" and item.status == "open":
        item.status = "in-progress"
        return f"in-progress: {where}"
    return ""


def sync_actions(
    db: Database,
    *,
    tracker: Tracker,
    policy: Policy,
    actor: Actor,
    base_url: str | None = None,
    dry_run: bool = False,
) -> SyncReport:
    """Create missing issues, push changed titles and due dates, read statuses back; one item at a time."""
    report = SyncReport(tracker=tracker.name, dry_run=dry_run)
    with db.transaction() as session:
        candidates = _candidates(session, tracker.name, actor)
        snapshot = {
            item.id: item
            for item in session.scalars(
                select(ActionItem)
                .where(ActionItem.id.in_([item_id for item_id, _ in candidates]))
                .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
            )
        }
        session.expunge_all()
    touched: set[int] = set()
    try:
        for item_id, link in candidates:
            item = snapshot[item_id]
            base = {"action_id": f"AI-{item.id}", "incident_id": item.incident.key, "title": item.title}
            if link is None or link.key is None:
                if item.tracker_key and (link is None or link.attempts == 0):
                    report.changes.append(SyncChange(**base, change="skipped", key=item.tracker_key,
                                                     detail="already tracked by hand"))  # fmt: skip
                    continue
                if dry_run:
                    report.changes.append(SyncChange(**base, change="create"))
                    continue
                _create(db, report, tracker, item_id, policy, base_url, base)
                continue
            sent = _tracker_item(item, link.marker, policy, base_url)
            push = link.pushed_title != item.title or link.pushed_due != item.due_date
            if dry_run:
                report.changes.append(SyncChange(**base, change="push" if push else "status", key=link.key))
                continue
            try:
                if push:
                    tracker.update(link.key, sent)
                status = tracker.fetch_status(link.key)
            except TrackerUnreachable:
                raise
            except TrackerAuthError:
                raise
            except TrackerError as exc:
                report.changes.append(SyncChange(**base, change="failed", key=link.key, detail=exc.message))
                continue
            with db.transaction() as session:
                row = session.get(TrackerLink, link.id)
                fresh = _load_item(session, item_id)
                assert row is not None
                if push:
                    row.pushed_title, row.pushed_due = sent.title, sent.due
                changed = _apply_status(fresh, row, status.state, status.name, tracker.name)
                row.remote_status, row.synced_at = status.state, utcnow()
            if changed:
                touched.add(item.incident_id)
            detail = "; ".join(part for part in ("title and due date pushed" if push else "", changed) if part)
            report.changes.append(
                SyncChange(**base, change="updated" if push else "status", key=link.key, url=link.url, detail=detail)
            )
    except (TrackerUnreachable, TrackerAuthError) as exc:
        report.aborted = exc.message
        if isinstance(exc, TrackerAuthError):
            raise
    finally:
        tracker.close()
        if touched and not dry_run:
            with db.transaction() as session:
                report.closed = settle_closures(session, actor=actor, incident_ids=list(touched))
    return report


def _create(
    db: Database,
    report: SyncReport,
    tracker: Tracker,
    item_id: int,
    policy: Policy,
    base_url: str | None,
    base: dict[str, str],
) -> None:
    claimed = _claim(db, item_id=item_id, tracker=tracker.name, policy=policy, base_url=base_url)
    if claimed is None:
        report.changes.append(SyncChange(**base, change="skipped", detail="another sync run is working on it"))
        return
    sent, maybe_landed = claimed
    try:
        issue = tracker.find(sent) if maybe_landed else None
        found = issue is not None
        issue = issue or tracker.create(sent)
    except TrackerError as exc:
        _release(db, item_id=item_id, tracker=tracker.name, error=exc.message)
        if isinstance(exc, TrackerUnreachable | TrackerAuthError):
            raise
        report.changes.append(SyncChange(**base, change="failed", detail=exc.message))
        return
    _record_created(db, item_id=item_id, tracker=tracker.name, key=issue.key, url=issue.url, sent=sent)
    report.changes.append(SyncChange(**base, change="found" if found else "created", key=issue.key, url=issue.url))
