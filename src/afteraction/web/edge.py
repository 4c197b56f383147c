"""The edge of the server: what every request passes before the app sees it.

`Edge` is the one ASGI middleware in front of the app (create_app adds it outermost):

- Hostile text is a 4xx, never a 500. A NUL in the address, a query parameter or a form field is refused; so is a
  JSON body (content type json, a body without a content type sent to the API, and every webhook delivery) that is
  not JSON, holds a lone surrogate escape (`"\\ud800"`, which no database can store), nests deeper than
  AFTERACTION_JSON_MAX_DEPTH or holds a NUL in a string or key (the reason names the field). The API answers 422
  problem+json, the pages a 400 page. Multipart bodies are taken only by the upload paths (ending in /import),
  whose importers check their own files; anywhere else they are a 415.
- Request bodies keep their limits (web/limits.py): 413 over the size, 408 when not all there by
  AFTERACTION_BODY_TIMEOUT, however slowly the bytes keep coming.
- Response headers: nosniff on every response; under /api and on the health checks a CSP that loads and frames
  nothing and `Cache-Control: no-store` (a response that sets its own CSP or Cache-Control keeps it: the API docs
  page, its assets); HSTS on every response served over HTTPS (the request's scheme, or AFTERACTION_BASE_URL).
- A connection whose request body was not read to its end is closed after the answer, so the rest of a body cannot
  keep it open.

`DeadlineProtocol` is uvicorn's HTTP protocol with a deadline for a request's headers (AFTERACTION_HEADER_TIMEOUT),
which uvicorn itself lacks. `RedactSecrets` keeps webhook secrets given as `?token=` out of the access log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import unquote_plus

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from afteraction.core import safejson
from afteraction.core.config import Settings
from afteraction.core.errors import InvalidInput
from afteraction.web.limits import BodyLimits, BodyRefused, LimitedBody

API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"
WEBHOOKS = "/api/v1/webhooks/"
HEALTH = frozenset({"/healthz", "/readyz"})
NO_NUL = "must not contain NUL characters"
SECRET_PARAMETERS = frozenset({"token"})

_NOSNIFF = (b"x-content-type-options", b"nosniff")
_API_HEADERS = (_NOSNIFF, (b"content-security-policy", API_CSP.encode()), (b"cache-control", b"no-store"))
_OTHER_HEADERS = (_NOSNIFF,)
_HSTS = (b"strict-transport-security", HSTS.encode())
_BOM = b"\xef\xbb\xbf"


class Hostile(Exception):
    """Text the app must not see: the field it is in and a one-line reason (422 for the API, 400 for pages)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def is_api(path: str) -> bool:
    """Whether a path answers JSON for machines (the REST API and the health checks) rather than pages."""
    return path.startswith("/api/") or path == "/api" or path in HEALTH


