"""`afteraction people list|add|set|merge` (the directory of people) and `afteraction inbox` (what waits for one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, markup, print_json, table

if TYPE_CHECKING:
    from afteraction.people.service import PersonChanges, PersonView

app = typer.Typer(help="The directory of people: owners, authors, reviewers and commenters.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
Email = Annotated[str | None, typer.Option("--email", help="Their e-mail address.")]
Slack = Annotated[str | None, typer.Option("--slack", help="Their Slack user id (U…).")]
GitHub = Annotated[str | None, typer.Option("--github", help="Their GitHub login.")]
Jira = Annotated[str | None, typer.Option("--jira", help="Their Jira account id.")]
Team = Annotated[str | None, typer.Option("--team", help="Their team.")]
Account = Annotated[str | None, typer.Option("--account", help="The account they sign in with ('' unlinks).")]


def _changes(**fields: Any) -> PersonChanges:
    from afteraction.people.service import PersonChanges

    return PersonChanges(**{key: value for key, value in fields.items() if value is not None})


def _show(person: PersonView, verb: str) -> None:
    reach = ", ".join(part for part in (person.email, person.slack_id and f"Slack {person.slack_id}") if part)
    console().print(markup("{} {}", verb, person.name) + (markup(" ({})", reach) if reach else "") + ".")


@app.command("list")
def list_command(
    ctx: typer.Context,
    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
    query: Annotated[str | None, typer.Option("--find", help="Only names, e-mails or handles containing this.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the people in the directory."""
    from afteraction.usecases.incidents import directory

    people = directory(state_of(ctx).database(), team=team, query=query, actor=actor_of(ctx))
    if as_json:
        print_json(people)
        return
    rows = [(p.name, p.email or "", p.team or "", p.account or "", p.slack_id or "", p.github_login or "")
            for p in people]  # fmt: skip
    console().print(table("People", ["Name", "E-mail", "Team", "Account", "Slack", "GitHub"], rows))


@app.command("add")
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Their name as it should be shown (Rita Gomez).")],
    email: Email = None,
    slack: Slack = None,
    github: GitHub = None,
    jira: Jira = None,
    team: Team = None,
    account: Account = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a person to the directory."""
    from afteraction.people.service import add_person

    changes = _changes(email=email, slack_id=slack, github_login=github, jira_account_id=jira, team=team,
                       account=account)  # fmt: skip
    person = add_person(state_of(ctx).database(), name=name, changes=changes)
    if as_json:
        print_json(person)
    else:
        _show(person, "Added")


@app.command("set")
def set_command(
    ctx: typer.Context,
    who: Annotated[str, typer.Argument(help="The person: a name, e-mail or handle.")],
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    email: Email = None,
    slack: Slack = None,
    github: GitHub = None,
    jira: Jira = None,
    team: Team = None,
    account: Account = None,
    email_notifications: Annotated[
        bool | None, typer.Option("--email-notifications/--no-email-notifications", help="Notify them by e-mail.")
    ] = None,
    slack_notifications: Annotated[
        bool | None, typer.Option("--slack-notifications/--no-slack-notifications", help="Notify them on Slack.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a person's name, contacts, ids, team, account or notification channels."""
    from afteraction.people.service import change_person

    changes = _changes(name=name, email=email, slack_id=slack, github_login=github, jira_account_id=jira, team=team,
                       account=account, notify_email=email_notifications, notify_slack=slack_notifications)  # fmt: skip
    person = change_person(state_of(ctx).database(), who=who, changes=changes)
    if as_json:
        print_json(person)
    else:
        _show(person, "Changed")


@app.command("merge")
def merge_command(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The person to keep.")],
    others: Annotated[list[str], typer.Argument(help="The people merged into them.")],
    as_json: JsonFlag = False,
) -> None:
    """Merge people into one: their action items, reviews, comments and notifications follow."""
    from afteraction.people.service import merge_people

    person = merge_people(state_of(ctx).database(), keep=keep, others=others)
    if as_json:
        print_json(person)
    else:
        _show(person, "Merged into")


def inbox_command(
    ctx: typer.Context,
    as_: Annotated[str | None, typer.Option("--as", help="Whose inbox: a name, e-mail or handle.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """What waits for a person: post-mortems to review, their open action items, post-mortems they author that are
    due."""
    from afteraction.usecases.inbox import inbox

    found = inbox(state_of(ctx).database(), actor=actor_of(ctx, as_), person=as_)
    if as_json:
        print_json(found)
        return
    out = console()
    out.print(markup("Inbox of {}", found.person or "nobody"))
    out.print(
        table(
            "To review",
            ["Incident", "Title", "Asked", "By"],
            [
                (r.id, r.title, r.requested_at.date().isoformat() if r.requested_at else "", r.requested_by or "")
                for r in found.reviews
            ],
        )
        if found.reviews
        else "Nothing to review."
    )
    out.print(
        table(
            "Action items",
            ["Item", "Incident", "Title", "Due", "Status"],
            [
                (
                    a.id,
                    a.incident_id,
                    a.title,
                    (a.due.isoformat() if a.due else "") + (" (overdue)" if a.overdue else ""),
                    a.status,
                )
                for a in found.actions
            ],
        )
        if found.actions
        else "No open action items."
    )
    out.print(
        table(
            "Post-mortems due",
            ["Incident", "Title", "Status", "Due"],
            [
                (p.id, p.title, p.status, p.due_date.isoformat() + (" (overdue)" if p.overdue else ""))
                for p in found.postmortems_due
            ],
        )
        if found.postmortems_due
        else "No post-mortems due."
    )
