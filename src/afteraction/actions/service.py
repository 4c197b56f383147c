"""Action items: add, change, read and list them (open, overdue, by owner), each as its actor may see it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import Select, Table, func, select, tuple_, update
from sqlalchemy.orm import Session, joinedload

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.cursors import cursor_date, cursor_int, decode_cursor, encode_cursor
from afteraction.core.db import MAX_INTEGER, Database, check_version, utcnow
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.core.validation import check_choice
from afteraction.core.visibility import can_see, visible_clause
from afteraction.domain.actions import (
    ACTION_STATUSES,
    ACTION_TITLE_MAX,
    ACTION_TYPES,
    CAUSE_ADDRESS,
    CLOSED_ACTION_STATUSES,
    OPEN_ACTION_STATUSES,
    PRIORITIES,
    ActionChanges,
    ActionItemData,
    ActionItemView,
)
from afteraction.domain.policy import Policy
from afteraction.incidents.models import Incident
from afteraction.incidents.service import load_incident, parse_incident_id, serialise_writes
from afteraction.notifications.service import Message, notify
from afteraction.people.models import Person
from afteraction.people.service import get_or_create_person, person_of_actor

_ACTION_TABLE = cast(Table, ActionItem.__table__)
_ACTION_KEY = re.compile(r"^(?:AI-)?(\d+)$", re.IGNORECASE)


def parse_action_id(value: str) -> int:
    """The number of an action item id such as `AI-7` (or `7`)."""
    match = _ACTION_KEY.match(value.strip())
    if not match:
        raise InvalidInput(f"not an action item id: {value!r} (expected AI-<number>)", field="action_id")
    number = int(match.group(1))
    if number > MAX_INTEGER:
        raise NotFound(f"no action item AI-{number}")
    return number


def check_action_title(title: str) -> str:
    """An action item's title stripped, refused when empty or too long."""
    clean = title.strip()
    if not clean:
        raise InvalidInput("the action item title must not be empty", field="title")
    if len(clean) > ACTION_TITLE_MAX:
        raise InvalidInput(
            f"the action item title is {len(clean)} characters long; at most {ACTION_TITLE_MAX}", field="title"
        )
    return clean


def view_of(item: ActionItem, *, today: date | None = None) -> ActionItemView:
    """The domain view of an action item row."""
    today = today or utcnow().date()
    return ActionItemView(
        id=f"AI-{item.id}",
        incident_id=item.incident.key,
        incident_title=item.incident.title,
        title=item.title,
        type=item.type,
        owner=item.owner.name if item.owner else None,
        due=item.due_date,
        priority=item.priority,
        status=item.status,
        status_reason=item.status_reason,
        tracker=item.tracker_key,
        tracker_url=item.tracker_url,
        details=dict(item.details or {}),
        opened_at=item.opened_at,
        closed_at=item.closed_at,
        overdue=item.status in OPEN_ACTION_STATUSES and item.due_date is not None and item.due_date < today,
        version=item.version,
    )


def _load(session: Session, action_id: str, actor: Actor, *, for_update: bool = False) -> ActionItem:
    """The action item of an id, or NotFound; `for_update` locks its row until the transaction ends (see
    serialise_writes), so the version read is the one a write replaces."""
    number = parse_action_id(action_id)
    query = (
        select(ActionItem)
        .where(ActionItem.id == number)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
    )
    if for_update:
        serialise_writes(session)
        query = query.with_for_update(of=ActionItem).execution_options(populate_existing=True)
    item = session.scalar(query)
    if item is None or not can_see(session, actor, item.incident.id, item.incident.private):
        raise NotFound(f"no action item AI-{number}")
    return item


def open_counts(session: Session, incident_ids: Sequence[int]) -> dict[int, int]:
    """How many open (or in-progress) action items each incident row id has; those with none are left out."""
    rows = session.execute(
        select(ActionItem.incident_id, func.count())
        .where(ActionItem.incident_id.in_(incident_ids), ActionItem.status.in_(OPEN_ACTION_STATUSES))
        .group_by(ActionItem.incident_id)
    )
    return {incident_id: count for incident_id, count in rows}


def get_action(db: Database, *, action_id: str, actor: Actor) -> ActionItemView:
    """One action item by id."""
    with db.transaction() as session:
        return view_of(_load(session, action_id, actor))


