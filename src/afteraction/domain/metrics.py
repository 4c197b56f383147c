"""Incident metrics from key moments: pure functions, no database."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class IncidentMetrics(BaseModel):
    """Key moments in UTC, where each came from, and the durations between them in seconds."""

    id: str
    started_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    time_to_detect_s: float | None = None
    time_to_acknowledge_s: float | None = None
    time_to_mitigate_s: float | None = None
    time_to_resolve_s: float | None = None
    moment_sources: dict[str, str] = {}


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """end − start in seconds, or None when either is unknown."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def compute_metrics(incident_id: str, moments: dict[str, datetime | None], sources: dict[str, str]) -> IncidentMetrics:
    """The four durations of DESIGN.md: detect and mitigate and resolve from the start, acknowledge from detection."""
    started = moments.get("started")
    detected = moments.get("detected")
    return IncidentMetrics(
        id=incident_id,
        started_at=started,
        detected_at=detected,
        acknowledged_at=moments.get("acknowledged"),
        mitigated_at=moments.get("mitigated"),
        resolved_at=moments.get("resolved"),
        time_to_detect_s=seconds_between(started, detected),
        time_to_acknowledge_s=seconds_between(detected, moments.get("acknowledged")),
        time_to_mitigate_s=seconds_between(started, moments.get("mitigated")),
        time_to_resolve_s=seconds_between(started, moments.get("resolved")),
        moment_sources=dict(sources),
    )


SMALL_N = 5  # below this many, a share is given as its counts only: "3 of 4", never "75%"


def share_text(part: int, whole: int) -> str:
    """A share as every face writes it: "75% (30 of 40)"; over fewer than SMALL_N, only the counts ("3 of 4"), as
    a percentage of so few says more than it knows; "none of 0" for nothing."""
    if whole <= 0:
        return "none of 0"
    if whole < SMALL_N:
        return f"{part} of {whole}"
    return f"{round(100 * part / whole)}% ({part} of {whole})"
