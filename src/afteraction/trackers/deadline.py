"""A deadline for the whole answer of one outbound request (connect, send, headers and body), not for each read.

httpx's timeouts are per socket operation: a server that sends one byte a second never trips a read timeout and
holds a request forever. Here each socket operation of a client made by `deadline_client` waits at most until the
deadline of the request in progress (set with `deadline()` around it), and one that starts after the deadline
fails as a timeout at once. Rate-limit waits between requests are outside any deadline."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

OUTBOUND_SETTING = "AFTERACTION_OUTBOUND_TIMEOUT"

_deadline: ContextVar[float | None] = ContextVar("afteraction_outbound_deadline", default=None)


def too_slow(service: str, seconds: float, where: str = "") -> str:
    """The one line that says a service missed the deadline, naming the setting that sets it."""
    what = f" {where}" if where else ""
    return f"{service} did not answer{what} within {seconds:g} s ({OUTBOUND_SETTING})"


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Inside, every socket operation of a `deadline_client` ends at most `seconds` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    """How long one socket operation may wait: its own timeout or the time left until the deadline, the shorter.

    Raises `expired` (an httpcore timeout) when the deadline has passed."""
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise expired("the deadline of the request has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes end at the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read what has arrived, waiting no longer than the deadline."""
        return self.stream.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send, waiting no longer than the deadline."""
        self.stream.write(buffer, time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        """Close the connection."""
        self.stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        """The TLS handshake, within the deadline; the TLS stream keeps to it too."""
        left = time_left(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self.stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        """What the underlying stream says (socket, addresses, TLS object)."""
        return self.stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every connection kept to the deadline of the request in progress."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self.backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect within the deadline."""
        left = time_left(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self.backend.connect_tcp(host, port, left, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Connect within the deadline."""
        left = time_left(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self.backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's connect retries)."""
        self.backend.sleep(seconds)


def deadline_client(**options: Any) -> httpx.Client:
    """An httpx.Client (same options) whose requests keep to the deadline set with `deadline()`.

    The backend is installed in every connection pool the client holds, proxies from the environment included."""
    client = httpx.Client(**options)
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if transport is None:  # a NO_PROXY pattern
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            client.close()
            raise RuntimeError(f"cannot set a deadline on {type(transport).__name__}: httpx's internals changed")
        if not isinstance(backend, DeadlineBackend):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
    return client
