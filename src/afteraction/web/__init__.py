"""The web face: `create_app(settings)` builds the FastAPI app (REST API under /api/v1, health checks)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from afteraction.core.config import Settings
from afteraction.core.db import Database

__all__ = ["app_from_env", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for these settings; the engine is built here and kept on app.state, never at import time."""
    from afteraction import __version__
    from afteraction.web.api import API_RESPONSES, api_routers
    from afteraction.web.deps import bearer_token
    from afteraction.web.errors import install_error_handlers
    from afteraction.web.fastpath import FastPath
    from afteraction.web.health import router as health_router
    from afteraction.web.limits import BodyLimit

    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.state.db = Database(settings.database_url, echo=settings.echo_sql)
    # Ways to find the user of a request, tried in order; the web pages add a session cookie here.
    app.state.authenticators = [bearer_token]
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


def app_from_env() -> FastAPI:
    """The app with settings from the environment: the factory `afteraction serve` hands to uvicorn."""
    app = create_app(Settings())
    # A server process keeps what it built at start for its whole life: out of the collector's way, so a full
    # collection under load walks only what requests made (shorter pauses, a lower p99).
    gc.collect()
    gc.freeze()
    return app