def add_action(
    db: Database,
    *,
    incident_id: str,
    title: str,
    owner: str | None = None,
    due: date | None = None,
    type: str | None = None,
    priority: str | None = None,
    policy: Policy | None = None,
    actor: Actor,
    also: Callable[[Session, ActionItem], object] | None = None,
) -> ActionItemView:
    """Add an action item to an incident's post-mortem; without a due date it gets the policy's for its priority.

    Its id (AI-n) is the table's own key, so concurrent adds never clash; the incident's row is locked while its
    position is taken, and a new owner is upserted (get_or_create_person). `also` (given the session and the new
    row) writes, in the same transaction, whatever else records the addition (an amendment of a published one).
    """
    title = check_action_title(title)
    type = check_choice(type, ACTION_TYPES, "type") if type else None
    priority = check_choice(priority, PRIORITIES, "priority") if priority else None
    if due is None and policy is not None:
        due = policy.action_due_date(priority=priority, opened=utcnow().date())
    with db.transaction() as session:
        incident = load_incident(session, incident_id, actor, for_update=True)
        position = session.scalar(
            select(func.coalesce(func.max(ActionItem.position), -1) + 1).where(ActionItem.incident_id == incident.id)
        )
        item = ActionItem(
            incident=incident,
            title=title,
            owner=get_or_create_person(session, owner) if owner and owner.strip() else None,
            due_date=due,
            type=type,
            priority=priority,
            status="open",
            position=position or 0,
        )
        session.add(item)
        session.flush()
        _tell_owner(session, actor, item)
        if also is not None:
            also(session, item)
        return view_of(item)


def _tell_owner(session: Session, actor: Actor, item: ActionItem) -> None:
    """Notify an item's new owner that it is theirs (not when they took it themselves); sent later."""
    if item.owner is None:
        return
    session.flush()
    me = person_of_actor(session, actor)
    key = item.incident.key
    due = f", due {item.due_date.isoformat()}" if item.due_date else ""
    message = Message(
        "assigned", f"You own AI-{item.id}: {item.title}",
        f"{actor.name} gave you action item AI-{item.id}{due} of {key} {item.incident.title}.",
        link=f"/incidents/{key}/postmortem#AI-{item.id}", incident_id=item.incident_id,
    )  # fmt: skip
    notify(session, [item.owner], message, key=f"assigned:AI-{item.id}:{item.owner.id}:{item.version}",
           skip=[me.id] if me else [])  # fmt: skip


def change_action(session: Session, *, actor: Actor, action_id: str, changes: ActionChanges) -> tuple[ActionItem, bool]:
    """Apply changes to an action item inside the caller's transaction; returns the row and whether its status changed.

    Closing stamps the time; wont-do needs a reason; a version that moved on meanwhile is a Conflict. The row is
    locked first, so a change without a version never clashes: it applies after any other writer's (last writer wins).
    """
    item = _load(session, action_id, actor, for_update=True)
    check_version(f"AI-{item.id}", item.version, changes.expected_version)
    if changes.title is not None:
        item.title = check_action_title(changes.title)
    owner_before = item.owner_id
    if changes.owner is not None:
        item.owner = get_or_create_person(session, changes.owner) if changes.owner.strip() else None
    if changes.due is not None:
        item.due_date = changes.due
    if changes.type is not None:
        item.type = check_choice(changes.type, ACTION_TYPES, "type")
    if changes.priority is not None:
        item.priority = check_choice(changes.priority, PRIORITIES, "priority")
    if changes.reason is not None:
        item.status_reason = changes.reason.strip() or None
    changed = False
    if changes.status is not None:
        status = check_choice(changes.status, ACTION_STATUSES, "status")
        if status == "wont-do" and not item.status_reason:
            raise InvalidInput("marking an action item wont-do needs a reason (--reason)", field="reason")
        changed = status != item.status
        if changed:
            item.closed_at = utcnow() if status in CLOSED_ACTION_STATUSES else None
        item.status = status
    session.flush()
    if item.owner_id is not None and item.owner_id != owner_before:
        _tell_owner(session, actor, item)
    return item, changed


def remove_action(
    session: Session, *, actor: Actor, action_id: str, expected_version: int | None = None
) -> ActionItemView:
    """Delete an action item inside the caller's transaction (its tracker links go with it); returns it as it was.

    The row is locked first; a version that moved on meanwhile is a Conflict. Why it was deleted is the caller's to
    record (the post-mortem's history, see usecases/editor.py)."""
    item = _load(session, action_id, actor, for_update=True)
    check_version(f"AI-{item.id}", item.version, expected_version)
    gone = view_of(item)
    session.delete(item)
    session.flush()
    return gone


