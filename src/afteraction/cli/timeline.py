"""`afteraction timeline add|show|import|mark`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, error_console, fmt_time, print_json, table
from afteraction.cli.params import parse_time
from afteraction.core.errors import InvalidInput
from afteraction.domain.incidents import TimelineEntry
from afteraction.timeline.importers import FORMATS, ImportLimits, ImportOptions

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
    kind: Annotated[str, typer.Option("--kind", help="alert, page, message, deploy, decision, note, …")] = "note",
    as_json: JsonFlag = False,
) -> None:
    """Add one event to the timeline by hand."""
    from afteraction.timeline import service

    entry = service.add_event(
        state_of(ctx).database(),
        incident_id=incident_id,
        at=parse_time(at, "--at"),
        text=text,
        person=actor,
        kind=kind,
        actor=actor_of(ctx),
    )
    if as_json:
        print_json(entry_json(entry))
    else:
        console().print(f"Added event {entry.id} at {fmt_time(entry.at)}.")


@app.command("show")
def show(ctx: typer.Context, incident_id: IncidentArg, as_json: JsonFlag = False) -> None:
    """Show the timeline in time order (UTC)."""
    from afteraction.timeline import service

    entries = service.list_events(state_of(ctx).database(), actor=actor_of(ctx), incident_id=incident_id)
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


def _column_map(value: str | None) -> dict[str, str] | None:
    """`at=timestamp,text=message` as a dict, or None."""
    if not value:
        return None
    mapping: dict[str, str] = {}
    for part in value.split(","):
        key, sep, column = part.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise InvalidInput(f"--map: {part!r} is not FIELD=COLUMN (e.g. at=timestamp,text=message)", field="map")
        mapping[key.strip()] = column.strip()
    return mapping


@app.command("import")
def import_(
    ctx: typer.Context,
    incident_id: IncidentArg,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A file, a Slack export folder or its .zip.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"auto or one of {', '.join(FORMATS)}.")] = "auto",
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Slack: only this channel (repeatable).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Slack: keep joins, leaves and topic changes too.")] = False,
    deploys: Annotated[bool, typer.Option("--deploys", help="git: every commit is a deploy.")] = False,
    deploy_ref: Annotated[
        str | None, typer.Option("--deploy-ref", help="git: a regex; commits whose refs match are deploys.")
    ] = None,
    column_map: Annotated[
        str | None, typer.Option("--map", help="csv/jsonl: at=COL,text=COL,actor=COL,kind=COL.")
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="The zone of times written without one (e.g. Europe/Oslo).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import events from a source file into the timeline; importing the same events again adds nothing.

    A zip is read within the AFTERACTION_UPLOAD_MAX_* limits and JSON within AFTERACTION_JSON_MAX_DEPTH."""
    from afteraction.timeline import service

    options = ImportOptions(
        channels=channel or None,
        include_all=all_,
        deploys=deploys,
        deploy_ref_pattern=deploy_ref,
        column_map=_column_map(column_map),
        tz=tz,
        limits=ImportLimits.from_settings(state_of(ctx).settings),
    )
    err = error_console()
    with Progress(
        SpinnerColumn(), TextColumn("{task.completed:,} events read"), TimeElapsedColumn(),
        console=err, transient=True, disable=as_json or not err.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task("import", total=None)
        result = service.import_timeline(
            state_of(ctx).database(),
            actor=actor_of(ctx),
            incident_id=incident_id,
            path=path,
            fmt=fmt,
            options=options,
            progress=lambda n: bar.update(task, completed=n),
        )
    if as_json:
        print_json({**asdict(result), "duplicates": result.duplicates})
        return
    console().print(
        f"Imported {result.added:,} events from {result.path} ({result.format}) into {result.incident_id}"
        f" as import {result.import_id}"
        + (f"; {result.duplicates:,} were already there." if result.duplicates else ".")
    )


@app.command("mark")
def mark(
    ctx: typer.Context,
    event_id: Annotated[int, typer.Argument(metavar="EVENT_ID", help="The event's id (see `timeline show`).")],
    as_: Annotated[
        str, typer.Option("--as", help="started, detected, acknowledged, mitigated, resolved, or none to clear.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Mark an event as a key moment of its incident (a moment set by hand on the incident still wins)."""
    from afteraction.timeline import service

    moment = None if as_.strip().lower() == "none" else as_.strip().lower()
    entry = service.mark_event(state_of(ctx).database(), actor=actor_of(ctx), event_id=event_id, moment=moment)
    if as_json:
        print_json(entry_json(entry))
    elif moment:
        console().print(f"Event {entry.id} at {fmt_time(entry.at)} marks the moment the incident was {moment}.")
    else:
        console().print(f"Event {entry.id} no longer marks a key moment.")
