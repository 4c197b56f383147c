"""`afteraction import` and `afteraction export`: post-mortems as Markdown files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from afteraction.cli import one_line, state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, error_console, markup, print_json, write_file

if TYPE_CHECKING:
    from afteraction.usecases.documents import ImportReport


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
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", metavar="FILE.toml", help="Your template's headings, columns, values and zone."),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", metavar="ZONE", help="Zone of times a document writes without one (its own wins)."),
    ] = None,
    report_file: Annotated[
        Path | None, typer.Option("--report", metavar="FILE.json", help="Also write the per-file report as JSON.")
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Re-import: take every field from the document, even those edited since."),
    ] = False,
) -> None:
    """Import post-mortems (this tool's Markdown, other templates leniently, or JSON exports), each file on its own.

    Values other templates use (High, P4, TODO, Won't fix, Other…) are mapped; one that cannot be is kept as text
    with a warning. A file imported before is updated: fields edited in the tool since are kept unless --overwrite.
    Prints a per-file report. Exit 0: all imported cleanly; 1: some with warnings; 2: a file could not be imported.
    """
    from afteraction.core.errors import InvalidInput
    from afteraction.documents.mapping import ImportMapping, load_mapping
    from afteraction.usecases import documents as service

    if owner_default is not None and not owner_default.strip():
        raise InvalidInput("--owner-default: give a team or person name, not an empty one", field="owner_default")
    mapping = (load_mapping(mapping_file) if mapping_file is not None else ImportMapping()).with_zone(tz)
    state = state_of(ctx)
    db = state.database()
    err = error_console()
    with Progress(
        TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
        disable=as_json or not err.is_terminal or len(paths) < 2,
    ) as progress:  # fmt: skip
        task = progress.add_task("import", total=len(paths))
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
            mapping=mapping,
            overwrite=overwrite,
            actor=actor_of(ctx),
            policy=state.policy(),
        )
    if report_file is not None:
        write_file(report_file, json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    for failure in report.failures:
        typer.echo(f"error: {one_line(failure.message)}", err=True)
    if as_json:
        print_json([result.to_json() for result in report.results])
    else:
        _print_report(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _print_report(report: ImportReport) -> None:
    """The per-file report: what was read into which field, custom sections, what was kept, every warning."""
    out = console()
    for result in report.results:
        c = result.counts
        head = markup(
            "[bold]{}[/bold] → {} ({}): timeline {} timed, {} without a time · {} moments · {} sections · "
            "{} custom sections · {} action items · {} lessons",
            result.path, result.incident_id, "new" if result.created else "updated", c["timeline_timed"],
            c["timeline_untimed"], c["moments"], c["sections"], c["custom_sections"], c["action_items"], c["lessons"],
        )  # fmt: skip
        out.print(head, soft_wrap=True)
        if result.fields:
            out.print(markup("  fields: {}", ", ".join(result.fields)), soft_wrap=True)
        if result.custom_sections:
            out.print(markup("  custom sections: {}", ", ".join(result.custom_sections)), soft_wrap=True)
        for kept in result.kept_from_tool:
            out.print(markup("  [cyan]kept[/cyan]: {}", kept), soft_wrap=True)
        for warning in result.warnings:
            out.print(markup("  [yellow]warning[/yellow]: {}", warning), soft_wrap=True)
    created = sum(1 for r in report.results if r.created)
    published = sum(1 for r in report.results if r.status == "published")
    failed = f", {len(report.failures)} could not be imported" if report.failures else ""
    out.print(
        f"Imported {len(report.results)} post-mortems ({created} new, {len(report.results) - created} updated), "
        f"{len(report.warnings)} warnings{failed}."
    )
    if published:
        out.print(f"{published} imported as published (`--json` says why, and where each key moment came from).")


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
