"""`afteraction metrics ID`: key moments and the times to detect, acknowledge, mitigate and resolve."""

from __future__ import annotations

from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, fmt_duration, fmt_time, print_json, table


def metrics_command(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="The incident, e.g. INC-12.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Show an incident's key moments (hand-set, marked or derived from the timeline) and its metrics."""
    from afteraction.timeline import service

    metrics = service.incident_metrics(state_of(ctx).database(), actor=actor_of(ctx), incident_id=incident_id)
    if as_json:
        print_json(metrics)
        return
    moments = [
        (name, fmt_time(getattr(metrics, f"{name}_at")) or "—", metrics.moment_sources.get(name, ""))
        for name in ("started", "detected", "acknowledged", "mitigated", "resolved")
    ]
    out = console()
    out.print(table(f"Key moments of {metrics.id} (UTC)", ["Moment", "Time", "From"], moments))
    durations = [
        ("time to detect", fmt_duration(metrics.time_to_detect_s)),
        ("time to acknowledge", fmt_duration(metrics.time_to_acknowledge_s)),
        ("time to mitigate", fmt_duration(metrics.time_to_mitigate_s)),
        ("time to resolve", fmt_duration(metrics.time_to_resolve_s)),
    ]
    out.print(table(None, ["Metric", "Duration"], durations))
