"""The web face: `create_app(settings)` builds the FastAPI app (REST API under /api/v1, health checks)."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from afteraction.core.config import Settings
from afteraction.core.db import Database

if TYPE_CHECKING:
    from afteraction.analysis.lint import LintConfig
    from afteraction.domain.policy import Policy

__all__ = ["app_from_env", "create_app", "read_configuration"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for these settings; the engine is built here and kept on app.state, never at import time."""
    from afteraction import __version__
    from afteraction.web.api import API_RESPONSES, api_routers
    from afteraction.web.deps import api_user, bearer_token
    from afteraction.web.errors import install_error_handlers
    from afteraction.web.fastpath import FastPath
    from afteraction.web.fastread import reader_pool
    from afteraction.web.health import router as health_router
    from afteraction.web.limits import BodyLimit

    settings = settings or Settings()
    policy, lint_config = read_configuration(settings)  # once, here: a bad file stops the start, not each request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if app.state.readers is not None:
            app.state.readers.close()
        app.state.db.dispose()

    app = FastAPI(
        title="afteraction",
        version=__version__,
        summary="Blameless post-mortems: incidents, timelines, cause trees, lessons and action items.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.policy = policy
    app.state.lint_config = lint_config
    import afteraction.models  # noqa: F401  every table, so foreign keys between areas resolve

    app.state.db = Database(settings.database_url, echo=settings.echo_sql)
    # The fast reads' own bounded pool of raw connections (web/fastread.py); None when they are off.
    app.state.readers = reader_pool(app.state.db, settings.fast_read_connections)
    # Ways to find the user of a request, tried in order; the web pages add a session cookie here.
    app.state.authenticators = [bearer_token]
    # How a route's role (Viewer, Editor, Admin in web/deps.py) finds its user here: 401 without one. The pages set
    # their own, which sends a visitor to the sign-in page.
    app.state.signed_in = api_user
    install_error_handlers(app)
    app.add_middleware(
        BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes, upload_suffix="/import"
    )
    app.add_middleware(FastPath)
    for router in api_routers:
        app.include_router(router, prefix="/api/v1", responses=API_RESPONSES)
    app.include_router(health_router)
    from afteraction.web.pages import install_pages

    install_pages(app)  # last: the pages answer every path the routes above leave (but /api/…)
    return app


def read_configuration(settings: Settings, start: Path | None = None) -> tuple[Policy, LintConfig]:
    """The policy and the lint configuration of a server, read once when it starts: the policy from the settings'
    policy file, else (like the lint configuration) from the nearest afteraction.toml, .afteraction.toml or
    pyproject.toml at or above `start`, the directory the server starts in. A bad file raises ConfigurationError
    naming the file (and the line)."""
    from afteraction.analysis.lint import load_lint_config
    from afteraction.domain.policy import load_policy

    here = (start or Path.cwd()).resolve()
    policy_file = settings.policy_file
    if policy_file is not None and not policy_file.is_absolute():
        policy_file = here / policy_file
    return load_policy(policy_file, start=here), load_lint_config(here)


def app_from_env() -> FastAPI:
    """The app with settings from the environment: the factory `afteraction serve` hands to uvicorn. A bad policy or
    lint file stops the process with one line on stderr and the command line's exit code, not a traceback."""
    from afteraction.core.errors import AfteractionError

    try:
        app = create_app(Settings())
    except AfteractionError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    # A server process keeps what it built at start for its whole life: out of the collector's way, so a full
    # collection under load walks only what requests made (shorter pauses, a lower p99).
    gc.collect()
    gc.freeze()
    return app
