"""One exception tree for every face of afteraction (CLI, REST API, web pages) to map."""

from __future__ import annotations


class AfteractionError(Exception):
    """Base of every error a user can cause or fix; carries a one-line message."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(AfteractionError):
    """The thing asked for does not exist."""

    exit_code = 3
    http_status = 404


class Conflict(AfteractionError):
    """The write would clash with the current state (stale version, duplicate)."""

    exit_code = 4
    http_status = 409

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class InvalidInput(AfteractionError):
    """A value, field, file or line the user gave cannot be understood."""

    exit_code = 2
    http_status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DatabaseUnavailable(AfteractionError):
    """The database cannot be reached or has not been initialised."""

    exit_code = 5
    http_status = 503


class ConfigurationError(AfteractionError):
    """A setting is missing or wrong."""

    exit_code = 2
    http_status = 500


class TrackerError(AfteractionError):
    """An issue tracker, mail server or webhook refused a request or could not be reached."""

    exit_code = 6
    http_status = 502


class TrackerAuthError(TrackerError):
    """A tracker or webhook rejected the credentials (401/403): the message names the setting to check."""

    exit_code = 2


class NotAuthenticated(AfteractionError):
    """The request carries no valid credentials (a missing, wrong or revoked token or secret)."""

    exit_code = 2
    http_status = 401


class PermissionDenied(AfteractionError):
    """The user's role does not allow this (viewers read, editors write, admins manage users and settings)."""

    exit_code = 2
    http_status = 403


class TooLarge(AfteractionError):
    """A request body or upload is larger than the configured limit."""

    exit_code = 2
    http_status = 413


class TooManyRequests(AfteractionError):
    """Too many tries or too much work at once (sign-in throttling, busy PDF printers): wait `retry_after` seconds."""

    exit_code = 7
    http_status = 429

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
