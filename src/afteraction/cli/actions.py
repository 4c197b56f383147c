"""`afteraction actions add|update|list`."""

from __future__ import annotations

from typing import Annotated

import typer

from afteraction.actions import service
from afteraction.actions.schemas import ActionItemView
from afteraction.cli import state_of
from afteraction.cli.output import console, print_json, table
from afteraction.cli.params import parse_date

app = typer.Typer(help="Follow action items until they are done.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _done(item: ActionItemView, verb: str, as_json: bool) -> None:
    if as_json:
        print_json(item)
        return
    owner = item.owner or "no owner"
    due = item.due.isoformat() if item.due else "no due date"
    console().print(f"{verb} [bold]{item.id}[/bold] ({item.incident_id}): {item.title} — {owner}, {due}, {item.status}")


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
    """Add an action item to an incident."""
    item = service.add_action(
        state_of(ctx).database(),
        incident_id=incident_id,
        title=title,
        owner=owner,
        due=parse_date(due, "--due") if due else None,
        type=type_,
        priority=priority,
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
    as_json: JsonFlag = False,
) -> None:
    """Change an action item: status, owner, due date, title, type or priority."""
    item = service.update_action(
        state_of(ctx).database(),
        action_id=action_id,
        status=status,
        owner=owner,
        due=parse_date(due, "--due") if due else None,
        title=title,
        type=type_,
        priority=priority,
        reason=reason,
    )
    _done(item, "Updated", as_json)


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
    items = service.list_actions(
        state_of(ctx).database(), incident_id=incident, open_only=open_, overdue=overdue, owner=owner
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
            i.owner or "[yellow]—[/yellow]",
            (f"[red]{i.due} overdue[/red]" if i.overdue else (i.due.isoformat() if i.due else "[yellow]—[/yellow]")),
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
