"""`afteraction remind`: one digest per owner of their open and overdue action items, by e-mail and/or Slack."""

from __future__ import annotations

from typing import Annotated

import typer

from afteraction.cli import one_line, state_of
from afteraction.cli.acting import actor_of, policy_of
from afteraction.cli.output import console, error_console, print_json, table
from afteraction.cli.params import parse_date


def remind_command(
    ctx: typer.Context,
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", help="email or slack (repeatable; default: every configured channel)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show who would get a digest; send nothing.")] = False,
    today: Annotated[str | None, typer.Option("--today", help="Remind as of this date (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Send each owner one digest of their open and overdue action items; a second run in the period sends nothing."""
    from afteraction.usecases.remind import send_reminders

    state = state_of(ctx)
    report = send_reminders(
        state.database(),
        settings=state.settings,
        policy=policy_of(ctx),
        channels=channel or [],
        today=parse_date(today, "--today") if today else None,
        dry_run=dry_run,
        actor=actor_of(ctx),
    )
    if as_json:
        print_json(report)
    elif not report.results:
        console().print(f"Nobody has open action items ({report.period}).")
    else:
        rows = [(r.owner, r.channel, r.outcome, r.items, r.overdue, r.detail) for r in report.results]
        console().print(table(f"Reminders for {report.period}", ["Owner", "Channel", "Outcome", "Items", "Overdue",
                                                                  "Detail"], rows))  # fmt: skip
    failed = [r for r in report.results if r.outcome == "failed"]
    for result in failed:
        error_console().print(f"error: {result.owner} ({result.channel}): {one_line(result.detail)}")
    if failed:
        raise typer.Exit(6)
