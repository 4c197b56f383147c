"""The window of time an import keeps (by default the incident's own, an hour either side), and the filter that drops
the row batches' events outside it, counting them. No SQL here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from afteraction.core.errors import InvalidInput
from afteraction.incidents.models import Incident
from afteraction.timeline.pipeline import ROW_VALUES, sqlite_time

MARGIN = timedelta(hours=1)  # kept before the incident's start and after its end


@dataclass(frozen=True)
class ImportWindow:
    """The events an import keeps: from `since` to `until` (inclusive; None: no bound on that side); `default`: the
    incident's own window, not one asked for."""

    since: datetime | None = None
    until: datetime | None = None
    default: bool = False

    @property
    def bounded(self) -> bool:
        """Whether any event can fall outside."""
        return self.since is not None or self.until is not None

    def outside(self, at: datetime | None) -> bool:
        """Whether a time falls outside the window (a missing time never does)."""
        if at is None:
            return False
        return (self.since is not None and at < self.since) or (self.until is not None and at > self.until)


def incident_window(incident: Incident) -> ImportWindow:
    """An hour before the incident's effective start (else its earliest effective key moment) to an hour after its
    effective resolution (else no upper bound); no window for an incident with neither."""
    return moments_window(
        incident.effective_started_at,
        incident.effective_detected_at,
        incident.effective_acknowledged_at,
        incident.effective_mitigated_at,
        incident.effective_resolved_at,
    )


def moments_window(
    started: datetime | None,
    detected: datetime | None,
    acknowledged: datetime | None,
    mitigated: datetime | None,
    resolved: datetime | None,
) -> ImportWindow:
    """The window of an incident's effective key moments (see incident_window): what an import keeps by default, and
    outside which the page flags an event kept anyway."""
    start = started or min((m for m in (detected, acknowledged, mitigated, resolved) if m is not None), default=None)
    if start is None:
        return ImportWindow()
    return ImportWindow(start - MARGIN, None if resolved is None else max(resolved, start) + MARGIN, default=True)


def choose_window(
    incident: Incident, *, since: datetime | None, until: datetime | None, all_time: bool
) -> ImportWindow:
    """The window an import keeps: everything with `all_time`, else the bounds given, else the incident's own."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name}: the time needs a zone (e.g. 2026-03-14T10:08:10Z)", field=name)
    if all_time:
        if since is not None or until is not None:
            raise InvalidInput("all_time keeps every event: give it without since and until", field="all_time")
        return ImportWindow()
    if since is not None and until is not None and until < since:
        raise InvalidInput("until must not be before since", field="until")
    if since is not None or until is not None:
        return ImportWindow(
            None if since is None else since.astimezone(UTC), None if until is None else until.astimezone(UTC)
        )
    return incident_window(incident)


def describe_window(since: datetime | None, until: datetime | None) -> str:
    """A window as people read it: `2020-02-06 09:00 → 11:30 UTC`, `from 2020-02-06 09:00 UTC on`, `all time`."""
    if since is None and until is None:
        return "all time"
    start = None if since is None else since.astimezone(UTC)
    end = None if until is None else until.astimezone(UTC)
    if start is None:
        return f"up to {end:%Y-%m-%d %H:%M} UTC"
    if end is None:
        return f"from {start:%Y-%m-%d %H:%M} UTC on"
    shape = "%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M} → {end.strftime(shape)} UTC"


def skipped_note(count: int, since: datetime | None, until: datetime | None, *, default: bool) -> str:
    """`12 skipped as outside the incident's window 2020-02-06 09:00 → 11:30 UTC` (`the window` when asked for)."""
    whose = "the incident's window" if default else "the window"
    return f"{count:,} skipped as outside {whose} {describe_window(since, until)}"


class WindowFilter:
    """Drops the rows of timeline.pipeline's row batches whose time (each row's first value) is outside a window,
    counting them in `skipped`: one comparison per row, and a batch wholly inside passes unchanged."""

    def __init__(self, window: ImportWindow, *, sqlite: bool) -> None:
        self.window = window
        self.skipped = 0
        if sqlite:  # rows hold times as SQLite's text, which sorts as the times do
            self._low: Any = sqlite_time(window.since) if window.since else ""
            self._high: Any = sqlite_time(window.until) if window.until else "\uffff"
        else:
            self._low = window.since or datetime.min.replace(tzinfo=UTC)
            self._high = window.until or datetime.max.replace(tzinfo=UTC)

    def __call__(self, batches: Iterator[list[Any]]) -> Iterator[list[Any]]:
        """The batches with the rows outside the window left out (a batch left empty is not yielded)."""
        if not self.window.bounded:
            yield from batches
            return
        low, high = self._low, self._high
        for batch in batches:
            times = batch[::ROW_VALUES]
            if None not in times and low <= min(times) and max(times) <= high:
                yield batch  # wholly inside: the common case, in C
                continue
            outside = [row for row, at in enumerate(times) if at is not None and not low <= at <= high]
            if not outside:
                yield batch
                continue
            self.skipped += len(outside)
            if len(outside) == len(times):
                continue
            drop = set(outside)
            yield [
                value
                for row in range(len(times))
                if row not in drop
                for value in batch[row * ROW_VALUES : (row + 1) * ROW_VALUES]
            ]