def move_action(db: Database, *, action_id: str, step: int, actor: Actor) -> list[ActionItemView]:
    """Move an action item up (`step` -1) or down (1) among its incident's items; at either end it stays. Returns the
    incident's items in their new order. The order is not the items' content: their versions stay as they are."""
    with db.transaction() as session:
        item = _load(session, action_id, actor)
        load_incident(session, item.incident.key, actor, for_update=True)  # one reorder of an incident at a time
        ordered = list(
            session.scalars(
                select(ActionItem)
                .where(ActionItem.incident_id == item.incident_id)
                .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
                .order_by(ActionItem.position, ActionItem.id)
            )
        )
        index = next(i for i, row in enumerate(ordered) if row.id == item.id)
        other = index + step
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, row in enumerate(ordered):
            if row.position != position:
                # A table-level UPDATE: it leaves the row's own version alone, so an open edit form stays current.
                session.execute(update(_ACTION_TABLE).where(ActionItem.id == row.id).values(position=position))
        return [view_of(row) for row in ordered]


def current_version(db: Database, action_id: str) -> int | None:
    """The stored version of an action item (for the Conflict of a write that lost a race)."""
    with db.transaction() as session:
        return session.scalar(select(ActionItem.version).where(ActionItem.id == parse_action_id(action_id)))


MAX_PAGE = 500  # action items per page at most (the API's ?limit=)
DEFAULT_PAGE = 100
_WHAT = "this list of action items"
# The order of every list of action items: soonest due first, those without a due date last, then by incident and
# place in it. A page is read after its cursor's row in two parts (with a due date, then without), each in its own
# order, the same on both databases.
_DUE = (ActionItem.due_date, ActionItem.incident_id, ActionItem.position, ActionItem.id)
_UNDUE = (ActionItem.incident_id, ActionItem.position, ActionItem.id)


def _actions_query(
    session: Session,
    *,
    incident_id: str | None,
    open_only: bool,
    overdue: bool,
    owner: str | None,
    today: date,
    actor: Actor,
) -> Select[ActionItem]:
    """The action items the actor may see that pass the filters, in no order; an incident that does not exist (or
    that the actor may not see) is NotFound."""
    if incident_id:
        load_incident(session, incident_id, actor)
    query = (
        select(ActionItem)
        .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
        .join(Incident, ActionItem.incident_id == Incident.id)
        .where(visible_clause(actor, Incident.id, Incident.private))
    )
    if incident_id:
        query = query.where(Incident.number == parse_incident_id(incident_id))
    if open_only or overdue:
        query = query.where(ActionItem.status.in_(OPEN_ACTION_STATUSES))
    if overdue:
        query = query.where(ActionItem.due_date < today)
    if owner:
        query = query.join(Person, ActionItem.owner_id == Person.id).where(
            func.lower(Person.name) == owner.strip().lower()
        )
    return query


def list_actions(
    db: Database,
    *,
    incident_id: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
    owner: str | None = None,
    today: date | None = None,
    actor: Actor,
) -> list[ActionItemView]:
    """Action items across incidents, soonest due first; filters combine; private incidents' only for members.

    An incident that does not exist (or that the actor may not see) is NotFound, not an empty list.
    """
    today = today or utcnow().date()
    with db.transaction() as session:
        query = _actions_query(
            session,
            incident_id=incident_id,
            open_only=open_only,
            overdue=overdue,
            owner=owner,
            today=today,
            actor=actor,
        )
        query = query.order_by(ActionItem.due_date.asc().nulls_last(), *_UNDUE)
        return [view_of(item, today=today) for item in session.scalars(query)]


def _cursor_key(cursor: str) -> tuple[date | None, int, int, int]:
    """The (due date, incident row, position, id) of a page cursor's last item; InvalidInput naming `cursor`."""
    _, due, incident_row, position, item_id = decode_cursor(cursor, _WHAT, ("ai",), 5)
    numbers = (cursor_int(incident_row, _WHAT), cursor_int(position, _WHAT), cursor_int(item_id, _WHAT))
    return (cursor_date(due, _WHAT), *numbers)


