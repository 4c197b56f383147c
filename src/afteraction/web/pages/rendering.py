"""Rendering of the pages: the Jinja2 environment (Markdown from documents/markdown.py, durations from
domain/durations.py, the same as the exports'), time formats, error pages."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from functools import lru_cache
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from afteraction import __version__
from afteraction.core.errors import AfteractionError
from afteraction.documents.chat import render_event_text
from afteraction.documents.markdown import markdown_html, safe_url
from afteraction.domain.durations import format_duration
from afteraction.domain.metrics import share_text
from afteraction.web.errors import public_detail, retry_after_of
from afteraction.web.pages.session import (
    SignInRequired,
    add_flash,
    session_of,
    take_flash,
)

log = logging.getLogger("afteraction.web.pages")


def format_utc(value: datetime | None) -> str:
    """A time as `2026-03-14 10:08:10 UTC`."""
    if value is None:
        return "—"
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_clock(value: datetime | None) -> str:
    """A time as `2026-03-14 10:08:10`, for tables whose heading says UTC."""
    return format_utc(value).removesuffix(" UTC")


def input_time(value: datetime | None) -> str:
    """A time as the value of a `datetime-local` field, in UTC."""
    if value is None:
        return ""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def format_date(value: date | None) -> str:
    """A date as `2026-03-14`, or `—`."""
    return value.isoformat() if value else "—"


def query_string(values: dict[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` of the non-empty values, with some changed (for filter and paging links)."""
    merged = {**values, **changes}
    pairs = [
        (key, "1" if value is True else str(value)) for key, value in merged.items() if value not in (None, "", False)
    ]
    return "?" + urlencode(pairs) if pairs else "?"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the page templates (HTML autoescaped, undefined names are errors)."""
    env = Environment(
        loader=PackageLoader("afteraction", "web/templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = markdown_html
    env.filters["utc"] = format_utc
    env.filters["clock"] = format_clock
    env.filters["input_time"] = input_time
    env.filters["duration"] = format_duration
    env.globals["share"] = share_text
    env.filters["day"] = format_date
    env.filters["safe_url"] = safe_url
    env.filters["event_text"] = render_event_text
    env.globals["query_string"] = query_string
    env.globals["version"] = __version__
    env.globals["quote"] = quote
    return env


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page: the template with the user, CSRF token and waiting messages of the request."""
    response = HTMLResponse("", status_code=status)
    principal = getattr(request.state, "principal", None)
    values = {
        "request": request,
        "user": principal,
        "can_edit": principal is not None and principal.can("editor"),
        "csrf": session_of(request).csrf if hasattr(request.state, "web_session") else "",
        "flashes": take_flash(request, response),
        "path": request.url.path,
        **context,
    }
    body = environment().get_template(template).render(values)
    response.body = response.render(body)
    response.headers["content-length"] = str(len(response.body))
    return response


def redirect(request: Request, url: str, *, ok: str | None = None, error: str | None = None) -> RedirectResponse:
    """A 303 to `url` (after a form), with a message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if ok:
        add_flash(request, response, "ok", ok)
    if error:
        add_flash(request, response, "error", error)
    return response


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return render(request, "error.html", status=status, title=title, status_code=status, message=message)


async def _sign_in(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        # After signing in, the browser cannot repeat the form: go back to the page it was sent from.
        target = urlsplit(request.headers.get("referer", "")).path or "/dashboard"
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AfteractionError)
    if exc.http_status >= 500:
        log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc.message)
    page = _error_page(request, exc.http_status, public_detail(exc))  # 5xx: no database URL or path on the page
    wait = retry_after_of(exc)  # busy PDF printers, throttled tries, a database that did not answer
    if wait is not None:
        page.headers["Retry-After"] = wait
    return page


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        fields.append(f"{'.'.join(loc) or 'form'}: {error.get('msg', 'invalid')}")
    return _error_page(request, 422, "the form is not complete: " + "; ".join(fields))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "there is no page at this address", 405: "this page does not answer that kind of request"}
    detail = exc.detail if isinstance(exc.detail, str) else ""
    return _error_page(request, exc.status_code, messages.get(exc.status_code, detail or "the request failed"))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error_page(request, 500, "something went wrong on the server; the server log has the details")


def install_page_errors(app: FastAPI) -> None:
    """Answer errors of the pages as HTML pages (and a missing sign-in with the sign-in page)."""
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(AfteractionError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
