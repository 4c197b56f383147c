"""`afteraction comment add|list|resolve|reopen`: comments on a post-mortem, its sections, whys, factors, lessons and
action items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, fmt_time, markup, print_json

if TYPE_CHECKING:
    from afteraction.reviews.comments import CommentView

app = typer.Typer(help="Comment on a post-mortem: add, list, resolve and reopen comments.", no_args_is_help=True)

IncidentArg = Annotated[str, typer.Argument(metavar="ID", help="The incident, e.g. INC-12.")]
CommentArg = Annotated[int, typer.Argument(metavar="COMMENT_ID", help="The comment's number, e.g. 7.", min=1)]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Who comments (default: $AFTERACTION_USER, else the OS user).", show_default=False),
]


def _print(comment: CommentView, indent: str = "") -> None:
    out = console()
    state = "resolved" + (f" by {comment.resolved_by}" if comment.resolved_by else "") if comment.resolved else "open"
    where = "the whole post-mortem" if comment.target_kind == "document" else comment.on
    if comment.parent_id is None:
        out.print(markup("{}[bold]#{}[/bold] on {} ({}): {}, {}", indent, comment.id, where, state, comment.author,
                         fmt_time(comment.created_at)))  # fmt: skip
    else:
        out.print(markup("{}[bold]#{}[/bold] reply: {}, {}", indent, comment.id, comment.author,
                         fmt_time(comment.created_at)))  # fmt: skip
    if comment.quote:
        out.print(f"{indent}  > {comment.quote}")
    for line in comment.text.splitlines() or [""]:
        out.print(f"{indent}  {line}")
    for reply in comment.replies:
        _print(reply, indent + "    ")


@app.command("add")
def add(
    ctx: typer.Context,
    incident_id: IncidentArg,
    text: Annotated[str, typer.Option("--text", "-m", help="The comment; @name mentions (and notifies) someone.")],
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="What it is on: a section (Summary, impact, a custom heading), a why (W1.2), a factor (F3), "
            "an action item (AI-7) or a lesson (lesson:2); without it, the whole post-mortem.",
            show_default=False,
        ),
    ] = None,
    quote: Annotated[
        str | None, typer.Option("--quote", help="A passage of what it is on, quoted.", show_default=False)
    ] = None,
    reply_to: Annotated[
        int | None,
        typer.Option("--reply-to", help="Reply to this comment (on what it is on).", min=1, show_default=False),
    ] = None,
    as_: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Comment on a post-mortem or a part of it, or reply to a comment."""
    from afteraction.reviews import comments as service

    comment = service.add_comment(
        state_of(ctx).database(),
        incident_id=incident_id,
        actor=actor_of(ctx, as_),
        text=text,
        on=on,
        quote=quote,
        parent_id=reply_to,
    )
    if as_json:
        print_json(comment)
        return
    where = "the whole post-mortem" if comment.target_kind == "document" else comment.on
    what = f"Reply #{comment.id} to #{comment.parent_id}" if comment.parent_id else f"Comment #{comment.id}"
    console().print(f"{what} on {where} of {incident_id.upper()}, by {comment.author}.")
    if comment.mentions:
        console().print(f"Mentioned: {', '.join(comment.mentions)}.")


@app.command("list")
def list_command(
    ctx: typer.Context,
    incident_id: IncidentArg,
    open_only: Annotated[bool, typer.Option("--open", help="Only the comments not resolved yet.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """The comments of a post-mortem, oldest first, with their replies."""
    from afteraction.reviews import comments as service

    found = service.list_comments(
        state_of(ctx).database(), incident_id=incident_id, actor=actor_of(ctx), open_only=open_only
    )
    if as_json:
        print_json(found)
        return
    if not found:
        console().print("No open comments." if open_only else "No comments yet.")
        return
    for comment in found:
        _print(comment)


@app.command("resolve")
def resolve(ctx: typer.Context, comment_id: CommentArg, as_: AsOption = None) -> None:
    """Resolve a comment (its author or an author of the post-mortem may)."""
    from afteraction.reviews import comments as service

    comment = service.resolve_comment(state_of(ctx).database(), comment_id=comment_id, actor=actor_of(ctx, as_))
    console().print(f"Comment #{comment.id} on {comment.on} resolved by {comment.resolved_by}.")


@app.command("reopen")
def reopen(ctx: typer.Context, comment_id: CommentArg, as_: AsOption = None) -> None:
    """Reopen a resolved comment (its author or an author of the post-mortem may)."""
    from afteraction.reviews import comments as service

    comment = service.reopen_comment(state_of(ctx).database(), comment_id=comment_id, actor=actor_of(ctx, as_))
    console().print(f"Comment #{comment.id} on {comment.on} is open again.")
