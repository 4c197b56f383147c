"""Request body limits: how large a body may be (413 beyond it) and how long it may take to arrive (408 after it).

The edge middleware (web/edge.py) applies them to every request before the app reads a byte: a declared
Content-Length over the limit is refused at once, a streamed body when it passes the limit, and a body that is not
all there by its deadline is refused when the deadline passes, however slowly its bytes keep coming.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import Message, Receive

from afteraction.core.config import Settings

UPLOAD_SUFFIX = "/import"


class BodyRefused(Exception):
    """A request body the limits do not let in: its status (408 or 413) and a one-line reason naming the setting."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """The limits of request bodies: sizes in bytes, the deadline in seconds; uploads (paths ending in
    `upload_suffix`) have their own, larger size limit."""

    max_body: int
    max_upload: int
    timeout: float
    upload_suffix: str = UPLOAD_SUFFIX

    @classmethod
    def of(cls, settings: Settings) -> BodyLimits:
        """The limits the settings give."""
        return cls(
            max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes, timeout=settings.body_timeout
        )

    def is_upload(self, path: str) -> bool:
        """Whether the path takes file uploads (multipart bodies the importers read)."""
        return path.rstrip("/").endswith(self.upload_suffix)

    def too_large(self, path: str) -> BodyRefused:
        """The 413 of a body over the size limit of its path, naming the setting that raises it."""
        limit, setting = (
            (self.max_upload, "AFTERACTION_MAX_UPLOAD_BYTES")
            if self.is_upload(path)
            else (self.max_body, "AFTERACTION_MAX_BODY_BYTES")
        )
        return BodyRefused(413, f"the request body is larger than the limit of {limit} bytes (set by {setting})")

    def too_slow(self) -> BodyRefused:
        """The 408 of a body that did not all arrive within the deadline."""
        return BodyRefused(
            408, f"the request body did not arrive within {self.timeout:g} seconds (set by AFTERACTION_BODY_TIMEOUT)"
        )

    def declared_too_large(self, path: str, length: bytes) -> bool:
        """Whether a declared Content-Length is over the size limit of the path (or not a number at all)."""
        limit = self.max_upload if self.is_upload(path) else self.max_body
        return not length.isdigit() or int(length) > limit

    def body(self, path: str, receive: Receive) -> LimitedBody:
        """The body of one request, read within the limits of its path; its deadline starts now."""
        limit = self.max_upload if self.is_upload(path) else self.max_body
        deadline = asyncio.get_running_loop().time() + self.timeout
        return LimitedBody(receive, limit=limit, deadline=deadline, refuse_size=lambda: self.too_large(path),
                           refuse_time=self.too_slow)  # fmt: skip


class LimitedBody:
    """One request's body as the limits let it in: counted against its size limit and due by its deadline. Its
    `receive` raises BodyRefused when either is passed; `done` tells whether the whole body has arrived."""

    def __init__(
        self,
        receive: Receive,
        *,
        limit: int,
        deadline: float,
        refuse_size: Callable[[], BodyRefused],
        refuse_time: Callable[[], BodyRefused],
    ) -> None:
        self._receive = receive
        self._limit = limit
        self._deadline = deadline
        self._refuse_size = refuse_size
        self._refuse_time = refuse_time
        self.received = 0
        self.done = False

    async def receive(self) -> Message:
        """The next message of the request (an ASGI `receive`); after the body, the wait for a disconnect has no
        deadline."""
        if self.done:
            return await self._receive()
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            raise self._refuse_time() from None
        if message["type"] != "http.request":
            self.done = True  # the client went away
            return message
        self.received += len(message.get("body", b""))
        if self.received > self._limit:
            raise self._refuse_size()
        if not message.get("more_body", False):
            self.done = True
        return message

    async def read(self) -> bytes | None:
        """The whole body, or None when the client went away before sending it."""
        chunks: list[bytes] = []
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            if self.done:
                return b"".join(chunks)
