"""The one way a duration is written for people: pages, exports, reports and the command line."""

from __future__ import annotations

UNKNOWN = "—"


def format_duration(seconds: float | None) -> str:
    """A duration in its two largest units, as people say it: `42 s`, `6 min 28 s`, `1 h 2 min`, `1 d 1 h`;
    a zero part is left out (`1 h`, not `1 h 0 min`); `-` before a negative one; `—` when it is unknown."""
    if seconds is None:
        return UNKNOWN
    total = round(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [f"{days} d", f"{hours} h" if hours else ""]
    elif hours:
        parts = [f"{hours} h", f"{minutes} min" if minutes else ""]
    elif minutes:
        parts = [f"{minutes} min", f"{secs} s" if secs else ""]
    else:
        parts = [f"{secs} s"]
    return sign + " ".join(part for part in parts if part)
