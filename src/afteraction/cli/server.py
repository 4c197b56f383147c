"""`afteraction serve`: the web app and REST API, served by uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.output import error_console


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    log_level: Annotated[
        str, typer.Option("--log-level", help="critical, error, warning, info, debug or trace.")
    ] = "info",
) -> None:
    """Serve the web app and REST API (state lives in the database, so any number of processes may run)."""
    import uvicorn

    from afteraction.web import read_configuration

    state = state_of(ctx)
    # The policy and lint files are read once, at start: a bad one refuses to start with one line, before the port.
    read_configuration(state.settings)
    state.database().check()
    # Workers are separate processes that build their settings from the environment: pass --database-url on.
    os.environ["AFTERACTION_DATABASE_URL"] = state.settings.database_url
    error_console().print(f"afteraction serving on http://{host}:{port} ({workers} worker(s)); database ready")
    uvicorn.run(
        "afteraction.web:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=True,
        server_header=False,
    )
