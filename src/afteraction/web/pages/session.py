"""Sign-in sessions of the web pages: signed cookies (no server state), CSRF tokens, flash messages, and the
way the pages find who is signed in (the words that say who may open a page are web/deps.py's, as for the API)."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import UploadFile

from afteraction.accounts.sessions import session_principal, stored_secret
from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.core.errors import ConfigurationError, NotAuthenticated, PermissionDenied

SESSION_COOKIE = "afteraction_session"
FLASH_COOKIE = "afteraction_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MIN_SECRET = 32
FLASH_SECONDS = 300
# What a page may load and where its forms may go: only this site. A second wall behind the Markdown sanitizer.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@dataclass(frozen=True, slots=True)
class WebSession:
    """What a session cookie holds: the CSRF token of its forms, the signed-in user's id (None before sign-in) and
    the user's session generation when it was made (it counts only while that is the user's current one)."""

    csrf: str
    user_id: int | None = None
    signed_in_at: float | None = None
    generation: int | None = None


def new_session(user_id: int | None = None, generation: int | None = None) -> WebSession:
    """A fresh session with a new CSRF token: made on a first visit, and again at sign-in, at a password change and
    at sign-out."""
    signed_in = user_id is not None
    return WebSession(
        csrf=secrets.token_urlsafe(32),
        user_id=user_id,
        signed_in_at=time.time() if signed_in else None,
        generation=generation if signed_in else None,
    )


class SignInRequired(Exception):
    """A page needs a signed-in user; the pages answer with a redirect to the sign-in page."""


class CsrfRejected(PermissionDenied):
    """A form was sent without this session's CSRF token (an old page, or another site posting it)."""


class SessionSigner:
    """Signs and reads the cookies with AFTERACTION_SECRET_KEY, or else with the key kept in the database."""

    def __init__(self, settings: Settings, db: Callable[[], Database]) -> None:
        self.settings = settings
        self.db = db
        self.max_age = int(settings.session_hours * 3600)
        self._serializer: URLSafeTimedSerializer | None = None
        self._lock = threading.Lock()
        key = settings.secret_key.get_secret_value() if settings.secret_key else None
        if key is not None and len(key) < MIN_SECRET:
            raise ConfigurationError(f"AFTERACTION_SECRET_KEY must be at least {MIN_SECRET} characters long")

    def ready(self) -> bool:
        """Whether the key is known already (so that reading a cookie costs no database round trip)."""
        return self._serializer is not None or self.settings.secret_key is not None

    def serializer(self) -> URLSafeTimedSerializer:
        """The serializer of the key, read from the database on first use when the settings give none."""
        if self._serializer is None:
            with self._lock:
                if self._serializer is None:
                    key = self.settings.secret_key
                    secret = key.get_secret_value() if key is not None else stored_secret(self.db())
                    self._serializer = URLSafeTimedSerializer(secret, salt="afteraction.web")
        return self._serializer

    def dumps(self, session: WebSession) -> str:
        """The cookie value of a session."""
        return str(self.serializer().dumps(asdict(session), salt="session"))

    def loads(self, cookie: str) -> WebSession | None:
        """The session of a cookie, or None when it is forged, of another key, malformed or too old."""
        try:
            data = self.serializer().loads(cookie, max_age=self.max_age, salt="session")
            return WebSession(**data) if isinstance(data, dict) else None
        except (BadSignature, TypeError, ValueError):
            return None

    def dump_flash(self, messages: list[tuple[str, str]]) -> str:
        """The cookie value of flash messages (kind, text) shown by the next page."""
        return str(self.serializer().dumps(messages, salt="flash"))

    def load_flash(self, cookie: str) -> list[tuple[str, str]]:
        """The flash messages of a cookie (none when it is forged or old)."""
        try:
            data = self.serializer().loads(cookie, max_age=FLASH_SECONDS, salt="flash")
        except BadSignature:
            return []
        if not isinstance(data, list):
            return []
        return [(str(item[0]), str(item[1])) for item in data if isinstance(item, list | tuple) and len(item) == 2]


def signer_of(request: Request) -> SessionSigner:
    """The app's session signer."""
    signer: SessionSigner = request.app.state.session_signer
    return signer


def secure_cookies(request: Request) -> bool:
    """Send cookies only over HTTPS when the site is served over it (directly or behind a proxy)."""
    base = request.app.state.settings.base_url or ""
    return request.url.scheme == "https" or base.startswith("https://")


