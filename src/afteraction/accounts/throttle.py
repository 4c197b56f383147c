"""Sign-in throttling: failed sign-ins of one account name and of one client address, counted in the database
(table `signin_failures`) so that every server process, on SQLite or PostgreSQL, sees the same counts.

The rule, with the settings that tune it (AFTERACTION_SIGNIN_*):

- every failure of a name (as typed, lower-cased, whether or not such a user exists, so that throttling does not
  tell which names exist) and of a client address is counted; a count restarts once `window` seconds pass without
  a failure;
- after `free` failures of a name (`address_free` of an address) each further try must wait: `backoff` seconds after
  the last failure, doubling with every further failure, at most `max_backoff`;
- a try during the wait is refused (TooManyRequests) without looking at the password, and is not counted;
- a successful sign-in clears its name's failures (not its address's: one account's success must not reset the
  guesses made from that address at others).

Recording a failure is one UPSERT (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), atomic on both databases, so
failures from many processes at once are all counted.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from afteraction.accounts.models import SignInFailure
from afteraction.core.config import Settings
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import TooManyRequests

log = logging.getLogger("afteraction.accounts")

_FAILURES = cast(Table, SignInFailure.__table__)
_MAX_DOUBLINGS = 60  # 2**60 times any backoff is beyond every cap: no float overflow however many failures


@dataclass(frozen=True, slots=True)
class Limits:
    """The throttling settings (see the module's docstring)."""

    free: int = 5
    address_free: int = 20
    backoff: float = 2.0
    max_backoff: float = 900.0
    window: float = 900.0

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits of the AFTERACTION_SIGNIN_* settings."""
        return cls(
            free=settings.signin_free_failures,
            address_free=settings.signin_address_free_failures,
            backoff=settings.signin_backoff_seconds,
            max_backoff=settings.signin_max_backoff_seconds,
            window=settings.signin_window_seconds,
        )


def wait_after(failures: int, free: int, limits: Limits) -> float:
    """Seconds a try must wait after the last of `failures` counted failures, when `free` of them cost nothing:
    0 up to `free - 1`, then `backoff`, doubling per further failure, at most `max_backoff`."""
    if failures < free:
        return 0.0
    return min(limits.backoff * 2.0 ** min(failures - free, _MAX_DOUBLINGS), limits.max_backoff)


def account_key(name: str) -> str:
    """The key of an account name's failures: the name as typed, trimmed and lower-cased (names are unique
    regardless of case)."""
    return "user:" + name.strip().lower()[:190]


def address_key(address: str) -> str:
    """The key of a client address's failures."""
    return "addr:" + address[:190]


def remaining_wait(failures: int, last_failure_at: datetime, free: int, limits: Limits, now: datetime) -> float:
    """Seconds still to wait before the next try, for a key with `failures` counted, the newest at
    `last_failure_at` (0 when the count has been forgotten or the wait is over)."""
    since = (now - last_failure_at).total_seconds()
    if since > limits.window:
        return 0.0
    return max(0.0, wait_after(failures, free, limits) - since)


def _seconds(wait: float) -> str:
    whole = max(1, math.ceil(wait))
    return f"{whole} second{'s' if whole != 1 else ''}"


def check(db: Database, limits: Limits, *, name: str, address: str, now: datetime | None = None) -> None:
    """Refuse a sign-in try while its name or its address must wait (TooManyRequests with the seconds left, which
    the faces give as Retry-After); the refusal is logged. Never looks at a password."""
    now = now or utcnow()
    keys = {account_key(name): limits.free, address_key(address): limits.address_free}
    with db.transaction() as session:
        rows = session.execute(
            select(_FAILURES.c.key, _FAILURES.c.failures, _FAILURES.c.last_failure_at).where(
                _FAILURES.c.key.in_(list(keys))
            )
        ).all()
    waits = {key: remaining_wait(failures, last, keys[key], limits, now) for key, failures, last in rows}
    account_wait = waits.get(account_key(name), 0.0)
    address_wait = waits.get(address_key(address), 0.0)
    if account_wait <= 0 and address_wait <= 0:
        return
    log.warning("failed sign-in for %r from %s: throttled", name, address)
    if account_wait >= address_wait:
        message = f"Too many failed sign-ins for this account: try again in {_seconds(account_wait)}."
    else:
        message = f"Too many failed sign-ins from this address: try again in {_seconds(address_wait)}."
    raise TooManyRequests(message, retry_after=max(account_wait, address_wait))


def _upsert(dialect: str) -> Any:
    """The dialect's INSERT with ON CONFLICT (SQLite 3.24+ and PostgreSQL both have it)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_FAILURES)


def record_failure(
    db: Database, limits: Limits, *, name: str, address: str, reason: str, now: datetime | None = None
) -> float:
    """Count a failed sign-in of `name` from `address` (atomically, however many processes fail at once), log it
    (`reason`: no such user, wrong password, …; never the password) and forget failures older than the window.
    Returns the seconds the next try of this name or address must wait."""
    now = now or utcnow()
    log.warning("failed sign-in for %r from %s: %s", name, address, reason)
    cutoff = now - timedelta(seconds=limits.window)
    waits = []
    with db.transaction() as session:
        dialect = session.get_bind().dialect.name
        for key, free in ((account_key(name), limits.free), (address_key(address), limits.address_free)):
            insert = _upsert(dialect).values(key=key, failures=1, last_failure_at=now)
            statement = insert.on_conflict_do_update(
                index_elements=[_FAILURES.c.key],
                set_={
                    # A count whose newest failure is older than the window starts again.
                    "failures": case((_FAILURES.c.last_failure_at < cutoff, 1), else_=_FAILURES.c.failures + 1),
                    "last_failure_at": now,
                },
            ).returning(_FAILURES.c.failures)
            failures = int(session.execute(statement).scalar_one())
            waits.append(wait_after(failures, free, limits))
        # Rows another sign-in holds are left for a later failure: waiting for them could deadlock with it.
        stale = select(_FAILURES.c.key).where(_FAILURES.c.last_failure_at < cutoff).with_for_update(skip_locked=True)
        session.execute(delete(_FAILURES).where(_FAILURES.c.key.in_(stale)))
    return max(waits)


def record_success(db: Database, *, name: str) -> None:
    """A sign-in of `name` succeeded: its failures are forgotten (its address's are kept)."""
    with db.transaction() as session:
        session.execute(delete(_FAILURES).where(_FAILURES.c.key == account_key(name)))