class Edge:
    """ASGI middleware: hostile text refused, bodies within their limits, security headers on every answer."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.limits = BodyLimits.of(settings)
        self.max_depth = settings.json_max_depth
        self.https = (settings.base_url or "").lower().startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = is_api(path)
        headers = _API_HEADERS if api else _OTHER_HEADERS
        if self.https or scope.get("scheme") == "https":
            headers = (*headers, _HSTS)
        length: bytes | None = None
        chunked = False
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                content_type = value
        # HTTP/1.1: no length and no chunks means no body.
        body = self.limits.body(path, receive) if chunked or (length is not None and length != b"0") else None
        out = _Sender(send, headers, body)
        try:
            check_target(scope)
            if body is not None:
                if length is not None and self.limits.declared_too_large(path, length):
                    raise self.limits.too_large(path)
                receive = await self._checked_body(path, api, content_type, body)
        except Hostile as hostile:
            as_json = api or _is_json(_media(content_type))
            status = 422 if as_json else 400
            await answer(out, status, hostile.detail, as_json=as_json, path=path, field=hostile.field)
            return
        except BodyRefused as refused:
            await answer(out, refused.status, refused.detail, as_json=api or _is_json(_media(content_type)), path=path)
            return
        except _Gone:
            return
        try:
            await self.app(scope, receive, out)
        except Exception:
            if not out.complete:
                raise
            # The app's handler of unexpected errors logged it and answered 500, then raised it again for the server,
            # which would log it twice and drop the kept-alive connection: the answer is complete, the connection
            # stays usable.

    async def _checked_body(self, path: str, api: bool, content_type: bytes, body: LimitedBody) -> Receive:
        """The `receive` the app gets: a JSON or form body read whole and checked first, any other streamed within
        its limits (Hostile or BodyRefused when it may not pass)."""
        media = _media(content_type)
        if self.limits.is_upload(path):
            return _streamed(body)
        if media.startswith(b"multipart/"):
            raise BodyRefused(415, "multipart bodies are taken only by file uploads (addresses ending in /import)")
        if path.startswith(WEBHOOKS) or _is_json(media) or (api and not media):
            data = await body.read()
            if data is None:
                raise _Gone
            check_json(data, self.max_depth)
        elif media == b"application/x-www-form-urlencoded":
            data = await body.read()
            if data is None:
                raise _Gone
            check_form(data)
        else:
            return _streamed(body)
        return _replay(data, body)


class _Gone(Exception):
    """The client went away before its body was all there: nothing to answer."""


class _Sender:
    """The `send` of a request: adds the security headers a response does not set itself, and `Connection: close`
    when the request's body was not read to its end."""

    __slots__ = ("body", "complete", "headers", "send")

    def __init__(self, send: Send, headers: tuple[tuple[bytes, bytes], ...], body: LimitedBody | None) -> None:
        self.send = send
        self.headers = headers
        self.body = body
        self.complete = False  # whether the whole answer has been sent

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.body":
            self.complete = not message.get("more_body", False)
        elif message["type"] == "http.response.start":
            given = list(message.get("headers", ()))
            names = [name.lower() for name, _ in given]  # a handful: a list is quicker to make and search than a set
            given += [pair for pair in self.headers if pair[0] not in names]
            if self.body is not None and not self.body.done and b"connection" not in names:
                given.append((b"connection", b"close"))
            message = {**message, "headers": given}
        await self.send(message)


def _streamed(body: LimitedBody) -> Receive:
    async def receive() -> Message:
        try:
            return await body.receive()
        except BodyRefused as refused:
            # The app's error handlers answer it: a problem for the API, an error page for the pages.
            raise HTTPException(refused.status, refused.detail) from None

    return receive


def _replay(data: bytes, body: LimitedBody) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": data, "more_body": False}
        return await body.receive()  # after the body: wait for the client to go away

    return receive


def _media(content_type: bytes) -> bytes:
    return content_type.split(b";", 1)[0].strip().lower()


def _is_json(media: bytes) -> bool:
    return media == b"application/json" or media.endswith(b"+json")


def _field_with_nul(encoded: bytes) -> str:
    """The name of the first field of a query string or form body whose name or value holds a NUL."""
    for pair in encoded.split(b"&"):
        if b"%00" in pair or b"\x00" in pair:
            name = unquote_plus(pair.partition(b"=")[0].decode("latin-1")).replace("\x00", "\\0")
            return name[:100] or "(unnamed)"
    return "(unnamed)"


def check_target(scope: Scope) -> None:
    """Hostile when the address or the query string holds a NUL."""
    if "\x00" in scope["path"]:
        raise Hostile("path", f"the address {NO_NUL}")
    query: bytes = scope["query_string"]
    if b"%00" in query or b"\x00" in query:
        name = _field_with_nul(query)
        raise Hostile(name, f"query parameter {name}: {NO_NUL}")


def check_form(data: bytes) -> None:
    """Hostile when a field of a form body (application/x-www-form-urlencoded) holds a NUL."""
    if b"%00" in data or b"\x00" in data:
        name = _field_with_nul(data)
        raise Hostile(name, f"form field {name}: {NO_NUL}")


