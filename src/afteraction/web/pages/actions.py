"""The action-item board: every open item across incidents, by owner, due date or status, overdue ones marked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from afteraction.actions.board import BoardItem, action_board, board_owners
from afteraction.core.db import utcnow
from afteraction.domain.actions import ACTION_STATUSES, OPEN_ACTION_STATUSES
from afteraction.web.deps import Viewer
from afteraction.web.pages.rendering import render
from afteraction.web.pages.session import PageDb

router = APIRouter()

GroupBy = Literal["owner", "due", "status"]


def _due_group(today: date) -> Callable[[BoardItem], str]:
    def group(item: BoardItem) -> str:
        if item.due is None:
            return "No due date"
        days = (item.due - today).days
        if days < 0:
            return "Overdue"
        if days <= 7:
            return "Due within a week"
        if days <= 30:
            return "Due within a month"
        return "Due later"

    return group


def grouped(items: list[BoardItem], by: GroupBy, today: date) -> list[tuple[str, list[BoardItem]]]:
    """The items in columns: by owner (those with overdue work first), by due date, or by status."""
    groups: dict[str, list[BoardItem]] = {}
    if by == "owner":
        key: Callable[[BoardItem], str] = lambda item: item.owner or "No owner"  # noqa: E731
        order: list[str] = []
    elif by == "status":
        key, order = (lambda item: item.status), list(OPEN_ACTION_STATUSES)
    else:
        key = _due_group(today)
        order = ["Overdue", "Due within a week", "Due within a month", "Due later", "No due date"]
    for item in items:
        groups.setdefault(key(item), []).append(item)
    if by == "owner":
        order = sorted(groups, key=lambda name: (not any(i.overdue for i in groups[name]), name == "No owner",
                                                 name.lower()))  # fmt: skip
    return [(name, groups[name]) for name in order if name in groups]


@router.get("/actions")
def board(
    request: Request,
    user: Viewer,
    db: PageDb,
    by: Annotated[GroupBy, Query()] = "owner",
    owner: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    overdue: Annotated[bool, Query()] = False,
) -> Response:
    """Open action items across incidents, grouped by owner, due date or status."""
    today = utcnow().date()
    items = action_board(db, owner=owner, status=status or None, overdue=overdue, today=today, actor=user)
    return render(
        request,
        "actions.html",
        columns=grouped(items, by, today),
        count=len(items),
        overdue_count=sum(1 for item in items if item.overdue),
        owners=board_owners(db, actor=user),
        filters={"by": by, "owner": owner, "status": status, "overdue": overdue},
        statuses=OPEN_ACTION_STATUSES,
        all_statuses=ACTION_STATUSES,
        today=today,
    )
