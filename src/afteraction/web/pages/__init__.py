"""The web app: server-rendered pages (Jinja2 with a little JavaScript on top) on the same service functions as the
CLI and the REST API. `install_pages(app)` mounts them and the static files on the app of `create_app`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files

from fastapi import Depends, FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from afteraction.web.pages import (
    actions,
    auth,
    comments,
    dashboard,
    incidents,
    insights,
    meetings,
    people,
    postmortem,
    review,
    themes,
)
from afteraction.web.pages.rendering import install_page_errors
from afteraction.web.pages.session import (
    SessionSigner,
    check_csrf,
    page_user,
    session_cookie,
    session_middleware,
)

__all__ = ["create_pages", "install_pages"]

PAGE_ROUTERS = (
    auth.router,
    dashboard.router,
    incidents.router,
    postmortem.router,
    review.router,
    actions.router,
    people.router,
    comments.router,
    meetings.router,
    insights.router,
    themes.router,
)


class PagesMount(Mount):
    """The pages at the root of the site for every path but the REST API's, which keeps its own 404 and 405."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if path == "/api" or path.startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


def create_pages(app: FastAPI) -> FastAPI:
    """The pages as an app of their own: HTML error pages, the session middleware and CSRF checks on every form."""
    pages = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, dependencies=[Depends(check_csrf)])
    pages.state.parent = app
    pages.state.settings = app.state.settings
    pages.state.policy = app.state.policy  # read once by create_app, like the lint configuration
    pages.state.lint_config = app.state.lint_config
    pages.state.session_signer = app.state.session_signer
    # The roles of web/deps.py find a page's user in its session, and send a visitor to the sign-in page.
    pages.state.signed_in = page_user
    pages.middleware("http")(session_middleware)
    install_page_errors(pages)
    for router in PAGE_ROUTERS:
        pages.include_router(router)
    return pages


def favicon_route(icon: bytes) -> Callable[[Request], Awaitable[Response]]:
    """/favicon.ico, which browsers ask for where no page names an icon (the API's JSON): the site's SVG icon."""

    async def favicon(request: Request) -> Response:
        return Response(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    return favicon


def install_pages(app: FastAPI) -> None:
    """Mount the pages and /static on the app, and let the REST API know a signed-in browser by its cookie."""
    app.state.session_signer = SessionSigner(app.state.settings, lambda: app.state.db)
    app.state.authenticators.append(session_cookie)
    app.mount("/static", StaticFiles(packages=[("afteraction", "web/static")]), name="static")
    # A plain file like /static's, outside the pages: no session cookie, no sign-in.
    icon = files("afteraction.web").joinpath("static/favicon.svg").read_bytes()
    app.add_route("/favicon.ico", favicon_route(icon), methods=["GET", "HEAD"], include_in_schema=False)
    app.router.routes.append(PagesMount("", app=create_pages(app), name="pages"))
