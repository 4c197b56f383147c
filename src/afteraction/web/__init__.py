"""The web face: `create_app(settings)` builds the FastAPI app (REST API under /api/v1, health checks)."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from afteraction.core.config import Settings
from afteraction.core.db import Database, DatabaseTimeouts

if TYPE_CHECKING:
    from afteraction.analysis.lint import LintConfig
    from afteraction.domain.policy import Policy

__all__ = ["app_from_env", "create_app", "read_configuration"]

DOCS = "/api/v1/docs"
DOCS_ASSETS = "/api/v1/docs/assets"


class EdgedApp(FastAPI):
    """FastAPI with the edge (web/edge.py) outside everything, even the handler of unexpected errors: every request
    passes it first and every answer on its way out."""

    def build_middleware_stack(self) -> ASGIApp:
        """The app's middleware stack inside the edge."""
        from afteraction.web.edge import Edge

        return Edge(super().build_middleware_stack(), settings=self.state.settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for these settings; the engine is built here and kept on app.state, never at import time."""
    from afteraction import __version__
    from afteraction.web.api import API_RESPONSES, api_routers
    from afteraction.web.deps import api_user, bearer_token
    from afteraction.web.edge import install_log_redaction
    from afteraction.web.errors import install_error_handlers
    from afteraction.web.fastpath import FastPath
    from afteraction.web.fastread import reader_pool
    from afteraction.web.health import router as health_router

    settings = settings or Settings()
    policy, lint_config = read_configuration(settings)  # once, here: a bad file stops the start, not each request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from afteraction.web.health import keep_up

        upkeep = asyncio.create_task(keep_up(app.state.db))  # the reads' upkeep, off the requests (issue #15)
        sender = None
        if app.state.send_notifications:  # a served process (app_from_env) sends notifications; a test app does not
            from afteraction.usecases.notify import start_notify_loop

            sender = start_notify_loop(app.state.db, settings)  # None when AFTERACTION_NOTIFY_INTERVAL=0
        yield
        upkeep.cancel()
        if sender is not None:
            await asyncio.to_thread(sender.stop)
        if app.state.readers is not None:
            app.state.readers.close()
        app.state.db.dispose()

    app = EdgedApp(
        title="afteraction",
        version=__version__,
        summary="Blameless post-mortems: incidents, timelines, cause trees, lessons and action items.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # install_docs: Swagger UI from files in the package, under a CSP of its own
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.policy = policy
    app.state.lint_config = lint_config
    app.state.send_notifications = False  # app_from_env turns it on: `serve` sends pending notifications itself
    import afteraction.models  # noqa: F401  every table, so foreign keys between areas resolve

    app.state.db = Database(
        settings.database_url, echo=settings.echo_sql, timeouts=DatabaseTimeouts.from_settings(settings)
    )
    # The fast reads' own bounded pool of raw connections (web/fastread.py); None when they are off.
    app.state.readers = reader_pool(app.state.db, settings.fast_read_connections)
    # Ways to find the user of a request, tried in order; the web pages add a session cookie here.
    app.state.authenticators = [bearer_token]
    # How a route's role (Viewer, Editor, Admin in web/deps.py) finds its user here: 401 without one. The pages set
    # their own, which sends a visitor to the sign-in page.
    app.state.signed_in = api_user
    install_error_handlers(app)
    install_log_redaction()  # webhook secrets given as ?token= stay out of the access log
    app.add_middleware(FastPath)
    for router in api_routers:
        app.include_router(router, prefix="/api/v1", responses=API_RESPONSES)
    app.include_router(health_router)
    install_docs(app)
    from afteraction.web.pages import install_pages

    install_pages(app)  # last: the pages answer every path the routes above leave (but /api/…)
    return app


def install_docs(app: FastAPI) -> None:
    """The API's Swagger UI at /api/v1/docs, from the files of the fastapi-offline package served at
    /api/v1/docs/assets: no CDN. Its page allows scripts from this site and its own init script (by hash) only."""
    import base64
    import hashlib
    import re
    from importlib.metadata import version

    from fastapi.openapi.docs import get_swagger_ui_html
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.staticfiles import StaticFiles

    assert app.openapi_url is not None
    release = version("fastapi-offline")  # in the asset addresses: a new release is never an old cached file
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title="afteraction REST API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js?v={release}",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css?v={release}",
        swagger_favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
    )
    html = bytes(page.body)
    inline = re.findall(rb"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(code).digest()).decode()}'" for code in inline)
    policy = (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )

    async def docs(request: Request) -> Response:
        return Response(html, media_type="text/html", headers={"Content-Security-Policy": policy})

    class Assets(StaticFiles):
        """The package's files, cached by browsers (their addresses carry the release)."""

        def file_response(self, *args: Any, **kwargs: Any) -> Response:
            response = super().file_response(*args, **kwargs)
            response.headers["Cache-Control"] = "public, max-age=604800, immutable"
            return response

    app.add_route(DOCS, docs, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(DOCS_ASSETS, Assets(packages=[("fastapi_offline", "static")]), name="docs-assets")


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
    from afteraction.web.edge import DeadlineProtocol

    try:
        settings = Settings()
        app = create_app(settings)
    except AfteractionError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    app.state.send_notifications = True  # every AFTERACTION_NOTIFY_INTERVAL seconds (claims keep workers apart)
    # This process's connections (uvicorn's protocol of `afteraction serve`) get their header deadline from here.
    DeadlineProtocol.header_timeout = settings.header_timeout
    # A server process keeps what it built at start for its whole life: out of the collector's way, so a full
    # collection under load walks only what requests made (shorter pauses, a lower p99).
    gc.collect()
    gc.freeze()
    return app