def session_of(request: Request) -> WebSession:
    """The request's session (the middleware puts it there)."""
    session: WebSession = request.state.web_session
    return session


def replace_session(request: Request, session: WebSession) -> None:
    """Make `session` the request's session; the middleware sends its cookie with the response."""
    request.state.web_session = session
    request.state.session_changed = True


async def session_middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Read the session cookie (or start a session), send it back when it changed, and add the security headers."""
    signer = signer_of(request)
    if not signer.ready():
        await run_in_threadpool(signer.serializer)
    cookie = request.cookies.get(SESSION_COOKIE)
    session = signer.loads(cookie) if cookie else None
    request.state.web_session = session or new_session()
    request.state.session_changed = session is None
    response = await call_next(request)
    if request.state.session_changed:
        response.set_cookie(
            SESSION_COOKIE,
            signer.dumps(request.state.web_session),
            max_age=signer.max_age,
            path="/",
            secure=secure_cookies(request),
            httponly=True,
            samesite="lax",
        )
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def add_flash(request: Request, response: Response, kind: str, text: str) -> None:
    """Show a message (kind: ok, error, info) on the next page the browser opens."""
    pending: list[tuple[str, str]] = getattr(request.state, "pending_flash", [])
    pending.append((kind, text))
    request.state.pending_flash = pending
    response.set_cookie(
        FLASH_COOKIE,
        signer_of(request).dump_flash(pending),
        max_age=FLASH_SECONDS,
        path="/",
        secure=secure_cookies(request),
        httponly=True,
        samesite="lax",
    )


def take_flash(request: Request, response: Response) -> list[tuple[str, str]]:
    """The messages waiting for this page; they are shown once."""
    cookie = request.cookies.get(FLASH_COOKIE)
    if not cookie:
        return []
    response.delete_cookie(FLASH_COOKIE, path="/")
    return signer_of(request).load_flash(cookie)


async def check_csrf(request: Request) -> None:
    """Refuse a change (POST) whose form field or X-CSRF-Token header is not this session's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = None if isinstance(value, UploadFile) else value
    if not sent or not hmac.compare_digest(sent, session_of(request).csrf):
        raise CsrfRejected("this form has expired or did not come from this site: reload the page and try again")


def page_db(request: Request) -> Database:
    """The database of the app the pages are mounted on (read on each request: tests swap it)."""
    db: Database = request.app.state.parent.state.db
    return db


PageDb = Annotated[Database, Depends(page_db)]


def _page_user(request: Request) -> Actor | None:
    """The signed-in user of the request (active, with their current role), or None."""
    if hasattr(request.state, "principal"):
        found: Actor | None = request.state.principal
        return found
    web_session = session_of(request)
    user_id = web_session.user_id
    db = page_db(request)
    principal = (
        session_principal(db, user_id=user_id, generation=web_session.generation) if user_id is not None else None
    )
    request.state.principal = principal
    return principal


def optional_page_user(request: Request) -> Actor | None:
    """The signed-in user, or None for a visitor."""
    return _page_user(request)


def signed_in(request: Request) -> Actor:
    """The signed-in user; a visitor is sent to the sign-in page."""
    principal = _page_user(request)
    if principal is None:
        raise SignInRequired()
    return principal


async def page_user(request: Request) -> Actor:
    """How the pages find the user of a role dependency (`Viewer`, `Editor`, `Admin` of web/deps.py, the same words
    as the REST API's): the session's user, read in the thread pool; a visitor is sent to the sign-in page."""
    return await run_in_threadpool(signed_in, request)


MaybeUser = Annotated[Actor | None, Depends(optional_page_user)]


def session_cookie(request: Request, db: Database) -> Actor | None:
    """The REST API's authenticator for a signed-in browser: its session cookie, with the page's CSRF token as the
    X-CSRF-Token header on every change."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session = signer_of(request).loads(cookie)
    if session is None or session.user_id is None:
        return None
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, ""), session.csrf
    ):
        raise NotAuthenticated("a change made with a session cookie needs the X-CSRF-Token header of its page")
    return session_principal(db, user_id=session.user_id, generation=session.generation)


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of this site only (never another host), else the dashboard."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return "/dashboard"
    return target


def session_info(request: Request) -> dict[str, Any]:
    """The session fields templates need."""
    return {"csrf": session_of(request).csrf}
