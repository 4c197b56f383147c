"""Dependencies of the routes: the database, the user of a request and their role, sign-in by password (throttled,
with a bounded number of password hashes at once), and the incident in the path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Path, Query, Request
from fastapi.params import Depends as DependsParam
from starlette.concurrency import run_in_threadpool

from afteraction.accounts import service as accounts
from afteraction.accounts import throttle
from afteraction.analysis.lint import LintConfig
from afteraction.core.actor import ROLES, Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotAuthenticated, PermissionDenied
from afteraction.core.validation import parse_day
from afteraction.domain.incidents import IncidentSummary
from afteraction.domain.policy import Policy
from afteraction.insights.schemas import InsightsFilter
from afteraction.usecases import incidents as incident_usecases
from afteraction.web.fastread import ReaderPool, token_actor

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


def policy_of(request: Request) -> Policy:
    """The policy the app read when it was created (a change to the file needs a restart)."""
    policy: Policy = request.app.state.policy
    return policy


def lint_config_of(request: Request) -> LintConfig:
    """The lint configuration the app read when it was created (a change to the file needs a restart)."""
    config: LintConfig = request.app.state.lint_config
    return config


async def get_policy(request: Request) -> Policy:
    """The app's policy, read once at start."""
    return policy_of(request)


async def get_lint_config(request: Request) -> LintConfig:
    """The app's lint configuration, read once at start."""
    return lint_config_of(request)


