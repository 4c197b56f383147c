"""One HTTP client for the trackers and the Slack webhook: a deadline per answer, rate limits waited out, one-line
errors.

Credentials live in the client's headers or auth and never appear in a message or a log line."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from afteraction.core.errors import TrackerAuthError, TrackerError
from afteraction.trackers import Sleep, TrackerUnreachable
from afteraction.trackers.deadline import deadline, deadline_client, too_slow

log = logging.getLogger(__name__)
IDEMPOTENT = frozenset({"GET", "PUT", "PATCH", "DELETE", "HEAD"})
RateLimitRule = Callable[[httpx.Response], float | None]


class Redact(logging.Filter):
    """Hides a secret (a webhook URL) in the log records of httpx, which logs every URL it requests."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the secret in the record's message."""
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "[redacted]"), None
        return True


@contextmanager
def redacted(secret: str) -> Iterator[None]:
    """While inside, httpx's log lines show `[redacted]` instead of the secret."""
    target = logging.getLogger("httpx")
    rule = Redact(secret)
    target.addFilter(rule)
    try:
        yield
    finally:
        target.removeFilter(rule)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), if present."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def standard_rate_limit(response: httpx.Response) -> float | None:
    """A 429 waits for Retry-After, or a minute when the server does not say."""
    if response.status_code == 429:
        wait = retry_after(response)
        return 60.0 if wait is None else wait
    return None


def error_text(response: httpx.Response) -> str:
    """The first useful error message of a JSON or text answer, on one line."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return " ".join(response.text.split())[:200] or response.reason_phrase
    messages: list[str] = []
    if isinstance(body, dict):
        messages += [str(m) for m in body.get("errorMessages") or []]
        errors = body.get("errors")
        if isinstance(errors, dict):
            messages += [f"{field}: {text}" for field, text in errors.items()]
        elif isinstance(errors, list):
            for error in errors:
                if isinstance(error, dict):
                    messages.append(str(error.get("message") or error.get("code") or error))
        if body.get("message"):
            messages.insert(0, str(body["message"]))
    text = "; ".join(messages) or " ".join(response.text.split())[:200]
    return text or response.reason_phrase


class HttpClient:
    """Requests to one service, each with a deadline for its whole answer (`timeout`, AFTERACTION_OUTBOUND_TIMEOUT);
    rate limits waited out (outside the deadline); 401/403, network failures and a missed deadline as one line."""

    def __init__(
        self,
        service: str,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        timeout: float = 30.0,
        max_wait: float = 900.0,
        auth_hint: str = "",
        rate_limit: RateLimitRule = standard_rate_limit,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.service = service
        self.auth_hint = auth_hint
        self.max_wait = max_wait
        self.rate_limit = rate_limit
        self.sleep = sleep
        self.waited = 0.0
        self.timeout = timeout
        self.client = deadline_client(
            base_url=base_url,
            headers={"User-Agent": "afteraction", **(headers or {})},
            auth=auth,
            timeout=timeout,
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201, 204),
        accept_errors: tuple[int, ...] = (),
        shown: str | None = None,
    ) -> httpx.Response:
        """Send one request; waits out rate limits, retries idempotent requests after a 5xx, raises TrackerError.

        `shown` replaces the path in messages when the path itself is a secret (a webhook URL)."""
        where = f"{method} {path if shown is None else shown}".strip()
        server_errors = 0
        while True:
            try:
                with deadline(self.timeout):
                    response = self.client.request(method, path, json=json_body, params=params)
            except httpx.TimeoutException:
                raise TrackerUnreachable(too_slow(self.service, self.timeout, where)) from None
            except httpx.TransportError as exc:
                raise TrackerUnreachable(f"cannot reach {self.service}: {type(exc).__name__} ({where})") from None
            log.debug("%s %s -> %s", self.service, where, response.status_code)
            wait = self.rate_limit(response)
            if wait is not None:
                if self.waited + wait > self.max_wait:
                    raise TrackerError(
                        f"{self.service} is rate limiting and asks to wait {wait:.0f}s more; "
                        "run again later (AFTERACTION_TRACKER_MAX_WAIT)"
                    )
                log.info("%s rate limit: waiting %.1fs", self.service, wait)
                self.waited += wait
                self.sleep(wait)
                continue
            if response.status_code in (401, 403) and response.status_code not in accept_errors:
                raise TrackerAuthError(
                    f"{self.service} refused the credentials ({response.status_code} {error_text(response)}): "
                    f"check {self.auth_hint}"
                )
            if response.status_code >= 500 and method in IDEMPOTENT and server_errors < 2:
                server_errors += 1
                self.sleep(float(2**server_errors))
                continue
            if response.status_code not in expect and response.status_code not in accept_errors:
                raise TrackerError(f"{self.service} answered {response.status_code} to {where}: {error_text(response)}")
            return response

    def json(self, response: httpx.Response) -> Any:
        """The JSON body of an answer, or TrackerError when it is not JSON."""
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise TrackerError(f"{self.service} answered with something that is not JSON") from None

    def close(self) -> None:
        """Close the connections."""
        self.client.close()
