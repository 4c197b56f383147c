"""`afteraction incident create|list|show|update`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, fmt_time, markup, panel, print_json, table
from afteraction.cli.params import parse_optional_time, parse_time
from afteraction.domain.incidents import IncidentChanges, IncidentSummary, NewIncident

app = typer.Typer(help="Create, list, show and update incidents.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _show(incident: IncidentSummary) -> None:
    """Print one incident for people."""
    lines: list[str] = [
        markup("[bold]{}[/bold]  {}", incident.id, incident.title),
        markup(
            "kind {} · severity {} · status {}" + (" · [red]private[/red]" if incident.private else ""),
            incident.kind,
            incident.severity or "—",
            incident.status,
        ),
    ]
    for label, values in (
        ("services", incident.services),
        ("teams", incident.teams),
        ("tags", incident.tags),
    ):
        if values:
            lines.append(f"{label}: {', '.join(values)}")
    if incident.categories:
        lines.append(f"categories: {', '.join(incident.categories)}")
    for name in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        value, origin = getattr(incident, name), incident.moment_origins.get(name.removesuffix("_at"))
        lines.append(f"{name.replace('_at', ''):>13}: {fmt_time(value) or '—'}" + (f" ({origin})" if origin else ""))
    lines.append(f"post-mortem: {incident.postmortem_status or '—'} · open action items: {incident.action_items_open}")
    console().print(panel(lines))


@app.command("create")
def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="What happened, in a few words.")],
    severity: Annotated[
        str | None, typer.Option("--severity", help="SEV1..SEV4 (required unless --kind milestone).")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="incident, near-miss, failed-deploy or milestone.")] = "incident",
    started_at: Annotated[
        str | None, typer.Option("--started-at", help="When it started (ISO time with zone).")
    ] = None,
    service_: Annotated[list[str] | None, typer.Option("--service", help="An affected service (repeatable).")] = None,
    team: Annotated[list[str] | None, typer.Option("--team", help="A team involved (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A free tag (repeatable).")] = None,
    private: Annotated[bool, typer.Option("--private", help="Visible to its members and admins only.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Record a new incident with an empty draft post-mortem."""
    from afteraction.usecases import incidents as service

    state = state_of(ctx)
    new = NewIncident(
        title=title,
        severity=severity,
        kind=kind,
        started_at=parse_time(started_at, "--started-at") if started_at else None,
        services=service_ or [],
        teams=team or [],
        tags=tag or [],
        private=private,
    )
    incident = service.create_incident(
        state.database(), actor=actor_of(ctx), new=new, allowed_severities=state.settings.severities
    )
    if as_json:
        print_json(incident)
    else:
        console().print(markup("Created [bold]{}[/bold]: {}", incident.id, incident.title))


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="Only this severity.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    service_: Annotated[str | None, typer.Option("--service", help="Only incidents of this service.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many.", min=1)] = None,
    as_json: JsonFlag = False,
) -> None:
    """List incidents, newest first."""
    from afteraction.usecases import incidents as service

    state = state_of(ctx)
    incidents = service.list_incidents(
        state.database(),
        actor=actor_of(ctx),
        kind=kind,
        severity=severity,
        status=status,
        service=service_,
        limit=limit,
        allowed_severities=state.settings.severities,
    )
    if as_json:
        print_json(incidents)
        return
    if not incidents and any((kind, severity, status, service_)):
        console().print("No incidents match.")
        return
    if not incidents:
        console().print("No incidents yet. Create one with `afteraction incident create --title … --severity SEV2`.")
        return
    rows = [
        (
            i.id,
            i.severity or "",
            i.kind,
            i.title,
            (fmt_time(i.started_at)[:16].replace("T", " ") if i.started_at else ""),
            i.postmortem_status or "",
            i.action_items_open or "",
        )
        for i in incidents
    ]
    console().print(
        table(
            f"{len(incidents)} incidents",
            ["ID", "Sev", "Kind", "Title", "Started (UTC)", "Post-mortem", "Open AIs"],
            rows,
        )
    )


@app.command("show")
def show(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="The incident, e.g. INC-12.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one incident: its labels, key moments and post-mortem state."""
    from afteraction.usecases import incidents as service

    incident = service.get_incident(state_of(ctx).database(), actor=actor_of(ctx), incident_id=incident_id)
    if as_json:
        print_json(incident)
    else:
        _show(incident)


@app.command("update")
def update(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="The incident, e.g. INC-12.")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    severity: Annotated[str | None, typer.Option("--severity")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open, mitigated, resolved or closed.")] = None,
    service_: Annotated[list[str] | None, typer.Option("--service", help="Replace the services (repeatable).")] = None,
    team: Annotated[list[str] | None, typer.Option("--team", help="Replace the teams (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Replace the tags (repeatable).")] = None,
    private: Annotated[bool | None, typer.Option("--private/--public")] = None,
    started_at: Annotated[str | None, typer.Option("--started-at", help="ISO time with zone; `none` clears.")] = None,
    detected_at: Annotated[str | None, typer.Option("--detected-at")] = None,
    acknowledged_at: Annotated[str | None, typer.Option("--acknowledged-at")] = None,
    mitigated_at: Annotated[str | None, typer.Option("--mitigated-at")] = None,
    resolved_at: Annotated[str | None, typer.Option("--resolved-at")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an incident, or set its key moments by hand (a hand-set moment wins over the timeline's)."""
    from afteraction.usecases import incidents as service

    state = state_of(ctx)
    given = {
        "started_at": started_at,
        "detected_at": detected_at,
        "acknowledged_at": acknowledged_at,
        "mitigated_at": mitigated_at,
        "resolved_at": resolved_at,
    }
    moments: dict[str, datetime | None] = {
        name: parse_optional_time(value, "--" + name.replace("_", "-"))
        for name, value in given.items()
        if value is not None
    }
    changes = IncidentChanges(
        title=title,
        severity=severity,
        kind=kind,
        status=status,
        private=private,
        services=service_,
        teams=team,
        tags=tag,
        moments=moments,
    )
    incident = service.update_incident(
        state.database(),
        actor=actor_of(ctx),
        incident_id=incident_id,
        changes=changes,
        allowed_severities=state.settings.severities,
    )
    if as_json:
        print_json(incident)
    else:
        console().print(markup("Updated [bold]{}[/bold].", incident.id))
        _show(incident)
