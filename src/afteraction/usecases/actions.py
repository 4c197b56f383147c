"""Changing an action item, and closing (or reopening) its published post-mortem when that finishes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from afteraction.actions import service as actions
from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, changed_meanwhile
from afteraction.domain.actions import ActionChanges, ActionItemView
from afteraction.reviews.workflow import settle_closures


@dataclass
class ActionUpdate:
    """An item after a change, and the post-mortems the change closed or reopened (`INC-n closed|published`)."""

    item: ActionItemView
    settled: list[str] = field(default_factory=list)


def update_action(
    db: Database,
    *,
    actor: Actor,
    action_id: str,
    changes: ActionChanges,
    also: Callable[[Session, ActionItem], object] | None = None,
) -> ActionUpdate:
    """Change an action item; when its status changed, settle its post-mortem in the same transaction, as `also`
    (given the session and the changed row) writes whatever else records the change (a meeting's note)."""
    label = f"AI-{actions.parse_action_id(action_id)}"
    stale = changed_meanwhile(label, changes.expected_version, lambda: actions.current_version(db, action_id))
    with stale, db.transaction() as session:
        item, status_changed = actions.change_action(session, actor=actor, action_id=action_id, changes=changes)
        settled = settle_closures(session, actor=actor, incident_ids=[item.incident_id]) if status_changed else []
        if also is not None:
            also(session, item)
        return ActionUpdate(item=actions.view_of(item), settled=settled)
