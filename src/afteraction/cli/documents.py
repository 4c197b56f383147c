"""`afteraction import` and `afteraction export`: post-mortems as Markdown files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, error_console, markup, print_json, write_file


def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH...", help="Markdown post-mortems (any file ending), or JSON exports.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    as_published: Annotated[
        bool,
        typer.Option("--as-published", help="Import every post-mortem as published, whatever its age or status."),
    ] = False,
    owner_default: Annotated[
        str | None,
        typer.Option("--owner-default", metavar="TEAM", help="Owner of the action items that name none."),
    ] = None,
) -> None:
    """Import Markdown post-mortems (this tool's format, and leniently others') or JSON exports into the database.

    Key moments come from the front matter, else from what the document states (a "Key events" block, the Stats
    block, the timeline's first and last timed rows, the title's date); a document without a status whose incident
    started more than AFTERACTION_IMPORT_PUBLISHED_AFTER_DAYS (90) days ago is imported as published.
    """
    from afteraction.core.errors import InvalidInput
    from afteraction.usecases import documents as service

    if owner_default is not None and not owner_default.strip():
        raise InvalidInput("--owner-default: give a team or person name, not an empty one", field="owner_default")
    state = state_of(ctx)
    db = state.database()
    err = error_console()
    with Progress(
        TextColumn("Reading"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
        disable=as_json or not err.is_terminal,
    ) as progress:  # fmt: skip
        task = progress.add_task("read", total=len(paths))
        report = service.import_files(
            db,
            paths=paths,
            severities=state.settings.severities,
            progress=lambda _p: progress.advance(task),
            json_max_depth=state.settings.json_max_depth,
            options=service.ImportOptions(
                as_published=as_published,
                owner_default=owner_default,
                published_after_days=state.settings.import_published_after_days,
            ),
            actor=actor_of(ctx),
        )
    if as_json:
        print_json(
            [
                {
                    "path": r.path,
                    "id": r.incident_id,
                    "title": r.title,
                    "created": r.created,
                    "status": r.status,
                    "warnings": [w.model_dump() for w in r.warnings],
                    "notes": [n.model_dump() for n in r.notes],
                }
                for r in report.results
            ]
        )
        return
    for warning in report.warnings:
        err.print(markup("[yellow]warning[/yellow]: {}", warning))
    created = sum(1 for r in report.results if r.created)
    published = sum(1 for r in report.results if r.status == "published")
    console().print(
        f"Imported {len(report.results)} post-mortems ({created} new, {len(report.results) - created} updated), "
        f"{len(report.warnings)} warnings."
    )
    if published:
        console().print(f"{published} imported as published (`--json` says why, and where each key moment came from).")


def export_command(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="The incident, e.g. INC-12.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, html, pdf or json.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="A folder of Jinja2 templates that override the defaults."),
    ] = None,
) -> None:
    """Export a post-mortem as Markdown, HTML, PDF or JSON."""
    from afteraction.documents.pdf import Printer
    from afteraction.usecases import documents as service

    state = state_of(ctx)
    content = service.export_document(
        state.database(),
        actor=actor_of(ctx),
        incident_id=incident_id,
        fmt=fmt,
        template_dir=template or state.settings.template_dir,
        printer=Printer.from_settings(state.settings),
    )
    if output is not None:
        write_file(output, content)
        error_console().print(f"Wrote {output}")
    elif isinstance(content, bytes):
        sys.stdout.buffer.write(content)
    else:
        sys.stdout.write(content)
