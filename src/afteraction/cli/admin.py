"""`afteraction init` and `afteraction demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.acting import actor_of
from afteraction.cli.output import console, markup, write_file


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
    from afteraction.usecases.demo import load_demo

    state = state_of(ctx)
    db = state.database(check=False)
    db.migrate()
    loaded = load_demo(
        db,
        actor=actor_of(ctx),
        today=utcnow().date(),
        severities=state.settings.severities,
        template_dir=state.settings.template_dir,
        user=user,
    )
    text = loaded.markdown
    out = console()
    if not quiet:
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        out.print(Markdown(body))
    verb = "Loaded" if loaded.created else "Refreshed"
    out.print(markup("\n{} the demo post-mortem as [bold]{}[/bold] in {}", verb, loaded.incident_id, db.display_url()))
    if markdown is not None:
        write_file(markdown, text)
        out.print(f"Markdown file: {markdown.resolve()}")
    if loaded.user is not None:
        account = loaded.user
        out.print(
            markup(
                "Web sign-in: user [bold]{}[/bold], password [bold]{}[/bold] ({})",
                account.name,
                loaded.password,
                account.role,
            )
        )
        out.print(
            f"{account.name} is a reviewer of {loaded.incident_id}: approve and publish it on its Review page,"
            f" /incidents/{loaded.incident_id}/review."
        )