Db = Annotated[Database, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
AppPolicy = Annotated[Policy, Depends(get_policy)]
AppLintConfig = Annotated[LintConfig, Depends(get_lint_config)]


def bearer_token(request: Request, db: Database) -> Actor | None:
    """The user of an `Authorization: Bearer TOKEN` header; None without the header, 401 for a bad token."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("expected an `Authorization: Bearer TOKEN` header")
    # The app's fast token check when it has a reader pool (web/fastread.py), else the library's: the same rule.
    readers: ReaderPool | None = getattr(request.app.state, "readers", None)
    if readers is None:
        principal = accounts.authenticate_token(db, token=token.strip())
    else:
        principal = token_actor(readers, db, token.strip())
    if principal is None:
        raise NotAuthenticated("the token is not valid (unknown, revoked, expired, or its user is deactivated)")
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


# --- Sign-in by password: the REST API's POST /auth/token and the pages' /login and /account/password -------------


def _root_app(request: Request) -> Any:
    """The app that holds the database and settings: the pages are an app of their own, mounted on it."""
    return getattr(request.app.state, "parent", None) or request.app


def client_address(request: Request) -> str:
    """The client's address (uvicorn's proxy_headers puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client is not None else "unknown"


def hash_slots(request: Request) -> asyncio.Semaphore:
    """The process's bound on password hashes at once (AFTERACTION_PASSWORD_HASH_CONCURRENCY), made on first use in
    the running event loop and kept on the app."""
    app = _root_app(request)
    loop = asyncio.get_running_loop()
    found: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = getattr(app.state, "hash_slots", None)
    if found is None or found[0] is not loop:  # (a test client runs each app in event loops of its own)
        found = (loop, asyncio.Semaphore(app.state.settings.password_hash_concurrency))
        app.state.hash_slots = found
    return found[1]


async def hashing(request: Request, call: Callable[[], T]) -> T:
    """Run a call that computes password hashes (argon2: 64 MiB and tens of milliseconds each) in the thread pool,
    at most AFTERACTION_PASSWORD_HASH_CONCURRENCY at once per process. The rest wait here, in the event loop,
    holding no thread: a thread each would let 40 sign-ins at once take all of the pool's threads (and a GiB of
    memory) and stall every other request."""
    async with hash_slots(request):
        return await run_in_threadpool(call)


async def _throttled_check(request: Request, name: str, check: Callable[[], T], failure: Callable[[T], str]) -> T:
    """A password check of the account `name` from the request's address under the sign-in throttle
    (accounts/throttle.py): refused with TooManyRequests while the name or the address must wait, before any
    password is looked at (and again once a hash slot is free, for tries that queued while others failed); each
    failure (`failure(result)` names why, "" for a success) counted and logged; a success clears the name's."""
    app = _root_app(request)
    db: Database = app.state.db
    limits = throttle.Limits.of(app.state.settings)
    address = client_address(request)
    await run_in_threadpool(lambda: throttle.check(db, limits, name=name, address=address))
    async with hash_slots(request):
        await run_in_threadpool(lambda: throttle.check(db, limits, name=name, address=address))
        result = await run_in_threadpool(check)
        reason = failure(result)
        # Counted before the slot is free, so that the next try in the queue sees this failure.
        if reason:
            await run_in_threadpool(
                lambda: throttle.record_failure(db, limits, name=name, address=address, reason=reason)
            )
        else:
            await run_in_threadpool(lambda: throttle.record_success(db, name=name))
    return result


async def password_sign_in(request: Request, name: str, password: str) -> accounts.PasswordCheck:
    """Sign-in by user name and password, throttled (see _throttled_check): the check's `actor` is None for a
    wrong name or password, and TooManyRequests says how long to wait."""
    db: Database = _root_app(request).state.db
    return await _throttled_check(
        request,
        name,
        lambda: accounts.check_password(db, name=name, password=password),
        lambda result: result.reason,
    )


async def own_password_change(request: Request, user: Actor, current: str, new: str) -> int | None:
    """A signed-in user's change of their own password, throttled as a sign-in of their name (the current password
    is one more thing to guess): None when `current` is wrong, else the user's new session generation."""
    db: Database = _root_app(request).state.db
    assert user.user_id is not None
    user_id = user.user_id
    return await _throttled_check(
        request,
        user.name,
        lambda: accounts.change_own_password(db, user_id=user_id, current=current, new=new),
        lambda generation: "wrong current password" if generation is None else "",
    )


# --- Who may call a route: one vocabulary for the REST API and the pages --------------------------------------------
#
# A route or page says who may call it with one of these words, the same word for the same rule on both faces:
# `Viewer`, `Editor`, `Admin` (a signed-in user whose role is at least that one; 403 below it), `public` (anyone) and
# `secret` (a shared secret or signature instead of a user: the webhooks). Each dependency carries its word as an
# `authorization` mark, which the authorization tests read. The faces differ only in how they find the user and
# what they answer without one, which each app keeps in `app.state.signed_in`: the REST API, `api_user` (a bearer
# token or a session cookie, else 401); the pages, `page_user` in web/pages/session.py (the session, else the
# sign-in page).

SignedIn = Callable[[Request], Awaitable[Actor]]


def has_role(principal: Actor, role: str) -> Actor:
    """The user when their role is at least `role`, else 403."""
    if not principal.can(role):
        raise PermissionDenied(f"this needs the {role} role; {principal.name} has the {principal.role} role")
    return principal


def authorize(request: Request, role: str) -> Actor:
    """The REST API's check for a route that makes it itself (`checks_role`): the signed-in user of the request when
    their role is at least `role`, 401 without one, 403 below it."""
    return has_role(signed_in_user(request), role)


async def api_user(request: Request) -> Actor:
    """How the REST API finds the user of a role dependency: its authenticators (a bearer token, a session cookie);
    401 without one."""
    return await database_call(request, lambda: signed_in_user(request))


def checks_role(role: str) -> Callable[[F], F]:
    """Marks a route that calls `authorize(request, role)` itself instead of taking a dependency (the busiest
    routes: no dependency to solve); the authorization matrix test reads the mark."""

    def mark(endpoint: F) -> F:
        endpoint.authorization = role  # type: ignore[attr-defined]
        return endpoint

    return mark


def require(role: str) -> Callable[..., Any]:
    """A dependency for a signed-in user whose role is at least `role`, found as the app finds its users
    (`app.state.signed_in`); 403 when their role is below it."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")

    # One level of dependency, not a chain: FastAPI's solving of each level costs more than the lookup behind it.
    async def check(request: Request) -> Actor:
        signed_in: SignedIn = request.app.state.signed_in
        return has_role(await signed_in(request), role)

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


def _query(length: int, text: str) -> Any:
    return Query(max_length=length, description=text)


def insights_filter(
    quarter: Annotated[str | None, _query(20, "A quarter, e.g. 2026-Q3 (instead of dates).")] = None,
    since: Annotated[str | None, _query(20, "Incidents that started on or after this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, _query(20, "Incidents that started on or before this day (YYYY-MM-DD).")] = None,
    team: Annotated[str | None, _query(200, "A team label.")] = None,
    service: Annotated[str | None, _query(200, "A service label.")] = None,
    severity: Annotated[str | None, _query(40, "A severity, e.g. SEV1.")] = None,
    kind: Annotated[str | None, _query(40, "incident, near-miss, failed-deploy or milestone.")] = None,
    category: Annotated[str | None, _query(200, "A category of the taxonomy (its slug or name).")] = None,
) -> InsightsFilter:
    """The insights filter of a request's address (empty fields are no filter; words are checked where used)."""
    return InsightsFilter(
        quarter=quarter or None, since=parse_day(since, "since"), until=parse_day(until, "until"),
        team=team or None, service=service or None, severity=severity or None, kind=kind or None,
        category=category or None,
    )  # fmt: skip


Within = Annotated[InsightsFilter, Depends(insights_filter)]
