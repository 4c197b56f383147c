"""Pure pieces of the insights figures: percentiles, months, policy due days, the overdue backlog, recurrence text."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from afteraction.domain.actions import OPEN_ACTION_STATUSES
from afteraction.domain.policy import Policy

DURATION_METRICS: tuple[str, ...] = ("time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve")
# Each metric as DESIGN.md defines it: (from, to) key-moment columns.
METRIC_MOMENTS: dict[str, tuple[str, str]] = {
    "time_to_detect": ("started_at", "detected_at"),
    "time_to_acknowledge": ("detected_at", "acknowledged_at"),
    "time_to_mitigate": ("started_at", "mitigated_at"),
    "time_to_resolve": ("started_at", "resolved_at"),
}
DONE_POSTMORTEM: tuple[str, ...] = ("published", "closed")
_MONDAY = date(2024, 1, 1)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) with linear interpolation between closest ranks, as SQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def share(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places, or None when there is no whole."""
    return round(part / whole, 4) if whole else None


def month_of(moment: date | datetime) -> str:
    """`YYYY-MM` of a date or time."""
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every `YYYY-MM` from first to last, inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def next_month(key: str) -> str:
    """The `YYYY-MM` after key."""
    year, month = int(key[:4]), int(key[5:7])
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


def allowed_days(policy: Policy, *, kind: str, severity: str | None) -> tuple[int, ...] | None:
    """Calendar days from resolution to the post-mortem's due date, by the weekday of resolution (Sunday first).

    None when the policy sets no due date. Business days skip weekends; the policy's holidays are not counted here.
    """
    span = policy.postmortem_due_after(kind=kind, severity=severity)
    if span is None:
        return None
    sunday_first = [_MONDAY + timedelta(days=(d - 1) % 7) for d in range(7)]
    return tuple((span.after(start) - start).days for start in sunday_first)


def overdue_backlog(
    became_overdue: Mapping[str, int], left_backlog: Mapping[str, int], months: Sequence[str]
) -> list[tuple[str, int]]:
    """Overdue open items at the end of each month, from counts per month of items becoming overdue and leaving.

    An item becomes overdue the day after its due date; it leaves the backlog on the later of that day and its
    closing; so at the end of a month the backlog is all that became overdue so far minus all that left so far.
    """
    out = []
    earlier_in = sum(n for m, n in became_overdue.items() if months and m < months[0])
    earlier_out = sum(n for m, n in left_backlog.items() if months and m < months[0])
    entered, left = earlier_in, earlier_out
    for month in months:
        entered += became_overdue.get(month, 0)
        left += left_backlog.get(month, 0)
        out.append((month, entered - left))
    return out


def recurrence_message(
    earlier: str,
    shared: Sequence[str],
    items: Sequence[tuple[str, str | None, str, datetime | None]],
) -> str:
    """One sentence saying what an incident resembles and what became of the earlier incident's fixes.

    items are (id, type, status, closed_at) of the earlier incident's prevent (else any) action items.
    """
    text = f"resembles {earlier}"
    if shared:
        text += f" (shared factors: {', '.join(shared)})"
    notes = []
    for item_id, item_type, status, closed_at in items:
        kind = f"{item_type} item" if item_type else "item"
        if status == "done" and closed_at is not None:
            notes.append(f"its {kind} {item_id} was closed on {closed_at.date().isoformat()}")
        elif status == "wont-do":
            notes.append(f"its {kind} {item_id} was dropped (wont-do)")
        elif status in OPEN_ACTION_STATUSES:
            notes.append(f"its {kind} {item_id} is still open")
    if notes:
        text += "; " + ", ".join(notes)
    return text
