"""`afteraction serve`: the web app and REST API, served by uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.output import error_console

KEEP_ALIVE_SECONDS = 5


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
    from afteraction.web.edge import DeadlineProtocol

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
        # uvicorn's HTTP protocol with a deadline for each request's headers (AFTERACTION_HEADER_TIMEOUT; each
        # process's app_from_env sets it); bodies have theirs in the app (AFTERACTION_BODY_TIMEOUT).
        http=DeadlineProtocol,
        # An idle kept-alive connection is closed after 5 seconds (uvicorn's default, said here on purpose).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