def check_json(data: bytes, max_depth: int) -> None:
    """Hostile when a JSON body is not JSON, holds a lone surrogate, nests deeper than `max_depth` or holds a NUL
    in a string or key (refused rather than removed: the sender learns which field, nothing is stored changed)."""
    data = data.removeprefix(_BOM)
    try:
        safejson.loads(data, max_depth=max_depth, source="request body")
    except InvalidInput as exc:
        raise Hostile("body", exc.message) from None
    if b"\\u0000" in data:  # the only way JSON can write a NUL; the parsed value says whether it really is one
        field = _nul_path(orjson.loads(data))
        if field is not None:
            raise Hostile(field, f"{field}: {NO_NUL}")


def _nul_path(value: Any) -> str | None:
    """The dotted path (`alerts.0.labels.service`) of the first string or key of a parsed JSON value holding a NUL."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where or "body"
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                name = f"{where}.{key}" if where else key
                if "\x00" in key:
                    return name.replace("\x00", "\\0")
                stack.append((name, child))
        elif isinstance(item, list):
            for index in reversed(range(len(item))):
                stack.append((f"{where}.{index}" if where else str(index), item[index]))
    return None


async def answer(send: Send, status: int, detail: str, *, as_json: bool, path: str, field: str | None = None) -> None:
    """Answer a refused request: a problem+json for the API (and JSON bodies), an error page for the pages."""
    headers: list[tuple[bytes, bytes]]
    if as_json:
        problem = {"type": "about:blank", "title": _title(status), "status": status, "detail": detail}
        if field is not None:
            problem["field"] = field
        content = json.dumps(problem).encode()
        headers = [(b"content-type", b"application/problem+json")]
    else:
        from afteraction.web.pages.session import CONTENT_SECURITY_POLICY

        content = _page(status, detail, path).encode()
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cache-control", b"no-store"),
        ]
    headers.append((b"content-length", str(len(content)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _page(status: int, detail: str, path: str) -> str:
    """The pages' error page for a request the edge refused (nobody is signed in as far as it knows)."""
    from afteraction.web.pages.rendering import environment

    signed_out: dict[str, Any] = {"request": None, "user": None, "can_edit": False, "csrf": "", "flashes": []}
    return (
        environment()
        .get_template("error.html")
        .render(signed_out, path=path, title=_title(status), status_code=status, message=detail)
    )


# ---------------------------------------------------------------- the server's side: headers deadline, access log

_TIMEOUT_MESSAGE = b"the request headers did not arrive in time"
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_TIMEOUT_MESSAGE)).encode() + b"\r\nconnection: close\r\n\r\n" + _TIMEOUT_MESSAGE
)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools) with a deadline for each request's headers: a client that has not
    sent them all within `header_timeout` seconds of connecting, or of starting its next request on a kept-alive
    connection, gets a 408 and its connection is closed, however slowly its bytes keep coming (uvicorn waits for
    headers forever). `app_from_env` sets `header_timeout` from the settings (AFTERACTION_HEADER_TIMEOUT) of each
    server process."""

    header_timeout: ClassVar[float] = float(Settings.model_fields["header_timeout"].default)
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # the next request on a kept-alive connection
            self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # a pipelined request's answer is on its way: close after it
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        self.logger.warning(
            "%s: closed the connection, the request headers took longer than %g seconds (AFTERACTION_HEADER_TIMEOUT)",
            client,
            self.header_timeout,
        )
        self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


class RedactSecrets(logging.Filter):
    """A filter of uvicorn's access log: the values of secret query parameters (a webhook's `?token=`) are written
    as REDACTED."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access line: '%s - "%s %s HTTP/%s" %d' with (client, method, path and query, version, status).
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def redact_query(target: str) -> str:
    """A request target (path and query) with the values of secret parameters replaced by REDACTED."""
    path, _, query = target.partition("?")
    pairs = query.split("&")
    for index, pair in enumerate(pairs):
        name, equals, _value = pair.partition("=")
        if equals and unquote_plus(name).strip().lower() in SECRET_PARAMETERS:
            pairs[index] = f"{name}=REDACTED"
    return f"{path}?{'&'.join(pairs)}"


def install_log_redaction() -> None:
    """Add RedactSecrets to uvicorn's access log once per process (loggers are global)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactSecrets) for existing in access.filters):
        access.addFilter(RedactSecrets())
