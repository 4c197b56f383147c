"""`afteraction review request|approve|reject|publish|show`: the review workflow of a post-mortem."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of, policy_of
from afteraction.cli.output import console, error_console, fmt_time, markup, print_json, table

if TYPE_CHECKING:
    from afteraction.reviews.workflow import Blocker, ReviewState

app = typer.Typer(help="Review a post-mortem: draft → in-review → approved → published.", no_args_is_help=True)

IncidentArg = Annotated[str, typer.Argument(metavar="ID", help="The incident, e.g. INC-12.")]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Who acts (default: $AFTERACTION_USER, else the OS user).", show_default=False),
]
CommentOption = Annotated[str | None, typer.Option("--comment", "-m", help="A comment kept in the history.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
# The commands that fix a blocker, said on the command line only (the web pages speak of their own controls).
COMMAND_HINTS = {
    "approvals": "afteraction review request ID --reviewer NAME, then review approve",
    "section": "afteraction export ID --format md, write it, then afteraction import FILE",
    "owner": "afteraction actions update {item} --owner NAME",
    "due-date": "afteraction actions update {item} --due YYYY-MM-DD",
}


def _blocker_line(blocker: Blocker) -> str:
    hint = COMMAND_HINTS.get(blocker.code)
    item = blocker.where.partition("#")[2] if blocker.where.startswith("postmortem#AI-") else "AI-n"
    return f"  - {blocker.text}" + (f" ({hint.format(item=item)})" if hint else "")


def _show(state: ReviewState, as_json: bool, headline: str | None = None) -> None:
    if as_json:
        print_json(state)
        return
    out = console()
    if headline:
        out.print(headline)
    reviewers = ", ".join(state.reviewers) or "none"
    out.print(
        markup(
            "[bold]{}[/bold] {}: [bold]{}[/bold] (reviewers: {})",
            state.incident_id,
            state.title,
            state.status,
            reviewers,
        )
    )
    if state.status in ("in-review", "approved"):
        approved = ", ".join(f"{a.by} at {fmt_time(a.at)}" for a in state.approved_by) or "nobody yet"
        out.print(f"Approvals {len(state.approvals)}/{state.approvals_needed}: {approved}")
    if state.amended_at is not None:
        out.print(f"Amended after publication on {fmt_time(state.amended_at)} by {state.amended_by or 'someone'}")
    for line in state.filled_due_dates:
        out.print(f"Due date from the policy: {line}")
    if state.blockers:
        out.print("Before it can be published:")
        for blocker in state.blockers:
            out.print(_blocker_line(blocker))


@app.command("request")
def request(
    ctx: typer.Context,
    incident_id: IncidentArg,
    reviewer: Annotated[
        list[str] | None,
        typer.Option(
            "--reviewer", "-r", help="A reviewer: an editor's or admin's account, not an author (repeatable)."
        ),
    ] = None,
    comment: CommentOption = None,
    as_: AsOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Send a draft post-mortem for review by the named reviewers."""
    from afteraction.reviews import workflow as service

    state = service.request_review(
        state_of(ctx).database(),
        incident_id=incident_id,
        actor=actor_of(ctx, as_),
        policy=policy_of(ctx),
        reviewers=reviewer or [],
        comment=comment,
    )
    _show(state, as_json, f"Review requested for {state.incident_id}.")


@app.command("approve")
def approve(
    ctx: typer.Context,
    incident_id: IncidentArg,
    comment: CommentOption = None,
    as_: AsOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve a post-mortem under review, as one of its reviewers or an admin: --as names the account (an author
    cannot approve their own post-mortem, nor can anyone approve an empty draft)."""
    from afteraction.reviews import workflow as service

    state = service.approve_review(
        state_of(ctx).database(),
        incident_id=incident_id,
        actor=actor_of(ctx, as_),
        policy=policy_of(ctx),
        comment=comment,
    )
    last = state.history[-1]
    _show(state, as_json, f"Approved by {last.actor}" + (" (as an admin)." if last.action == "admin-approve" else "."))


@app.command("reject")
def reject(
    ctx: typer.Context,
    incident_id: IncidentArg,
    comment: Annotated[str, typer.Option("--comment", "-m", help="What must change (required).")],
    as_: AsOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Send a post-mortem under review back to draft, saying what must change (as a reviewer or an admin: --as names
    the account)."""
    from afteraction.reviews import workflow as service

    state = service.reject_review(
        state_of(ctx).database(),
        incident_id=incident_id,
        actor=actor_of(ctx, as_),
        policy=policy_of(ctx),
        comment=comment,
    )
    _show(state, as_json, "Sent back to draft.")


@app.command("publish")
def publish(
    ctx: typer.Context,
    incident_id: IncidentArg,
    comment: CommentOption = None,
    as_: AsOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Publish an approved post-mortem; refused, with every reason, while the policy's checks fail."""
    from afteraction.reviews import workflow as service
    from afteraction.reviews.workflow import PublishRefused

    try:
        state = service.publish_review(
            state_of(ctx).database(),
            incident_id=incident_id,
            actor=actor_of(ctx, as_),
            policy=policy_of(ctx),
            comment=comment,
        )
    except PublishRefused as refused:
        err = error_console()
        err.print(f"error: cannot publish {refused.incident_id}:")
        for blocker in refused.blockers:
            err.print(_blocker_line(blocker))
        raise typer.Exit(refused.exit_code) from None
    _show(state, as_json, f"Published {state.incident_id}.")


@app.command("show")
def show(ctx: typer.Context, incident_id: IncidentArg, as_json: JsonFlag = False) -> None:
    """A post-mortem's review state, reviewers, approvals, what blocks publishing, and its history."""
    from afteraction.reviews import workflow as service

    state = service.review_state(
        state_of(ctx).database(), actor=actor_of(ctx), incident_id=incident_id, policy=policy_of(ctx)
    )
    if as_json:
        print_json(state)
        return
    _show(state, False)
    if state.history:
        rows = [
            (fmt_time(e.at), e.action, f"{e.from_status} → {e.to_status}", e.actor, e.comment or "")
            for e in state.history
        ]
        console().print(table("History", ["At", "Action", "Status", "Who", "Comment"], rows))
