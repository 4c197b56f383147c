"""One round of notifications (`afteraction notify`, and each minute of `serve`): first the due-soon notices of
open action items due within `DUE_SOON_DAYS`, then sending what is pending (notifications.sender).

`NotifyLoop` is the round of a `serve` process, every AFTERACTION_NOTIFY_INTERVAL seconds in a thread of its own;
several processes may run it at once, since a row is claimed before it is sent (never sent twice).
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from afteraction.actions.models import ActionItem
from afteraction.core.config import Settings
from afteraction.core.db import Database, utcnow
from afteraction.domain.actions import OPEN_ACTION_STATUSES
from afteraction.notifications.sender import SendReport, send_pending
from afteraction.notifications.service import Message, notify

log = logging.getLogger(__name__)

DUE_SOON_DAYS = 2


def write_due_soon(db: Database, *, today: date | None = None) -> int:
    """Write a due-soon notice to the owner of each open action item due today or within DUE_SOON_DAYS days, once
    per item and due date (a changed due date is told again); the number of rows written."""
    today = today or utcnow().date()
    written = 0
    with db.transaction() as session:
        items = session.scalars(
            select(ActionItem)
            .options(joinedload(ActionItem.incident), joinedload(ActionItem.owner))
            .where(
                ActionItem.status.in_(OPEN_ACTION_STATUSES),
                ActionItem.owner_id.is_not(None),
                ActionItem.due_date.is_not(None),
                ActionItem.due_date >= today,
                ActionItem.due_date <= today + timedelta(days=DUE_SOON_DAYS),
            )
            .order_by(ActionItem.id)
        ).all()
        for item in items:
            assert item.owner is not None and item.due_date is not None
            days = (item.due_date - today).days
            when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
            key = item.incident.key
            message = Message(
                kind="due-soon",
                subject=f"AI-{item.id} is due {when} ({item.due_date.isoformat()}): {item.title}",
                body=f"Your action item AI-{item.id} of {key} {item.incident.title} is due on "
                f"{item.due_date.isoformat()}.",
                link=f"/incidents/{key}/postmortem#actions",
                incident_id=item.incident_id,
            )
            written += notify(session, [item.owner], message, key=f"due-soon:AI-{item.id}:{item.due_date.isoformat()}")
    return written


def notify_once(db: Database, settings: Settings, *, now: datetime | None = None) -> SendReport:
    """One round: the due-soon notices, then every pending notification that is due."""
    write_due_soon(db, today=(now or utcnow()).date())
    return send_pending(db, settings, now=now)


class NotifyLoop:
    """A thread that runs a round every `interval` seconds until `stop()` (which waits for the round under way).
    A round that fails is logged and the next one runs as usual."""

    def __init__(self, db: Database, settings: Settings, *, interval: float | None = None) -> None:
        self.db = db
        self.settings = settings
        self.interval = float(settings.notify_interval if interval is None else interval)
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="afteraction-notify", daemon=True)

    def start(self) -> NotifyLoop:
        """Start the thread (the first round runs at once)."""
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = notify_once(self.db, self.settings)
                if report.sent or report.retrying or report.failed:
                    log.info("notifications: %s sent, %s to retry, %s failed", report.sent, report.retrying,
                             report.failed)  # fmt: skip
            except Exception:
                log.exception("a round of notifications failed; the next one runs in %s s", self.interval)
            self.rounds += 1
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the round under way, waiting at most `timeout` seconds for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread.is_alive()


def start_notify_loop(db: Database, settings: Settings) -> NotifyLoop | None:
    """The loop of a server process, or None when AFTERACTION_NOTIFY_INTERVAL is 0."""
    if settings.notify_interval <= 0:
        return None
    return NotifyLoop(db, settings).start()
