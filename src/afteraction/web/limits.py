"""Request body limits, applied before the app reads a byte: 413 for anything larger than the settings allow."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _problem(limit: int) -> bytes:
    return json.dumps(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"the request body is larger than the limit of {limit} bytes",
        }
    ).encode()


class BodyLimit:
    """ASGI middleware: a declared Content-Length over the limit is refused at once, a streamed body when it passes
    the limit; uploads (paths ending in `upload_suffix`) have their own, larger limit."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, upload_suffix: str) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_suffix = upload_suffix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.max_upload if path.rstrip("/").endswith(self.upload_suffix) else self.max_body
        length = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if length is None and not chunked:  # HTTP/1.1: no length and no chunks means no body, nothing to count
            await self.app(scope, receive, send)
            return
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                body = _problem(limit)
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            # The server holds a client to its declared length, so the header is all there is to check.
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # The app's handlers turn this into a 413 problem like the one above.
                    raise HTTPException(413, f"the request body is larger than the limit of {limit} bytes")
            return message

        await self.app(scope, counted, send)
