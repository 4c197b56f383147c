"""`afteraction init` and `afteraction demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, markup, write_file
from afteraction.core.actor import Actor


def init(ctx: typer.Context) -> None:
    """Create or migrate the database ($AFTERACTION_DATABASE_URL, default a SQLite file)."""
    db = state_of(ctx).database(check=False)
    db.migrate()
    console().print(f"Database ready: {db.display_url()}")


def demo(
    ctx: typer.Context,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", "-o", help="Also write the demo post-mortem as Markdown here."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the post-mortem.")] = False,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Also create (or reset) this web sign-in, an editor who reviews the demo; print its new password.",
        ),
    ] = None,
) -> None:
    """Load a complete sample incident and post-mortem (creates the database if needed)."""
    from rich.markdown import Markdown

    from afteraction.core.db import utcnow
    from afteraction.reviews import workflow
    from afteraction.usecases import documents as service
    from afteraction.usecases.demo import DEMO_AUTHOR, DEMO_REQUEST_COMMENT, demo_document, demo_request_time

    state = state_of(ctx)
    db = state.database(check=False)
    db.migrate()
    today = utcnow().date()
    result = service.store_document(
        db, doc=demo_document(today, reviewer=user), severities=state.settings.severities, actor=actor_of(ctx)
    )
    # Its author asked for the review the day before: the history says so, and a reload starts the review over.
    workflow.restart_review(
        db,
        incident_id=result.incident_id,
        actor=Actor.system(DEMO_AUTHOR),
        at=demo_request_time(today),
        comment=DEMO_REQUEST_COMMENT,
    )
    text = service.export_document(
        db, actor=actor_of(ctx), incident_id=result.incident_id, fmt="md", template_dir=state.settings.template_dir
    )
    assert isinstance(text, str)
    out = console()
    if not quiet:
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        out.print(Markdown(body))
    verb = "Loaded" if result.created else "Refreshed"
    out.print(markup("\n{} the demo post-mortem as [bold]{}[/bold] in {}", verb, result.incident_id, db.display_url()))
    if markdown is not None:
        write_file(markdown, text)
        out.print(f"Markdown file: {markdown.resolve()}")
    if user is not None:
        import secrets

        from afteraction.accounts.sessions import reset_demo_user

        password = secrets.token_urlsafe(9)
        account = reset_demo_user(db, name=user, password=password)
        out.print(
            markup(
                "Web sign-in: user [bold]{}[/bold], password [bold]{}[/bold] ({})", account.name, password, account.role
            )
        )
        out.print(
            f"{account.name} is a reviewer of {result.incident_id}: approve and publish it on its Review page,"
            f" /incidents/{result.incident_id}/review."
        )
