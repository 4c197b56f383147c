"""Sign-in and sign-out, and the front door that sends a visitor to one or the other."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from afteraction.accounts import service as accounts
from afteraction.web.deps import public
from afteraction.web.pages.rendering import redirect, render
from afteraction.web.pages.session import MaybeUser, PageDb, new_session, replace_session, safe_next

router = APIRouter()

Next = Annotated[str | None, Query(max_length=2000)]


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
def login(
    request: Request,
    db: PageDb,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/dashboard",
) -> Response:
    """Check the password and start a signed-in session (with a new CSRF token)."""
    principal = accounts.authenticate_password(db, name=username, password=password)
    if principal is None:
        return render(
            request, "login.html", status=401, next=safe_next(next), username=username,
            error="The user name or the password is not right.",
        )  # fmt: skip
    replace_session(request, new_session(principal.user_id))
    request.state.principal = principal
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[public])
def logout(request: Request) -> Response:
    """End the session in this browser."""
    replace_session(request, new_session())
    request.state.principal = None
    return redirect(request, "/login", ok="You are signed out.")
