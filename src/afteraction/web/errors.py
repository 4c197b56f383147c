"""The error tree as RFC 7807 problem responses (application/problem+json); a traceback never reaches a client."""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from afteraction.core.errors import AfteractionError, Conflict, DatabaseUnavailable, InvalidInput, TooManyRequests

log = logging.getLogger("afteraction.web")
PROBLEM = "application/problem+json"
# Seconds a client is told to wait (Retry-After) when the database did not answer, timed out or was locked: long
# enough for a lock to be released or a restarted database to accept connections again.
DATABASE_RETRY_AFTER = 5


def retry_after_of(exc: AfteractionError) -> str | None:
    """The Retry-After header of an error that says when to come back (throttled, busy, database unavailable)."""
    if isinstance(exc, TooManyRequests):
        return str(max(1, math.ceil(exc.retry_after)))
    if isinstance(exc, DatabaseUnavailable):
        return str(max(1, math.ceil(getattr(exc, "retry_after", None) or DATABASE_RETRY_AFTER)))
    return None


class FieldError(BaseModel):
    """One invalid field of a request and what is wrong with it."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 7807 problem: `status` and `title` from HTTP, `detail` says what went wrong in one line."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    current_version: int | None = None
    errors: list[FieldError] | None = None


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = Problem(title=_title(status), status=status, detail=detail, **extra)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM)


def _loc(loc: tuple[int | str, ...]) -> str:
    # Drop where the value came from ("body", "query", "path", "header"): users name the field.
    parts = [str(part) for part in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return ".".join(str(part) for part in parts) or str(loc[0] if loc else "body")


# What a client is told of a failure on the server's side: its message may name the database URL, a file path or a
# host, so it goes to the log and the answer says only what failed.
_SERVER_SIDE = {
    500: "the server is not configured correctly: the server log has the details",
    502: "a service the server calls (a tracker, mail, Slack) failed: the server log has the details",
    503: "the database is unavailable: the server log has the details",
}


def public_detail(exc: AfteractionError) -> str:
    """The message of an error as a client may read it: the error's own for what the client can fix (4xx), one
    sentence without URLs, paths or SQL for failures on the server's side (5xx), whose message the log keeps."""
    if exc.http_status < 500:
        return exc.message
    return _SERVER_SIDE.get(exc.http_status, "the server failed: the server log has the details")


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AfteractionError)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, InvalidInput) and exc.field:
        extra["field"] = exc.field
    if isinstance(exc, Conflict) and exc.current_version is not None:
        extra["current_version"] = exc.current_version
        headers["ETag"] = f'"{exc.current_version}"'
    wait = retry_after_of(exc)
    if wait is not None:
        headers["Retry-After"] = wait
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="afteraction"'
    if exc.http_status >= 500:
        log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc.message)
    return problem_response(exc.http_status, public_detail(exc), headers or None, **extra)


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DataError)
    # The database refused a value the checks let through (PostgreSQL: too long for its column, out of range, NUL):
    # the client's input, so a 422; the statement and the driver's words go to the log only.
    orig = str(exc.orig).strip().splitlines()
    log.warning("the database refused a value on %s %s: %s", request.method, request.url.path, orig[0] if orig else exc)
    return problem_response(422, "a value is too long or out of range for the database, or holds characters it refuses")


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # A driver error that no service turned into DatabaseUnavailable (a connection lost or timed out, a statement or
    # lock timeout, no free pooled connection): the same 503 with Retry-After. The broken connection is already out
    # of the pool, so the next request gets a fresh one once the database answers again.
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return await _domain_error(request, DatabaseUnavailable(f"database error: {lines[0] if lines else type(exc)}"))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only where and what: the rejected input itself is never echoed (it may be a password).
    errors = [
        FieldError(field=_loc(tuple(e.get("loc", ()))), message=str(e.get("msg", "invalid"))) for e in exc.errors()
    ]
    first = errors[0] if errors else FieldError(field="body", message="invalid request")
    return problem_response(
        422, f"{first.field}: {first.message}", field=first.field, errors=[e.model_dump() for e in errors]
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
    return problem_response(exc.status_code, detail, dict(exc.headers) if exc.headers else None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(500, "internal server error: the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to a problem response."""
    app.add_exception_handler(AfteractionError, _domain_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses a route may answer."""
    descriptions = {
        401: "No valid bearer token (or webhook secret).",
        403: "The user's role does not allow this.",
        404: "Not found (or a private incident the user may not see).",
        409: "Changed meanwhile: the problem carries `current_version`.",
        413: "The body or upload is larger than the limit.",
        429: "Too many tries or too busy: wait the seconds `Retry-After` gives.",
        503: "The database did not answer in time (or is locked): wait the seconds `Retry-After` gives.",
        422: "A field is invalid: the problem names it in `field`.",
    }
    return {
        status: {"model": Problem, "description": descriptions.get(status, _title(status)), "content": {PROBLEM: {}}}
        for status in statuses
    }
