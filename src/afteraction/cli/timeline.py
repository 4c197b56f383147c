"""`afteraction timeline add|show|import|mark|highlight|imports|undo|delete`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
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
def show(
    ctx: typer.Context,
    incident_id: IncidentArg,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Show the first N events and say how many more there are.")
    ] = None,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="Start after this cursor (printed with --limit).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only events from this time (or date).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only events up to this time (or date).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only events of this source (e.g. slack).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only events of this kind (e.g. alert).")] = None,
    person: Annotated[str | None, typer.Option("--actor", help="Only events of this person (any case).")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Only events whose text contains this (any case).")] = None,
    highlights: Annotated[
        bool, typer.Option("--highlights", help="Only the highlights (the events the post-mortem shows).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show the timeline in time order (UTC): all of it, or with --limit a page and the cursor of the next.
    Highlights are starred (★)."""
    from afteraction.timeline import service
    from afteraction.timeline.paging import MAX_PAGE, TimelineFilters, count_events

    filters = TimelineFilters(
        source=source, kind=kind, actor=person, text=text, highlights=highlights,
        since=_window_time(since, "--since"), until=_window_time(until, "--until", end_of_day=True),
    )  # fmt: skip
    db, who = state_of(ctx).database(), actor_of(ctx)
    entries: list[TimelineEntry] = []
    next_cursor = cursor
    while True:  # pages of MAX_PAGE until the limit (or the end)
        size = MAX_PAGE if limit is None else min(MAX_PAGE, limit - len(entries))
        page, next_cursor = service.page_events(
            db, incident_id=incident_id, actor=who, limit=size, cursor=next_cursor, filters=filters
        )
        entries += page
        if next_cursor is None or (limit is not None and len(entries) >= limit):
            break
    if as_json:
        items = [entry_json(e) for e in entries]
        print_json({"items": items, "next_cursor": next_cursor} if limit is not None else items)
        return
    if not entries:
        narrowed = highlights or any(value is not None for value in (cursor, since, until, source, kind, person, text))
        console().print(
            "No event matches these filters."
            if narrowed
            else "The timeline is empty. Add events with `afteraction timeline add` or import them."
        )
        return
    rows = [
        (
            f"{e.id} ★" if e.highlight else str(e.id),
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
    if next_cursor is not None:
        more = count_events(db, incident_id=incident_id, actor=who, cursor=next_cursor, filters=filters)
        noun = "event" if more == 1 else "events"
        console().print(f"{more:,} more {noun}: show them with --cursor {next_cursor}", soft_wrap=True)


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
    slack_workspace: Annotated[
        str | None,
        typer.Option(
            "--slack-workspace",
            metavar="URL",
            help="Slack: the workspace messages link to (https://acme.slack.com); default "
            "AFTERACTION_SLACK_WORKSPACE_URL, else the export's own file links.",
        ),
    ] = None,
    deploys: Annotated[bool, typer.Option("--deploys", help="git: every commit is a deploy.")] = False,
    deploy_ref: Annotated[
        str | None, typer.Option("--deploy-ref", help="git: a regex; commits whose refs match are deploys.")
    ] = None,
    column_map: Annotated[
        str | None, typer.Option("--map", help="csv/jsonl: at=COL,text=COL,actor=COL,kind=COL.")
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="csv/jsonl: the zone of times written without one (e.g. Europe/Oslo); default UTC."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Keep events from this time (ISO 8601 with zone, or a date).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Keep events up to this time (ISO 8601 with zone, or a date).")
    ] = None,
    all_time: Annotated[
        bool, typer.Option("--all-time", help="Keep every event, however far from the incident's window.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import events from a source file into the timeline; importing the same events again adds nothing.

    By default only events from an hour before the incident's start to an hour after its end are kept.

    A zip is read within the AFTERACTION_UPLOAD_MAX_* limits and JSON within AFTERACTION_JSON_MAX_DEPTH."""
    from afteraction.timeline import service
    from afteraction.timeline.importers.slack import chosen_workspace

    settings = state_of(ctx).settings
    options = ImportOptions(
        channels=channel or None,
        include_all=all_,
        slack_workspace=chosen_workspace(slack_workspace, settings, "--slack-workspace"),
        deploys=deploys,
        deploy_ref_pattern=deploy_ref,
        column_map=_column_map(column_map),
        tz=tz,
        limits=ImportLimits.from_settings(settings),
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
            since=_window_time(since, "--since"),
            until=_window_time(until, "--until", end_of_day=True),
            all_time=all_time,
        )
    if as_json:
        print_json({**asdict(result), "duplicates": result.duplicates})
        return
    console().print(
        f"Imported {result.added:,} events from {result.path} ({result.format}) into {result.incident_id}"
        f" as import {result.import_id}"
        + _skipped(result.skipped_outside, result.since, result.until, result.default_window)
        + (f"; {result.duplicates:,} were already there." if result.duplicates else ".")
        + result.zone_note("--tz")
    )


def _skipped(count: int, since: datetime | None, until: datetime | None, default: bool) -> str:
    """` (12 skipped as outside the incident's window …; --all-time keeps them)`, or nothing."""
    from afteraction.timeline.window import skipped_note

    return f" ({skipped_note(count, since, until, default=default)}; --all-time keeps them)" if count else ""


def _window_time(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """--since/--until: an ISO 8601 time with a zone, or a date `YYYY-MM-DD` in UTC (its start, or for --until the
    end of that day)."""
    if value is None:
        return None
    text = value.strip()
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
    return parse_time(text, option)


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


@app.command("highlight")
def highlight(
    ctx: typer.Context,
    event_ids: Annotated[list[int], typer.Argument(metavar="EVENT_ID…", help="Events' ids (see `timeline show`).")],
    off: Annotated[bool, typer.Option("--off", help="Make them no longer highlights.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Make events highlights, the events the post-mortem shows (or, with --off, not); your choice stays whatever
    the default rules would say."""
    from afteraction.timeline.highlights import set_highlights

    changed = set_highlights(state_of(ctx).database(), event_ids=event_ids, on=not off, actor=actor_of(ctx))
    if as_json:
        print_json({"event_ids": sorted(set(event_ids)), "highlight": not off, "changed": changed})
        return
    ids = sorted(set(event_ids))
    if len(ids) == 1:
        console().print(f"Event {ids[0]} is {'no longer' if off else 'now'} a highlight.")
        return
    unchanged = len(ids) - changed
    note = f" ({unchanged} already {'were not' if off else 'were'})" if unchanged else ""
    console().print(f"{len(ids)} events are {'no longer' if off else 'now'} highlights{note}.")


# ---------------------------------------------------------------- imports: list, undo; bulk delete


@app.command("imports")
def imports_(ctx: typer.Context, incident_id: IncidentArg, as_json: JsonFlag = False) -> None:
    """List the incident's imports, newest first: when, who, which file, the window kept, and how each ended."""
    from afteraction.timeline import imports
    from afteraction.timeline.window import describe_window

    found = imports.list_imports(state_of(ctx).database(), incident_id=incident_id, actor=actor_of(ctx))
    if as_json:
        print_json([asdict(item) for item in found])
        return
    if not found:
        console().print(f"{incident_id.upper()} has no imports. Import a file with `afteraction timeline import`.")
        return
    rows = [
        [
            item.id,
            f"{item.started_at:%Y-%m-%d %H:%M}",
            item.actor,
            item.format,
            item.file_name,
            describe_window(item.since, item.until),
            f"{item.read:,}",
            f"{item.added:,}",
            item.state,
        ]
        for item in found
    ]
    columns = ["#", "When (UTC)", "Who", "Format", "File", "Window", "Read", "Added", "State"]
    console().print(table(f"Imports of {found[0].incident_id}", columns, rows))


@app.command("undo")
def undo(
    ctx: typer.Context,
    incident_id: IncidentArg,
    import_id: Annotated[int, typer.Argument(metavar="IMPORT_ID", help="The import (see `timeline imports`).")],
    as_json: JsonFlag = False,
) -> None:
    """Undo one import: remove exactly the events it added, and the key moments derived from them."""
    from afteraction.timeline import imports

    undone = imports.undo_import(
        state_of(ctx).database(), incident_id=incident_id, import_id=import_id, actor=actor_of(ctx)
    )
    if as_json:
        print_json(asdict(undone))
        return
    console().print(f"Undid import {undone.import_id} of {undone.incident_id}: removed {undone.removed:,} events.")


@app.command("delete")
def delete_(
    ctx: typer.Context,
    incident_id: IncidentArg,
    source: Annotated[str | None, typer.Option("--source", help="Only events of this source.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only events of this kind.")] = None,
    person: Annotated[str | None, typer.Option("--actor", help="Only events of this actor.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only events from this time (or date).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only events up to this time (or date).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete the timeline's events that match every filter given (at least one), after showing how many."""
    from afteraction.timeline import imports

    where = imports.EventFilter(
        source=source, kind=kind, person=person, since=_window_time(since, "--since"),
        until=_window_time(until, "--until", end_of_day=True),
    )  # fmt: skip
    db, actor = state_of(ctx).database(), actor_of(ctx)
    if not yes:
        count = imports.delete_events(db, incident_id=incident_id, where=where, dry_run=True, actor=actor)
        if not count:
            console().print(f"No events of {incident_id.upper()} match: nothing to delete.")
            return
        typer.confirm(f"Delete {count:,} events of {incident_id.upper()}?", abort=True)
    deleted = imports.delete_events(db, incident_id=incident_id, where=where, actor=actor)
    console().print(f"Deleted {deleted:,} events from {incident_id.upper()}.")
