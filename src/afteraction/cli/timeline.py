"""`afteraction timeline add|show`."""

from __future__ import annotations

from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.output import console, fmt_time, print_json, table
from afteraction.cli.params import parse_time
from afteraction.incidents.schemas import TimelineEntry
from afteraction.timeline import service

app = typer.Typer(help="Build and read an incident's timeline.", no_args_is_help=True)

IncidentArg = Annotated[str, typer.Argument(metavar="ID", help="The incident, e.g. INC-12.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def entry_json(entry: TimelineEntry) -> dict[str, object]:
    """One event as the JSON contract shows it, with its id."""
    return {"id": entry.id, **entry.model_dump(mode="json")}


@app.command("add")
def add(
    ctx: typer.Context,
    incident_id: IncidentArg,
    at: Annotated[str, typer.Option("--at", help="When (ISO time with zone, e.g. 2026-03-14T10:08:10Z).")],
    text: Annotated[str, typer.Option("--text", help="What happened.")],
    actor: Annotated[str | None, typer.Option("--actor", help="Who acted.")] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="alert, page, message, deploy, decision, note, …")
    ] = "note",
    as_json: JsonFlag = False,
) -> None:
    """Add one event to the timeline by hand."""
    entry = service.add_event(
        state_of(ctx).database(),
        incident_id=incident_id,
        at=parse_time(at, "--at"),
        text=text,
        actor=actor,
        kind=kind,
    )
    if as_json:
        print_json(entry_json(entry))
    else:
        console().print(f"Added event {entry.id} at {fmt_time(entry.at)}.")


@app.command("show")
def show(ctx: typer.Context, incident_id: IncidentArg, as_json: JsonFlag = False) -> None:
    """Show the timeline in time order (UTC)."""
    entries = service.list_events(state_of(ctx).database(), incident_id=incident_id)
    if as_json:
        print_json([entry_json(e) for e in entries])
        return
    if not entries:
        console().print("The timeline is empty. Add events with `afteraction timeline add` or import them.")
        return
    rows = [
        (
            e.id,
            fmt_time(e.at).replace("T", " ").replace("Z", "") if e.at else (e.time_text or "?"),
            e.source,
            e.actor or "",
            e.kind + (f" [{e.key_moment}]" if e.key_moment else ""),
            e.text,
        )
        for e in entries
    ]
    console().print(
        table(
            f"Timeline of {incident_id.upper()} (UTC)",
            ["#", "Time", "Source", "Actor", "Kind", "Event"],
            rows,
        )
    )
