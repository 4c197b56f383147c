"""`afteraction actions add|update|list`."""

from __future__ import annotations

from typing import Annotated

import typer

from afteraction.cli import one_line, state_of
from afteraction.cli.acting import actor_of, policy_of
from afteraction.cli.output import console, markup, print_json, table, write_file
from afteraction.cli.params import parse_date
from afteraction.domain.actions import ActionItemView

app = typer.Typer(help="Follow action items until they are done.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _done(item: ActionItemView, verb: str, as_json: bool) -> None:
    if as_json:
        print_json(item)
        return
    owner = item.owner or "no owner"
    due = item.due.isoformat() if item.due else "no due date"
    template = "{} [bold]{}[/bold] ({}): {} — {}, {}, {}"
    console().print(markup(template, verb, item.id, item.incident_id, item.title, owner, due, item.status))


@app.command("add")
def add(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="INCIDENT_ID", help="The incident, e.g. INC-12.")],
    title: Annotated[
        str, typer.Option("--title", help="A specific change, e.g. 'Alert on certificate expiry < 14 days'.")
    ],
    owner: Annotated[str | None, typer.Option("--owner", help="Who drives it to done.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, YYYY-MM-DD.")] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="prevent, mitigate, detect, process, repair or learn.")
    ] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="P0..P3.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add an action item to an incident; without --due it gets the policy's default for its priority."""
    from afteraction.usecases.actions import add_action

    item = add_action(
        state_of(ctx).database(),
        actor=actor_of(ctx),
        incident_id=incident_id,
        title=title,
        owner=owner,
        due=parse_date(due, "--due") if due else None,
        type=type_,
        priority=priority,
        policy=policy_of(ctx),
    )
    _done(item, "Added", as_json)


@app.command("update")
def update(
    ctx: typer.Context,
    action_id: Annotated[str, typer.Argument(metavar="ACTION_ID", help="The action item, e.g. AI-7.")],
    status: Annotated[str | None, typer.Option("--status", help="open, in-progress, done or wont-do.")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    due: Annotated[str | None, typer.Option("--due", help="YYYY-MM-DD.")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    type_: Annotated[str | None, typer.Option("--type")] = None,
    priority: Annotated[str | None, typer.Option("--priority")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required for wont-do).")] = None,
    as_: Annotated[str | None, typer.Option("--as", help="Who is recorded when the post-mortem closes.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an action item: status, owner, due date, title, type or priority."""
    from afteraction.domain.actions import ActionChanges
    from afteraction.usecases.actions import update_action

    changes = ActionChanges(
        status=status,
        owner=owner,
        due=parse_date(due, "--due") if due else None,
        title=title,
        type=type_,
        priority=priority,
        reason=reason,
    )
    update = update_action(
        state_of(ctx).database(), actor=actor_of(ctx, as_), action_id=action_id, changes=changes, policy=policy_of(ctx)
    )
    _done(update.item, "Updated", as_json)
    if not as_json:
        for line in update.settled:
            key, _, status_now = line.partition(" ")
            if status_now == "closed":
                console().print(f"The post-mortem of {key} is closed: every action item is done or wont-do.")
            else:
                console().print(f"The post-mortem of {key} is open again: an action item was reopened.")


@app.command("list")
def list_(
    ctx: typer.Context,
    incident: Annotated[str | None, typer.Option("--incident", help="Only this incident's items.")] = None,
    open_: Annotated[bool, typer.Option("--open", help="Only open and in-progress items.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open items past their due date.")] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's items.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List action items, soonest due first; overdue ones are marked."""
    from afteraction.actions import service

    items = service.list_actions(
        state_of(ctx).database(),
        actor=actor_of(ctx),
        incident_id=incident,
        open_only=open_,
        overdue=overdue,
        owner=owner,
    )
    if as_json:
        print_json(items)
        return
    if not items:
        console().print("No action items match.")
        return
    rows = [
        (
            i.id,
            i.incident_id,
            i.title,
            i.owner or markup("[yellow]—[/yellow]"),
            (markup("[red]{} overdue[/red]", i.due) if i.overdue else (i.due or markup("[yellow]—[/yellow]"))),
            i.priority or "",
            i.type or "",
            i.status,
            i.tracker or "",
        )
        for i in items
    ]
    console().print(
        table(
            f"{len(items)} action items",
            ["ID", "Incident", "Action", "Owner", "Due", "Pri", "Type", "Status", "Tracker"],
            rows,
        )
    )


@app.command("agenda")
def agenda(
    ctx: typer.Context,
    team: Annotated[str | None, typer.Option("--team", help="Only incidents labelled with this team.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Date of the last meeting, YYYY-MM-DD (default: 7 days ago).")
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the Markdown to this file.")] = None,
) -> None:
    """The agenda of a review meeting, in Markdown: open and overdue items by owner, due soon, done, reviews."""
    from afteraction.usecases.agenda import build_agenda, render_agenda

    text = render_agenda(
        build_agenda(
            state_of(ctx).database(),
            team=team,
            since=parse_date(since, "--since") if since else None,
            actor=actor_of(ctx),
        )
    )
    if output:
        write_file(output, text)
        console().print(f"Wrote the agenda to {output}")
    else:
        print(text, end="")


@app.command("sync")
def sync(
    ctx: typer.Context,
    tracker: Annotated[
        str | None, typer.Option("--tracker", help="jira, github or linear (default: the one configured).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; send and write nothing.")] = False,
    as_: Annotated[str | None, typer.Option("--as", help="Who is recorded closing post-mortems.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a tracker issue for every open action item, push title and due date changes, read status back."""
    from afteraction.cli.output import error_console
    from afteraction.trackers import choose_tracker, make_tracker
    from afteraction.usecases.sync import sync_actions

    state = state_of(ctx)
    db = state.database()
    policy = policy_of(ctx)
    client = make_tracker(choose_tracker(state.settings, tracker), state.settings)
    report = sync_actions(
        db, tracker=client, policy=policy, actor=actor_of(ctx, as_), base_url=state.settings.base_url,
        dry_run=dry_run,
    )  # fmt: skip
    if as_json:
        print_json({"tracker": report.tracker, "dry_run": report.dry_run, "changes": report.changes,
                    "closed": report.closed, "aborted": report.aborted})  # fmt: skip
    else:
        verb = "Would sync" if dry_run else "Synced"
        shown = [c for c in report.changes if c.change != "status" or c.detail or dry_run]
        rows = [(c.action_id, c.incident_id, c.title, c.change, c.key or "", c.detail) for c in shown]
        console().print(
            table(f"{verb} with {report.tracker}: {len(report.changes)} items",
                  ["ID", "Incident", "Action", "Change", "Key", "Detail"], rows)
        )  # fmt: skip
        for line in report.closed:
            console().print(f"Post-mortem {line}")
    err = error_console()
    for failure in report.failures:
        err.print(f"error: {failure.action_id}: {one_line(failure.detail)}")
    if report.aborted:
        err.print(
            f"error: {one_line(report.aborted)}; the items not reached are unchanged, the next run completes the work"
        )
    if report.failures or report.aborted:
        raise typer.Exit(6)
