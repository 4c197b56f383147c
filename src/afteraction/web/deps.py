"""Dependencies of the routes: the database, the user of a request and their role, and the incident in the path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Path, Request
from fastapi.params import Depends as DependsParam
from starlette.concurrency import run_in_threadpool

from afteraction.accounts import service as accounts
from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotAuthenticated, PermissionDenied
from afteraction.domain.incidents import IncidentSummary
from afteraction.usecases import incidents as incident_usecases

Authenticator = Callable[[Request, Database], Actor | None]
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


async def get_db(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


Db = Annotated[Database, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def bearer_token(request: Request, db: Database) -> Actor | None:
    """The user of an `Authorization: Bearer TOKEN` header; None without the header, 401 for a bad token."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("expected an `Authorization: Bearer TOKEN` header")
    principal = accounts.authenticate_token(db, token=token.strip())
    if principal is None:
        raise NotAuthenticated("the token is not valid (unknown, revoked, or its user is deactivated)")
    return principal


_PRINCIPAL = "afteraction.principal"  # where a request keeps its user once found (in the ASGI scope)


def request_user(request: Request) -> Actor | None:
    """The user of the request by the first authenticator that knows them, or None; worked out once per request."""
    if _PRINCIPAL in request.scope:
        found: Actor | None = request.scope[_PRINCIPAL]
        return found
    db: Database = request.app.state.db
    authenticators: list[Authenticator] = request.app.state.authenticators
    principal = None
    for authenticate in authenticators:
        principal = authenticate(request, db)
        if principal is not None:
            break
    request.scope[_PRINCIPAL] = principal
    return principal


def signed_in_user(request: Request) -> Actor:
    """The signed-in user of the request, or 401."""
    principal = request_user(request)
    if principal is None:
        raise NotAuthenticated("sign in: send an `Authorization: Bearer TOKEN` header")
    return principal


async def database_call(request: Request, call: Callable[[], T]) -> T:
    """Run a short database call: inline on SQLite, where it is microseconds of work in this process and cheaper
    than a hop to a thread; in the thread pool on a database server, so its round trips do not hold up the event
    loop and every other request with it."""
    db: Database = request.app.state.db
    if db.engine.dialect.name == "sqlite":
        return call()
    return await run_in_threadpool(call)


def authorize(request: Request, role: str) -> Actor:
    """The signed-in user of the request when their role is at least `role`: 401 without one, 403 below it."""
    principal = signed_in_user(request)
    if not principal.can(role):
        raise PermissionDenied(f"this needs the {role} role; {principal.name} is {principal.role}")
    return principal


def checks_role(role: str) -> Callable[[F], F]:
    """Marks a route that calls `authorize(request, role)` itself instead of taking a dependency (the busiest
    routes: no dependency to solve); the authorization matrix test reads the mark."""

    def mark(endpoint: F) -> F:
        endpoint.authorization = role  # type: ignore[attr-defined]
        return endpoint

    return mark


def require(role: str) -> Callable[..., Any]:
    """A dependency that answers 401 without a user and 403 when their role is below `role`."""

    # One level of dependency, not a chain: FastAPI's solving of each level costs more than the lookup behind it.
    async def check(request: Request) -> Actor:
        return await database_call(request, lambda: authorize(request, role))

    check.authorization = role  # type: ignore[attr-defined]
    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[Actor, Depends(require("viewer"))]
Editor = Annotated[Actor, Depends(require("editor"))]
Admin = Annotated[Actor, Depends(require("admin"))]


async def _public() -> None:
    """Marks a route anyone may call (health checks, sign-in)."""


async def _secret() -> None:
    """Marks a route that checks a shared secret or signature instead of a user (webhooks)."""


_public.authorization = "public"  # type: ignore[attr-defined]
_secret.authorization = "secret"  # type: ignore[attr-defined]
public: DependsParam = Depends(_public)
secret: DependsParam = Depends(_secret)

IncidentId = Annotated[str, Path(description="An incident id, e.g. INC-12.", max_length=40)]


def incident_for(request: Request, incident_id: str) -> IncidentSummary:
    """The incident as the signed-in user of the request may see it: 401 without a user, 404 when it does not exist
    or is private and the user is not a member."""
    return incident_usecases.get_incident(request.app.state.db, incident_id=incident_id, actor=signed_in_user(request))


async def visible_incident(request: Request, incident_id: IncidentId) -> IncidentSummary:
    """The incident of the path (see incident_for)."""
    return await database_call(request, lambda: incident_for(request, incident_id))


visible_incident.authorization = "viewer"  # type: ignore[attr-defined]  # any signed-in user, private ones checked
CurrentIncident = Annotated[IncidentSummary, Depends(visible_incident)]


def expected_version(
    if_match: Annotated[
        str | None, Header(description='The version the change is based on, as the ETag gave it ("3").')
    ] = None,
) -> int | None:
    """The version of an `If-Match` header (`"3"`, `W/"3"` or `3`); None for no header or `*`."""
    if if_match is None or if_match.strip() == "*":
        return None
    first = if_match.split(",")[0].strip().removeprefix("W/").strip('"')
    if not first.isdigit():
        raise InvalidInput(f'If-Match: {if_match!r} is not a version such as "3"', field="If-Match")
    return int(first)


IfMatch = Annotated[int | None, Depends(expected_version)]


def etag(version: int) -> str:
    """The ETag of a version."""
    return f'"{version}"'


def pick_version(header: int | None, body: int | None) -> int | None:
    """The version a write is based on: the If-Match header, else the body's `version` field."""
    return header if header is not None else body
