"""Sign-in (throttled), sign-out (of every session of the user), the signed-in user's password change, and the
front door that sends a visitor to one or the other."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from afteraction.accounts import service as accounts
from afteraction.accounts.sessions import end_sessions
from afteraction.core.errors import InvalidInput, TooManyRequests
from afteraction.web.deps import Viewer, own_password_change, password_sign_in, public
from afteraction.web.pages.rendering import redirect, render
from afteraction.web.pages.session import (
    MaybeUser,
    PageDb,
    new_session,
    replace_session,
    safe_next,
    session_of,
)

router = APIRouter()

Next = Annotated[str | None, Query(max_length=2000)]
Password = Annotated[str, Form(max_length=accounts.MAX_PASSWORD)]


def _too_many(request: Request, exc: TooManyRequests, template: str, **context: Any) -> Response:
    """The form again, with the plain sentence of the refusal: 429 with Retry-After."""
    page = render(request, template, status=429, error=exc.message, **context)
    page.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return page


@router.get("/", dependencies=[public])
def home(user: MaybeUser) -> Response:
    """The dashboard for a signed-in user, the sign-in page for anyone else."""
    return RedirectResponse("/dashboard" if user else "/login", status_code=303)


@router.get("/login", dependencies=[public])
def login_page(request: Request, user: MaybeUser, next: Next = None) -> Response:
    """The sign-in form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), error=None, username="")


@router.post("/login", dependencies=[public])
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Password,
    next: Annotated[str, Form(max_length=2000)] = "/dashboard",
) -> Response:
    """Check the password and start a signed-in session (with a new CSRF token); throttled after failures (429
    with the form and how long to wait)."""
    form = {"next": safe_next(next), "username": username}
    try:
        result = await password_sign_in(request, username, password)
    except TooManyRequests as exc:
        return _too_many(request, exc, "login.html", **form)
    if result.actor is None:
        return render(request, "login.html", status=401, error="The user name or the password is not right.", **form)
    replace_session(request, new_session(result.actor.user_id, result.generation))
    request.state.principal = result.actor
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[public])
async def logout(request: Request, db: PageDb) -> Response:
    """Sign out: every session of the user ends (in this browser and any other), and this browser gets a new one."""
    old = session_of(request)
    if old.user_id is not None:
        user_id = old.user_id
        await run_in_threadpool(lambda: end_sessions(db, user_id=user_id, generation=old.generation))
    replace_session(request, new_session())
    request.state.principal = None
    return redirect(request, "/login", ok="You are signed out.")


@router.get("/account/password")
def password_page(request: Request, user: Viewer) -> Response:
    """The form to change one's own password."""
    return render(request, "account.html", error=None)


@router.post("/account/password")
async def change_password(
    request: Request,
    user: Viewer,
    current_password: Password,
    new_password: Password,
    new_password_again: Password,
) -> Response:
    """Change one's own password (the current one, the new one twice): every other session of the user ends, and
    this browser is signed in again with a new session. Throttled like a sign-in."""
    if new_password != new_password_again:
        return render(request, "account.html", status=422, error="The two new passwords are not the same.")
    try:
        accounts.check_password_rules(new_password)
    except InvalidInput as exc:
        return render(request, "account.html", status=422, error=exc.message[:1].upper() + exc.message[1:] + ".")
    try:
        generation = await own_password_change(request, user, current_password, new_password)
    except TooManyRequests as exc:
        return _too_many(request, exc, "account.html")
    if generation is None:
        return render(request, "account.html", status=422, error="The current password is not right.")
    replace_session(request, new_session(user.user_id, generation))
    return redirect(
        request, "/account/password", ok="Your password is changed; every other session of yours is signed out."
    )