def _after(query: Select[ActionItem], key: tuple[date | None, int, int, int] | None) -> list[Select[ActionItem]]:
    """The queries that read on after `key` (None: from the first item), in the order their rows come."""
    dated = query.where(ActionItem.due_date.is_not(None)).order_by(*_DUE)
    undated = query.where(ActionItem.due_date.is_(None)).order_by(*_UNDUE)
    if key is None:
        return [dated, undated]
    due, *rest = key
    if due is None:  # every item with a due date comes before one without
        return [undated.where(tuple_(*_UNDUE) > tuple(rest))]
    return [dated.where(tuple_(*_DUE) > key), undated]


def page_actions(
    db: Database,
    *,
    incident_id: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
    owner: str | None = None,
    today: date | None = None,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
    actor: Actor,
) -> tuple[list[ActionItemView], str | None]:
    """A page of the action items list_actions lists, in its order: up to `limit` (1 to MAX_PAGE) after `cursor`
    (None: from the first), and the cursor of the next page (None on the last). Pages are keyset pages: no item is
    skipped or shown twice while items are added before the cursor."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: between 1 and {MAX_PAGE} action items per page", field="limit")
    key = _cursor_key(cursor) if cursor is not None else None
    today = today or utcnow().date()
    with db.transaction() as session:
        query = _actions_query(
            session,
            incident_id=incident_id,
            open_only=open_only,
            overdue=overdue,
            owner=owner,
            today=today,
            actor=actor,
        )
        rows: list[ActionItem] = []
        for part in _after(query, key):
            if len(rows) > limit:
                break
            rows.extend(session.scalars(part.limit(limit + 1 - len(rows))))
        more, rows = len(rows) > limit, rows[:limit]
        next_cursor = None
        if more:
            last = rows[-1]
            due = last.due_date.isoformat() if last.due_date else None
            next_cursor = encode_cursor(["ai", due, last.incident_id, last.position, last.id])
        return [view_of(item, today=today) for item in rows], next_cursor


def replace_actions(
    session: Session,
    incident: Incident,
    actions: Sequence[ActionItemData],
    factor_ids: Sequence[int],
    why_ids: dict[str, int],
    where: str,
    history_before: datetime | None = None,
) -> None:
    """Update the incident's action items to match the document, keeping the ids of items with the same title.

    The items of an incident imported from a document that dates it before `history_before` are history: a new one
    was opened when the incident happened, and one stated done (or won't do) closed when it was resolved, not at
    the import.
    """
    now = utcnow()
    history = (
        incident.imported
        and incident.happened_at is not None
        and history_before is not None
        and incident.happened_at < history_before
    )
    opened = incident.happened_at if history and incident.happened_at is not None else now
    closed = min(max(incident.effective_resolved_at or opened, opened), now) if history else now
    existing = list(
        session.scalars(select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(ActionItem.id))
    )
    by_title: dict[str, list[ActionItem]] = {}
    for item in existing:
        by_title.setdefault(item.title, []).append(item)
    kept: set[int] = set()
    for position, data in enumerate(actions):
        matches = by_title.get(data.title)
        item = matches.pop(0) if matches else ActionItem(incident_id=incident.id, opened_at=opened)
        factor_id = why_id = None
        if data.addresses:
            match = CAUSE_ADDRESS.match(data.addresses.strip())
            if match and match.group(1) and 0 < int(match.group(1)) <= len(factor_ids):
                factor_id = factor_ids[int(match.group(1)) - 1]
            elif match and match.group(2) and match.group(2) in why_ids:
                why_id = why_ids[match.group(2)]
            else:
                raise InvalidInput(
                    f"{where}:{data.line or 0}: action item {data.title!r} addresses {data.addresses!r}, "
                    "which names no factor (F1…) or why (W1.2…) of this document",
                    field="addresses",
                )
        status = check_choice(data.status, ACTION_STATUSES, "status")
        if status in CLOSED_ACTION_STATUSES and item.closed_at is None:
            item.closed_at = closed
        elif status not in CLOSED_ACTION_STATUSES:
            item.closed_at = None
        item.title = data.title
        item.type = check_choice(data.type, ACTION_TYPES, "type") if data.type else None
        item.priority = check_choice(data.priority, PRIORITIES, "priority") if data.priority else None
        item.owner = get_or_create_person(session, data.owner) if data.owner and data.owner.strip() else None
        item.due_date = data.due
        item.status = status
        item.tracker_key = data.tracker
        item.details = dict(data.details) or None
        item.factor_id = factor_id
        item.why_node_id = why_id
        item.position = position
        session.add(item)
        session.flush()
        kept.add(item.id)
    for item in existing:
        if item.id not in kept:
            session.delete(item)
