"""Adding and changing an action item: closing (or reopening) its published post-mortem when that finishes it, and
recording an item added or retitled after publication as an amendment of the post-mortem (reviews/amendments.py).
A change of status, owner or due date is following the item, not amending the post-mortem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Required, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from afteraction.actions import service as actions
from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, changed_meanwhile
from afteraction.domain.actions import ActionChanges, ActionItemView
from afteraction.domain.policy import Policy
from afteraction.reviews.amendments import SECTION_NAMES, note_amendment
from afteraction.reviews.models import Postmortem
from afteraction.reviews.workflow import settle_closures


@dataclass
class ActionUpdate:
    """An item after a change, and the post-mortems the change closed or reopened (`INC-n closed|published`)."""

    item: ActionItemView
    settled: list[str] = field(default_factory=list)


def _note_amendment(session: Session, item: ActionItem, actor: Actor, policy: Policy | None) -> None:
    pm = session.scalar(select(Postmortem).where(Postmortem.incident_id == item.incident_id))
    if pm is not None:
        note_amendment(session, pm, actor, [SECTION_NAMES["actions"]], policy=policy)


class NewItem(TypedDict, total=False):
    """What actions.service.add_action takes to describe the item (the incident and title are required)."""

    incident_id: Required[str]
    title: Required[str]
    owner: str | None
    due: date | None
    type: str | None
    priority: str | None


def add_action(db: Database, *, actor: Actor, policy: Policy | None = None, **item: Unpack[NewItem]) -> ActionItemView:
    """Add an action item (see actions.service.add_action); added to a published post-mortem, it amends it."""

    def amend(session: Session, row: ActionItem) -> None:
        _note_amendment(session, row, actor, policy)

    return actions.add_action(db, actor=actor, policy=policy, also=amend, **item)


def update_action(
    db: Database,
    *,
    actor: Actor,
    action_id: str,
    changes: ActionChanges,
    also: Callable[[Session, ActionItem], object] | None = None,
    policy: Policy | None = None,
) -> ActionUpdate:
    """Change an action item; when its status changed, settle its post-mortem in the same transaction, as `also`
    (given the session and the changed row) writes whatever else records the change (a meeting's note). A new title
    for an item of a published post-mortem amends it."""
    number = actions.parse_action_id(action_id)
    stale = changed_meanwhile(f"AI-{number}", changes.expected_version, lambda: actions.current_version(db, action_id))
    with stale, db.transaction() as session:
        title = session.scalar(select(ActionItem.title).where(ActionItem.id == number))
        item, status_changed = actions.change_action(session, actor=actor, action_id=action_id, changes=changes)
        if item.title != title:
            _note_amendment(session, item, actor, policy)
        settled = settle_closures(session, actor=actor, incident_ids=[item.incident_id]) if status_changed else []
        if also is not None:
            also(session, item)
        return ActionUpdate(item=actions.view_of(item), settled=settled)
